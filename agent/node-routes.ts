/**
 * Pod-to-pod traffic between nodes, without NAT (issue 6), as flannel's
 * host-gw backend: from the Node objects, every other node's spec.podCIDR is
 * routed via that node's InternalIP, and traffic from this node's pods to
 * those CIDRs is exempted from the bridge plugin's masquerade, so the pod on
 * the other end sees the real source pod IP. Level-triggered: any Node
 * change (or a periodic resync) recomputes the whole set.
 */
import type { SharedInformer } from '../client/cache/shared-informer.ts';
import type { Node } from './kubelet/node-status.ts';
import { normalizeIpv4Cidr } from './network/ipv4-cidr.ts';
import type { PodCidrRoute, PodCidrRouteSyncResult } from './network/pod-cidr-routes.ts';
import { CommandError, runCommand } from './host/run-command.ts';
import { SyncTrigger } from '../client/wait/sync-trigger.ts';

/** The nat chain holding the masquerade exemptions. */
export const noMasqueradeChain = 'PIER-POD-NOMASQ';

/** The routes to every other node's pod CIDR; nodes without a podCIDR or an InternalIP are skipped. */
export function podCidrRoutesFrom(nodes: readonly Node[], selfName: string): PodCidrRoute[] {
  const routes: PodCidrRoute[] = [];
  for (const node of nodes) {
    if (node.metadata.name === selfName || node.metadata.deletionTimestamp) continue;
    const podCidr = node.spec?.podCIDR;
    const via = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!podCidr || !via || via.includes(':')) continue;
    routes.push({ podCidr: normalizeIpv4Cidr(podCidr), via });
  }
  return routes.sort((a, b) => a.podCidr.localeCompare(b.podCidr));
}

/** The part of CniPodNetwork this needs. */
export interface RoutedPodNetwork {
  readonly podCidr: string;
  syncPodCidrRoutes(routes: readonly PodCidrRoute[]): Promise<PodCidrRouteSyncResult>;
}

export interface NodeRoutesOptions {
  nodeName: string;
  nodes: SharedInformer<Node>;
  network: RoutedPodNetwork;
  /** Full recompute even without Node events. Default 30 s. */
  resyncMs?: number;
  onError?: (err: unknown) => void;
}

export class NodeRoutes {
  readonly #o: NodeRoutesOptions;
  readonly #trigger = new SyncTrigger();
  #applied = '';
  #syncs = 0;
  #syncWaiters: Array<() => void> = [];

  constructor(options: NodeRoutesOptions) {
    this.#o = options;
  }

  /** Resolves after the next completed sync. */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  get syncs(): number {
    return this.#syncs;
  }

  async run(signal: AbortSignal): Promise<void> {
    const registration = this.#o.nodes.addEventHandler({
      onAdd: () => this.#trigger.request(),
      onUpdate: (oldNode, newNode) => {
        // Status heartbeats change neither field that matters.
        if (routeKey(oldNode) !== routeKey(newNode)) this.#trigger.request();
      },
      onDelete: () => this.#trigger.request(),
    });
    const resyncMs = this.#o.resyncMs ?? 30_000;
    let failures = 0;
    try {
      if (!(await this.#o.nodes.waitForCacheSync(signal))) return;
      while (!signal.aborted) {
        if (!this.#trigger.pending) await this.#trigger.wait(signal, failures > 0 ? Math.min(30_000, 500 * 2 ** failures) : resyncMs);
        if (signal.aborted) break;
        const force = !this.#trigger.take();
        try {
          await this.syncOnce(force);
          failures = 0;
        } catch (err) {
          failures = Math.min(failures + 1, 6);
          this.#trigger.request();
          this.#o.onError?.(err);
          await this.#trigger.wait(signal, Math.min(30_000, 500 * 2 ** failures));
        }
      }
    } finally {
      registration.remove();
    }
  }

  /** One pass: routes and masquerade exemptions from the cached Nodes. */
  async syncOnce(force = true): Promise<void> {
    const routes = podCidrRoutesFrom(this.#o.nodes.indexer.list(), this.#o.nodeName);
    const key = JSON.stringify(routes);
    if (force || key !== this.#applied) {
      await this.#o.network.syncPodCidrRoutes(routes);
      await syncMasqueradeExemptions(this.#o.network.podCidr, routes.map((r) => r.podCidr));
      this.#applied = key;
    }
    this.#syncs++;
    for (const wake of this.#syncWaiters.splice(0)) wake();
  }
}

function routeKey(node: Node): string {
  return `${node.spec?.podCIDR ?? ''}|${node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? ''}|${node.metadata.deletionTimestamp ?? ''}`;
}

/**
 * Keeps `-s <own pod CIDR> -j PIER-POD-NOMASQ` first in nat POSTROUTING and,
 * in that chain, an ACCEPT per other node's pod CIDR: ACCEPT ends the nat
 * table's POSTROUTING for the packet, before the bridge plugin's per-pod
 * MASQUERADE chains run. Nothing is created while there are no other nodes,
 * so a single node's packet filter stays as the bridge plugin left it.
 */
export async function syncMasqueradeExemptions(ownPodCidr: string, otherPodCidrs: readonly string[]): Promise<void> {
  const chainExists = await iptables(['-t', 'nat', '-S', noMasqueradeChain]).then(() => true, (err: unknown) => {
    if (err instanceof CommandError) return false;
    throw err;
  });
  if (!chainExists && otherPodCidrs.length === 0) return;
  if (!chainExists) await iptables(['-t', 'nat', '-N', noMasqueradeChain]);
  const jump = ['POSTROUTING', '-s', ownPodCidr, '-m', 'comment', '--comment', 'pier: pod traffic to other nodes keeps its source', '-j', noMasqueradeChain];
  const jumpExists = await iptables(['-t', 'nat', '-C', ...jump]).then(() => true, () => false);
  if (!jumpExists) await iptables(['-t', 'nat', '-I', ...jump.slice(0, 1), '1', ...jump.slice(1)]);
  const wanted = otherPodCidrs.map((cidr) => `-A ${noMasqueradeChain} -d ${cidr} -j ACCEPT`);
  const current = (await iptables(['-t', 'nat', '-S', noMasqueradeChain]))
    .split('\n')
    .filter((l) => l.startsWith('-A '));
  if (JSON.stringify(current) === JSON.stringify(wanted)) return;
  await iptables(['-t', 'nat', '-F', noMasqueradeChain]);
  for (const cidr of otherPodCidrs) await iptables(['-t', 'nat', '-A', noMasqueradeChain, '-d', cidr, '-j', 'ACCEPT']);
}

function iptables(args: string[]): Promise<string> {
  return runCommand('iptables', ['-w', ...args]);
}
