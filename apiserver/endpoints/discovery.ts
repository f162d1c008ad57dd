/**
 * API discovery derived from the resource table: legacy APIVersions /
 * APIGroupList / APIResourceList, and aggregated apidiscovery.k8s.io/v2
 * (what kubectl 1.32 asks for first; chosen by response Content-Type).
 */
import type { ResourceDefinition } from '../registry/types.ts';

export interface SubresourceInfo {
  /** e.g. 'status', 'scale', 'binding'. */
  name: string;
  group: string;
  version: string;
  kind: string;
  verbs: readonly string[];
}

/** The subresources each kind actually serves (derived from its definition and the handlers present). */
export function subresourcesOf(def: DiscoveryResource, served: ReadonlySet<string>): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  if (def.statusStrategy) out.push({ name: 'status', group: def.group, version: def.version, kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (def.scale) out.push({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  const extra: Record<string, Omit<SubresourceInfo, 'name'>> = {
    binding: { group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
    eviction: { group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    log: { group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
    exec: { group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    attach: { group: '', version: 'v1', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    portforward: { group: '', version: 'v1', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  };
  for (const name of def.extraSubresources ?? []) {
    const info = extra[name];
    if (info && served.has(name)) out.push({ name, ...info });
  }
  return out;
}

/** What discovery needs of a resource: stored kinds and virtual ones (access reviews) alike. */
export type DiscoveryResource = Pick<
  ResourceDefinition,
  'group' | 'version' | 'kind' | 'plural' | 'singular' | 'shortNames' | 'namespaced' | 'categories' | 'verbs' | 'statusStrategy' | 'scale' | 'extraSubresources'
>;

export interface GroupVersion {
  group: string;
  version: string;
  resources: DiscoveryResource[];
}

export function groupVersions(resources: readonly DiscoveryResource[]): GroupVersion[] {
  const byKey = new Map<string, GroupVersion>();
  for (const def of resources) {
    const key = `${def.group}/${def.version}`;
    let gv = byKey.get(key);
    if (!gv) byKey.set(key, (gv = { group: def.group, version: def.version, resources: [] }));
    gv.resources.push(def);
  }
  return [...byKey.values()];
}

export function legacyApiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(gv: GroupVersion): unknown {
  const groupVersion = `${gv.group}/${gv.version}`;
  return {
    name: gv.group,
    versions: [{ groupVersion, version: gv.version }],
    preferredVersion: { groupVersion, version: gv.version },
  };
}

export function legacyApiGroupList(gvs: readonly GroupVersion[]): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: gvs.filter((gv) => gv.group !== '').map(groupEntry) };
}

export function legacyApiGroup(gv: GroupVersion): unknown {
  return { kind: 'APIGroup', apiVersion: 'v1', ...(groupEntry(gv) as object) };
}

export function apiResourceList(gv: GroupVersion, served: ReadonlySet<string>): unknown {
  const resources: unknown[] = [];
  for (const def of gv.resources) {
    resources.push({
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
    });
    for (const sub of subresourcesOf(def, served)) {
      resources.push({
        name: `${def.plural}/${sub.name}`,
        singularName: '',
        namespaced: def.namespaced,
        ...(sub.group !== def.group || sub.version !== def.version ? { group: sub.group, version: sub.version } : {}),
        kind: sub.kind,
        verbs: sub.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
    resources,
  };
}

function aggregatedResource(def: DiscoveryResource, served: ReadonlySet<string>): unknown {
  return {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
    ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
    ...(def.categories.length ? { categories: def.categories } : {}),
    subresources: subresourcesOf(def, served).map((sub) => ({
      subresource: sub.name,
      responseKind: { group: sub.group, version: sub.version, kind: sub.kind },
      verbs: sub.verbs,
    })),
  };
}

/** Aggregated discovery for /api (legacy: true) or /apis. */
export function aggregatedDiscovery(gvs: readonly GroupVersion[], legacy: boolean, served: ReadonlySet<string>, version: 'v2' | 'v2beta1'): unknown {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: gvs
      .filter((gv) => (gv.group === '') === legacy)
      .map((gv) => ({
        metadata: { name: gv.group },
        versions: [{ version: gv.version, freshness: 'Current', resources: gv.resources.map((def) => aggregatedResource(def, served)) }],
      })),
  };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
