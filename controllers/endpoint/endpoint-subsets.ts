/**
 * The canonical layout of Endpoints subsets (kubernetes pkg/api/v1/endpoints
 * RepackSubsets): every address offering exactly the same set of ports shares
 * one subset, not-ready beats ready for an address seen both ways, and
 * addresses and ports are sorted so equal contents compare equal.
 *
 * kube orders subsets and ports by a hash; pier orders them by content
 * (first address IP; port name, number, protocol), which is just as stable.
 */

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, string>;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** keyEndpointAddress: the IP plus the pod's UID, so one IP on two pods stays two addresses. */
function addressKey(a: EndpointAddress): string {
  return `${a.ip}|${a.targetRef?.['uid'] ?? ''}`;
}

function portKey(p: EndpointPort | undefined): string {
  return p ? JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? '']) : '';
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareIPs(a.ip, b.ip) || (a.targetRef?.['uid'] ?? '').localeCompare(b.targetRef?.['uid'] ?? '');
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4 && pa.every(Number.isFinite) && pb.every(Number.isFinite)) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? '');
}

export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  // port key → (address key → ready)
  const byPort = new Map<string, Map<string, boolean>>();
  const record = (port: EndpointPort | undefined, addr: EndpointAddress, ready: boolean) => {
    const pk = portKey(port);
    ports.set(pk, port);
    let set = byPort.get(pk);
    if (!set) byPort.set(pk, (set = new Map()));
    const ak = addressKey(addr);
    if (!addresses.has(ak)) addresses.set(ak, addr);
    const was = set.get(ak);
    if (was === undefined || was) set.set(ak, ready);
  };
  for (const subset of subsets) {
    const subsetPorts: Array<EndpointPort | undefined> = subset.ports && subset.ports.length > 0 ? subset.ports : [undefined];
    for (const port of subsetPorts) {
      for (const a of subset.addresses ?? []) record(port, a, true);
      for (const a of subset.notReadyAddresses ?? []) record(port, a, false);
    }
  }
  // Group ports by the exact (address, readiness) set that offers them.
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, set] of byPort) {
    const key = JSON.stringify([...set.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { set, ports: [] }));
    const port = ports.get(pk);
    if (port) group.ports.push(port);
  }
  const result: EndpointSubset[] = [];
  for (const { set, ports: groupPorts } of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, isReady] of set) (isReady ? ready : notReady).push(addresses.get(ak)!);
    const subset: EndpointSubset = {};
    if (ready.length > 0) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (groupPorts.length > 0) subset.ports = groupPorts.sort(comparePorts);
    result.push(subset);
  }
  const first = (s: EndpointSubset) => s.addresses?.[0] ?? s.notReadyAddresses?.[0];
  return result.sort((a, b) => {
    const fa = first(a);
    const fb = first(b);
    return (fa && fb ? compareAddresses(fa, fb) : 0) || portKey(a.ports?.[0]).localeCompare(portKey(b.ports?.[0]));
  });
}
