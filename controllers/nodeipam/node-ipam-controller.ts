/**
 * The node IPAM controller with the RangeAllocator (kubernetes
 * pkg/controller/nodeipam/ipam/range_allocator.go): gives every Node without
 * one a `spec.podCIDR`/`spec.podCIDRs` subnet of `--cluster-cidr`
 * (`--node-cidr-mask-size` bits), and frees it when the Node is deleted.
 * Before allocating anything it marks the subnets existing Nodes already
 * hold, so a restarted controller never hands one out twice.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { unwrapTombstone } from '../../client/cache/deleted-final-state-unknown.ts';
import type { SharedInformer } from '../../client/cache/shared-informer.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import { ApiError } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.ts';
import type { Controller, ControllerContext } from '../controller-context.ts';
import { runQueueWorkers } from '../controller-utils/queue-workers.ts';
import { CidrSet } from './cidr-set.ts';

export const defaultClusterCidr = '10.244.0.0/16';
export const defaultNodeCidrMaskSize = 24;

export interface NodeIpamControllerOptions {
  /** `--cluster-cidr`; default 10.244.0.0/16. */
  clusterCidr?: string;
  /** `--node-cidr-mask-size`; default 24. */
  nodeCidrMaskSize?: number;
}

interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[]; [field: string]: unknown };
}

const nodesResource = { group: '', version: 'v1', plural: 'nodes' } as const;

function podCIDRsOf(node: Node): string[] {
  const cidrs = node.spec?.podCIDRs?.filter((c) => !!c) ?? [];
  if (cidrs.length === 0 && node.spec?.podCIDR) cidrs.push(node.spec.podCIDR);
  return cidrs;
}

export class NodeIpamController implements Controller {
  readonly name = 'node-ipam-controller';
  readonly queue = new RateLimitingQueue<string>();
  readonly cidrs: CidrSet;
  syncHandler: (name: string) => Promise<void>;
  readonly #client: RestClient;
  readonly #recorder: EventRecorder;
  readonly #onError: (err: unknown) => void;
  readonly #nodes: SharedInformer<Node>;
  /** Subnets allocated but not yet seen on the Node in the cache (nodesInProcessing), by node name. */
  readonly #pending = new Map<string, string>();
  #occupiedExisting = false;

  constructor(ctx: ControllerContext, options: NodeIpamControllerOptions = {}) {
    this.cidrs = new CidrSet(options.clusterCidr ?? defaultClusterCidr, options.nodeCidrMaskSize ?? defaultNodeCidrMaskSize);
    this.#client = ctx.client;
    this.#recorder = ctx.recorder(this.name);
    this.#onError = ctx.onError;
    this.#nodes = ctx.informers.informerFor<Node>(nodesResource);
    this.syncHandler = (name) => this.syncNode(name);
    this.#nodes.addEventHandler({
      onAdd: (node) => this.#nodeChanged(node),
      onUpdate: (_old, cur) => this.#nodeChanged(cur),
      onDelete: (obj) => this.#nodeDeleted(unwrapTombstone(obj)),
    });
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    if (!(await this.#nodes.waitForCacheSync(signal))) {
      this.queue.shutDown();
      return;
    }
    // NewCIDRRangeAllocator: occupy what existing Nodes hold before handing out anything.
    for (const node of this.#nodes.lister.list()) this.#occupy(node);
    this.#occupiedExisting = true;
    for (const node of this.#nodes.lister.list()) this.#nodeChanged(node);
    await runQueueWorkers({ name: this.name, queue: this.queue, workers, signal, sync: (name) => this.syncHandler(name), onError: this.#onError });
  }

  #occupy(node: Node): void {
    for (const cidr of podCIDRsOf(node)) {
      // A subnet outside the cluster CIDR is someone else's business (occupyCIDRs errors; pier just skips it).
      this.cidrs.occupy(cidr);
    }
  }

  #nodeChanged(node: Node): void {
    if (!this.#occupiedExisting) return;
    const cidrs = podCIDRsOf(node);
    if (cidrs.length > 0) {
      this.#occupy(node);
      const pending = this.#pending.get(node.metadata.name!);
      if (pending !== undefined && !cidrs.includes(pending)) this.cidrs.release(pending);
      this.#pending.delete(node.metadata.name!);
      return;
    }
    this.queue.add(node.metadata.name!);
  }

  #nodeDeleted(node: Node): void {
    for (const cidr of podCIDRsOf(node)) this.cidrs.release(cidr);
    const pending = this.#pending.get(node.metadata.name!);
    if (pending !== undefined) this.cidrs.release(pending);
    this.#pending.delete(node.metadata.name!);
  }

  /** AllocateOrOccupyCIDR + updateCIDRsAllocation for one Node. */
  async syncNode(name: string): Promise<void> {
    const node = this.#nodes.lister.get(undefined, name);
    if (!node || node.metadata.deletionTimestamp) return;
    if (podCIDRsOf(node).length > 0) {
      this.#occupy(node);
      return;
    }
    // The cache may not show our last patch yet: reuse what we already gave this Node.
    let cidr = this.#pending.get(name);
    if (cidr === undefined) {
      cidr = this.cidrs.allocateNext();
      if (cidr === undefined) {
        await this.#recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        throw new Error(`failed to allocate cidr from cluster cidr ${this.cidrs.clusterCidr}: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range`);
      }
      this.#pending.set(name, cidr);
    }
    try {
      await this.#client.patch({ ...nodesResource, name }, 'strategic', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) {
        this.#pending.delete(name);
        this.cidrs.release(cidr);
        return;
      }
      if (err instanceof ApiError && err.code === 422) {
        // The Node got a podCIDR from elsewhere meanwhile: keep theirs, free ours.
        const current = await this.#client.get<Node>({ ...nodesResource, name });
        if (podCIDRsOf(current).length > 0) {
          this.#pending.delete(name);
          if (!podCIDRsOf(current).includes(cidr)) this.cidrs.release(cidr);
          this.#occupy(current);
          return;
        }
      }
      throw err;
    }
  }
}
