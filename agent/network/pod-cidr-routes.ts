/**
 * Host-gateway routing between nodes (issue 6): one route per other node,
 * `<node's podCIDR> via <node's address>`, in the main table. Routes pier
 * adds carry their own routing protocol number, so a sync can find and
 * remove exactly its own and never touches a route someone else made
 * (the way flannel's host-gw backend and Calico's proto 80 routes work).
 */
import { normalizeIpv4Cidr, parseIpv4 } from './ipv4-cidr.ts';
import { runCommand } from '../host/run-command.ts';

/** The `proto` pier marks its routes with (unassigned in iproute2's rt_protos). */
export const pierRouteProtocol = 147;

/** Traffic for another node's pod CIDR goes to that node's address. */
export interface PodCidrRoute {
  /** IPv4 CIDR, e.g. 10.88.1.0/24. */
  podCidr: string;
  /** The other node's address, reachable on a directly connected network. */
  via: string;
}

export interface PodCidrRouteConflict {
  route: PodCidrRoute;
  /** The foreign route occupying the destination, as `ip` describes it. */
  existing: string;
}

export interface PodCidrRouteSyncResult {
  added: PodCidrRoute[];
  /** Own routes whose gateway moved. */
  replaced: PodCidrRoute[];
  removed: PodCidrRoute[];
  /** Wanted routes left out because a route pier did not make holds the destination. */
  conflicts: PodCidrRouteConflict[];
}

export interface PodCidrRoutesOptions {
  /** Routing protocol number marking pier's routes; default pierRouteProtocol. */
  protocol?: number;
  /** Run in this network namespace instead of the agent's (tests use a scratch one). */
  netnsPath?: string;
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
}

export class PodCidrRoutes {
  readonly #protocol: number;
  readonly #netnsPath: string | undefined;

  constructor(options: PodCidrRoutesOptions = {}) {
    const protocol = options.protocol ?? pierRouteProtocol;
    if (!Number.isInteger(protocol) || protocol < 5 || protocol > 255) {
      throw new Error(`route protocol must be an integer in 5..255 (0-4 belong to the kernel), got ${protocol}`);
    }
    this.#protocol = protocol;
    this.#netnsPath = options.netnsPath;
  }

  /** The routes this agent currently owns. */
  async list(): Promise<PodCidrRoute[]> {
    const routes = await this.#routes(true);
    return routes.filter((r) => r.gateway !== undefined).map((r) => ({ podCidr: normalizeDst(r.dst), via: r.gateway as string }));
  }

