/**
 * The node's heartbeat Lease, kube-node-lease/<node> (kubelet's nodelease
 * controller): created owned by the Node (so deleting the Node collects it),
 * renewed every 10 s (a quarter of the 40 s duration), and re-read after a
 * conflict, since someone else may have written it.
 */
import { microTime } from '../../client/api/meta-time.ts';
import type { KubeObject } from '../../client/api/meta.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { sleep } from '../../client/wait/sleep.ts';

export const nodeLeaseNamespace = 'kube-node-lease';
export const nodeLeaseDurationSeconds = 40;

type Lease = KubeObject & { spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string } };

const leasesPath = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: nodeLeaseNamespace } as const;

export interface NodeLeaseOptions {
  client: RestClient;
  nodeName: string;
  nodeUid: string;
  /** Default 10 s. */
  renewIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export class NodeLease {
  readonly #o: NodeLeaseOptions;
  #lease: Lease | undefined;

  constructor(options: NodeLeaseOptions) {
    this.#o = options;
  }

  /** Renews (or creates) the lease once. */
  async renew(attempt = 0): Promise<Lease> {
    const now = microTime();
    const { client, nodeName } = this.#o;
    if (!this.#lease) {
      try {
        this.#lease = await client.get<Lease>({ ...leasesPath, name: nodeName });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        try {
          this.#lease = await client.create<Lease>(leasesPath, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name: nodeName,
              namespace: nodeLeaseNamespace,
              ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.#o.nodeUid }],
            },
            spec: { holderIdentity: nodeName, leaseDurationSeconds: nodeLeaseDurationSeconds, renewTime: now },
          });
          return this.#lease;
        } catch (createErr) {
          if (!isAlreadyExists(createErr)) throw createErr;
          this.#lease = await client.get<Lease>({ ...leasesPath, name: nodeName });
        }
      }
    }
    const current = this.#lease;
    try {
      this.#lease = await client.update<Lease>(
        { ...leasesPath, name: nodeName },
        {
          ...current,
          metadata: {
            ...current.metadata,
            // A lease left by an older Node of the same name points at the new one.
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.#o.nodeUid }],
          },
          spec: { ...current.spec, holderIdentity: nodeName, leaseDurationSeconds: nodeLeaseDurationSeconds, renewTime: now },
        },
      );
      return this.#lease;
    } catch (err) {
      this.#lease = undefined;
      if ((isConflict(err) || isNotFound(err)) && attempt < 3) return this.renew(attempt + 1);
      throw err;
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#o.renewIntervalMs ?? 10_000;
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) return;
      try {
        await this.renew();
      } catch (err) {
        this.#o.onError?.(err);
      }
    }
  }
}
