/**
 * What the API server serves, read from its legacy discovery documents
 * (/api/v1, /apis, /apis/{group}/{preferred version}), as client-go's
 * ServerPreferredResources; plus the kind → resource lookup a RESTMapper
 * gives. The garbage collector and the namespace controller both ask it which
 * kinds exist instead of hard-coding a list, and re-ask periodically because
 * kinds are added to the server over time.
 *
 * Lives here until the shared client grows a discovery package.
 */
import type { RestClient } from '../rest/rest-client.ts';

/** One resource (never a subresource) at its group's preferred version. */
export interface DiscoveredResource {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: readonly string[];
}

/** A discovery round: every resource found, plus the groups that could not be read. */
export interface DiscoveryResult {
  resources: DiscoveredResource[];
  /** `group/version` → why it failed (apimachinery ErrGroupDiscoveryFailed). */
  failedGroups: Map<string, string>;
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: Array<{ name?: string; kind?: string; namespaced?: boolean; verbs?: string[] }>;
}

interface ApiGroupList {
  groups?: Array<{ name?: string; preferredVersion?: { version?: string }; versions?: Array<{ version?: string }> }>;
}

export function groupVersionOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(resource: Pick<DiscoveredResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** `group/plural`, the GroupResource string used as a map key. */
export function groupResourceKey(resource: Pick<DiscoveredResource, 'group' | 'plural'>): string {
  return `${resource.plural}.${resource.group}`;
}

/** True when the resource supports every verb in `verbs` (discovery.SupportsAllVerbs). */
export function supportsAllVerbs(resource: DiscoveredResource, verbs: readonly string[]): boolean {
  return verbs.every((v) => resource.verbs.includes(v));
}

/** Reads discovery once. A group that fails is reported, the rest are still answered. */
export async function discoverResources(client: RestClient, signal?: AbortSignal): Promise<DiscoveryResult> {
  const opts = signal ? { signal } : {};
  const resources: DiscoveredResource[] = [];
  const failedGroups = new Map<string, string>();
  const readList = async (urlPath: string, group: string, version: string) => {
    try {
      const list = await client.getAbsPath<ApiResourceList>(urlPath, opts);
      for (const r of list.resources ?? []) {
        if (!r.name || r.name.includes('/') || !r.kind) continue;
        resources.push({ group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced === true, verbs: r.verbs ?? [] });
      }
    } catch (err) {
      failedGroups.set(group === '' ? version : `${group}/${version}`, err instanceof Error ? err.message : String(err));
    }
  };
  const groups = await client.getAbsPath<ApiGroupList>('/apis', opts);
  const reads: Array<Promise<void>> = [readList('/api/v1', '', 'v1')];
  for (const g of groups.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (!g.name || !version) continue;
    reads.push(readList(`/apis/${encodeURIComponent(g.name)}/${encodeURIComponent(version)}`, g.name, version));
  }
  await Promise.all(reads);
  return { resources, failedGroups };
}

/**
 * The last discovery result, indexed for the lookups controllers make: by
 * `apiVersion` + `kind` (owner references), and by group + kind when the owner
 * reference names a version that is not the preferred one.
 */
export class ResourceMapper {
  #byVersionKind = new Map<string, DiscoveredResource>();
  #byGroupKind = new Map<string, DiscoveredResource>();
  #resources: DiscoveredResource[] = [];

  get resources(): readonly DiscoveredResource[] {
    return this.#resources;
  }

  update(resources: readonly DiscoveredResource[]): void {
    this.#resources = [...resources];
    this.#byVersionKind = new Map();
    this.#byGroupKind = new Map();
    for (const r of resources) {
      this.#byVersionKind.set(`${apiVersionOf(r)}/${r.kind}`, r);
      this.#byGroupKind.set(`${r.group}/${r.kind}`, r);
    }
  }

  /** The resource serving `kind` in `apiVersion`'s group, or undefined when the server does not know it. */
  resourceFor(apiVersion: string, kind: string): DiscoveredResource | undefined {
    const exact = this.#byVersionKind.get(`${apiVersion}/${kind}`);
    if (exact) return exact;
    const { group } = groupVersionOf(apiVersion);
    return this.#byGroupKind.get(`${group}/${kind}`);
  }
}