  /**
   * Makes pier's routes exactly `routes`: adds the missing, moves those whose
   * gateway changed, deletes those no longer wanted. Destinations held by a
   * foreign route are reported as conflicts and left alone. Every route is
   * attempted; failures are thrown together at the end.
   */
  async sync(routes: readonly PodCidrRoute[]): Promise<PodCidrRouteSyncResult> {
    const wanted = new Map<string, PodCidrRoute>();
    for (const route of routes) {
      const podCidr = normalizeIpv4Cidr(route.podCidr);
      const via = parseIpv4(route.via, 'via');
      const prior = wanted.get(podCidr);
      if (prior && prior.via !== via) throw new Error(`pod CIDR ${podCidr} is routed both via ${prior.via} and via ${via}`);
      wanted.set(podCidr, { podCidr, via });
    }

    const [all, own] = await Promise.all([this.#routes(false), this.#routes(true)]);
    const ownByDst = new Map<string, IpRoute[]>();
    for (const r of own) {
      const dst = normalizeDst(r.dst);
      ownByDst.set(dst, [...(ownByDst.get(dst) ?? []), r]);
    }
    // A destination is foreign-held when it has more routes than pier's own.
    const foreign = new Map<string, IpRoute>();
    const counts = new Map<string, number>();
    for (const r of all) {
      const dst = normalizeDst(r.dst);
      counts.set(dst, (counts.get(dst) ?? 0) + 1);
      if ((counts.get(dst) ?? 0) > (ownByDst.get(dst)?.length ?? 0)) foreign.set(dst, r);
    }

    const result: PodCidrRouteSyncResult = { added: [], replaced: [], removed: [], conflicts: [] };
    const failures: Error[] = [];
    const attempt = async (what: string, args: string[]): Promise<boolean> => {
      try {
        await this.#ip(args);
        return true;
      } catch (err) {
        failures.push(new Error(`${what}: ${(err as Error).message}`, { cause: err }));
        return false;
      }
    };

    for (const [dst, existing] of ownByDst) {
      if (wanted.has(dst)) continue;
      for (const r of existing) {
        const args = ['route', 'del', dst, 'proto', String(this.#protocol), 'table', 'main'];
        if (r.gateway) args.push('via', r.gateway);
        if (r.metric !== undefined) args.push('metric', String(r.metric));
        if (await attempt(`remove route ${dst}`, args)) result.removed.push({ podCidr: dst, via: r.gateway ?? '' });
      }
    }

    for (const route of wanted.values()) {
      const mine = ownByDst.get(route.podCidr) ?? [];
      if (mine.length === 1 && mine[0]?.gateway === route.via && mine[0].metric === undefined) continue;
      const held = foreign.get(route.podCidr);
      if (held) {
        result.conflicts.push({ route, existing: describe(held) });
        continue;
      }
      const set = ['via', route.via, 'proto', String(this.#protocol), 'table', 'main'];
      if (mine.length === 0) {
        if (await attempt(`add route ${route.podCidr} via ${route.via}`, ['route', 'add', route.podCidr, ...set])) result.added.push(route);
        continue;
      }
      // Only pier's routes sit at this destination, so replacing cannot hit a foreign one.
      for (const extra of mine.slice(1)) {
        await attempt(`remove duplicate route ${route.podCidr}`, ['route', 'del', route.podCidr, 'proto', String(this.#protocol), 'table', 'main', ...(extra.metric !== undefined ? ['metric', String(extra.metric)] : [])]);
      }
      const first = mine[0];
      if (first?.metric !== undefined) {
        await attempt(`remove route ${route.podCidr}`, ['route', 'del', route.podCidr, 'proto', String(this.#protocol), 'table', 'main', 'metric', String(first.metric)]);
        if (await attempt(`add route ${route.podCidr} via ${route.via}`, ['route', 'add', route.podCidr, ...set])) result.replaced.push(route);
      } else if (await attempt(`replace route ${route.podCidr} via ${route.via}`, ['route', 'replace', route.podCidr, ...set])) {
        result.replaced.push(route);
      }
    }

    if (failures.length > 0) throw new AggregateError(failures, `pod CIDR routes: ${failures.map((e) => e.message).join('; ')}`);
    return result;
  }

  async #routes(ownOnly: boolean): Promise<IpRoute[]> {
    const args = ['-j', '-4', 'route', 'show', 'table', 'main'];
    if (ownOnly) args.push('proto', String(this.#protocol));
    const text = (await this.#ip(args)).trim();
    return text === '' ? [] : (JSON.parse(text) as IpRoute[]);
  }

  #ip(args: string[]): Promise<string> {
    return this.#netnsPath === undefined
      ? runCommand('ip', args)
      : runCommand('nsenter', [`--net=${this.#netnsPath}`, '--', 'ip', ...args]);
  }
}

function describe(r: IpRoute): string {
  return [r.dst, r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : '', r.protocol ? `proto ${r.protocol}` : '']
    .filter(Boolean)
    .join(' ');
}

/** `ip -j` prints host routes without a prefix length and 0.0.0.0/0 as "default". */
function normalizeDst(dst: string): string {
  if (dst === 'default') return '0.0.0.0/0';
  return dst.includes('/') ? dst : `${dst}/32`;
}
