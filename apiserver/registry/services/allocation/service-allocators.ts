/**
 * ClusterIP and NodePort allocation for Services (as kubernetes'
 * pkg/registry/core/service/storage alloc.go, wired through the Store's
 * BeginCreate/BeginUpdate/AfterDelete hooks): allocate on create (a requested
 * value if free, else a random one), carry on update, release on delete, and
 * undo whatever a failed write allocated so a 422 never leaks an IP or port.
 *
 * Single-stack IPv4 only: one ClusterIP range, family IPv4.
 */
import type { KubeObject } from '../../../../client/api/meta.ts';
import { newInternalError, newInvalid, type FieldError } from '../../../errors/status-error.ts';
import type { Storage } from '../../../storage/interface.ts';
import type { FinishFunc, StoreHooks } from '../../generic-store.ts';
import { isUnset, objectField, objectItems, stringField, type JsonObject } from '../../kinds/unstructured.ts';
import { AllocationError, ipAllocated, isIP, NodePortRange, portAllocated, rangeFull, ServiceIPRange } from './service-ip-range.ts';
import { serviceIPsRangeKey, serviceNodePortsRangeKey, StoredAllocator } from './stored-allocator.ts';

export const defaultServiceClusterIPRange = '10.96.0.0/12';
export const defaultServiceNodePortRange = '30000-32767';

export interface ServiceAllocatorsOptions {
  /** `--service-cluster-ip-range`; default 10.96.0.0/12. */
  serviceClusterIpRange?: string;
  /** `--service-node-port-range`; default 30000-32767. */
  serviceNodePortRange?: string;
}

/** Allocations made for one write, undone if the write fails. */
interface Allocated {
  ips: string[];
  ports: number[];
}

function specOf(svc: KubeObject): JsonObject | undefined {
  return objectField(svc, 'spec');
}

function typeOf(spec: JsonObject | undefined): string {
  return stringField(spec, 'type') ?? 'ClusterIP';
}

function nameOf(svc: KubeObject): string {
  return svc.metadata.name ?? svc.metadata.generateName ?? '';
}

function needsClusterIP(spec: JsonObject | undefined): boolean {
  return typeOf(spec) !== 'ExternalName';
}

function needsNodePorts(spec: JsonObject | undefined): boolean {
  const type = typeOf(spec);
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** LoadBalancer services may opt out of NodePorts (allocateLoadBalancerNodePorts: false). */
function shouldAllocateNodePorts(spec: JsonObject | undefined): boolean {
  if (typeOf(spec) === 'NodePort') return true;
  if (typeOf(spec) === 'LoadBalancer') return spec?.['allocateLoadBalancerNodePorts'] !== false;
  return false;
}

/** NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local. */
function needsHealthCheck(spec: JsonObject | undefined): boolean {
  return typeOf(spec) === 'LoadBalancer' && spec?.['externalTrafficPolicy'] === 'Local';
}

function nodePortOf(port: JsonObject): number {
  const n = port['nodePort'];
  return typeof n === 'number' ? n : 0;
}

function healthCheckNodePortOf(spec: JsonObject | undefined): number {
  const n = spec?.['healthCheckNodePort'];
  return typeof n === 'number' ? n : 0;
}

/** Every NodePort a Service holds (collectServiceNodePorts), health check included. */
export function serviceNodePorts(svc: KubeObject): number[] {
  const spec = specOf(svc);
  const ports = new Set<number>();
  for (const p of objectItems(spec, 'ports')) if (nodePortOf(p) > 0) ports.add(nodePortOf(p));
  if (healthCheckNodePortOf(spec) > 0) ports.add(healthCheckNodePortOf(spec));
  return [...ports];
}

/** The ClusterIPs a Service holds (none for headless and ExternalName). */
export function serviceClusterIPs(svc: KubeObject): string[] {
  const spec = specOf(svc);
  if (!needsClusterIP(spec)) return [];
  const ips = Array.isArray(spec?.['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : [spec?.['clusterIP']];
  return ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
}

function clusterIPsValue(spec: JsonObject): unknown {
  return Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'] : [spec['clusterIP'] ?? ''];
}

export class ServiceAllocators {
  readonly ipRange: ServiceIPRange;
  readonly nodePortRange: NodePortRange;
  readonly ips: StoredAllocator;
  readonly nodePorts: StoredAllocator;
  /** The hooks to give the services GenericStore. */
  readonly hooks: StoreHooks;

  constructor(storage: Storage, options: ServiceAllocatorsOptions = {}) {
    this.ipRange = ServiceIPRange.parse(options.serviceClusterIpRange ?? defaultServiceClusterIPRange);
    this.nodePortRange = NodePortRange.parse(options.serviceNodePortRange ?? defaultServiceNodePortRange);
    this.ips = new StoredAllocator(storage, serviceIPsRangeKey, this.ipRange.cidr.text, this.ipRange.max, this.ipRange.staticBand);
    this.nodePorts = new StoredAllocator(storage, serviceNodePortsRangeKey, this.nodePortRange.text, this.nodePortRange.size, this.nodePortRange.staticBand);
    this.hooks = {
      beginCreate: (obj, opts) => this.beginCreate(obj, opts.dryRun),
      beginUpdate: (obj, old, opts) => this.beginUpdate(obj, old, opts.dryRun),
      afterDelete: (obj) => this.releaseAllocatedResources(obj),
    };
  }

  /** Allocates what a new Service needs; the FinishFunc releases it unless the create succeeded. */
  async beginCreate(svc: KubeObject, dryRun: boolean): Promise<FinishFunc> {
    const spec = specOf(svc);
    if (!spec) return async () => undefined;
    const allocated: Allocated = { ips: [], ports: [] };
    try {
      this.#normalizeClusterIPs(svc, spec);
      if (needsClusterIP(spec)) await this.#allocClusterIP(svc, spec, allocated, dryRun);
      if (needsNodePorts(spec)) await this.#initNodePorts(svc, spec, new Set(), allocated, dryRun);
      if (needsHealthCheck(spec)) await this.#allocHealthCheckNodePort(svc, spec, new Set(), allocated, dryRun);
    } catch (err) {
      await this.#release(allocated, dryRun);
      throw err;
    }
    return async (success) => {
      if (!success) await this.#release(allocated, dryRun);
    };
  }

  /**
   * Allocates what an updated Service newly needs and schedules the release of
   * what it no longer holds; nothing is released unless the update is stored.
   */
  async beginUpdate(svc: KubeObject, old: KubeObject, dryRun: boolean): Promise<FinishFunc> {
    const spec = specOf(svc);
    const oldSpec = specOf(old);
    if (!spec || !oldSpec) return async () => undefined;
    this.#dropTypeDependentFields(spec, oldSpec);
    this.#patchAllocatedNodePorts(spec, oldSpec);
    const allocated: Allocated = { ips: [], ports: [] };
    const toRelease: Allocated = { ips: [], ports: [] };
    try {
      // ExternalName to anything else: a ClusterIP as on create.
      if (!needsClusterIP(oldSpec) && needsClusterIP(spec)) {
        this.#normalizeClusterIPs(svc, spec);
        await this.#allocClusterIP(svc, spec, allocated, dryRun);
      } else if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
        toRelease.ips.push(...serviceClusterIPs(old));
      }
      const oldPorts = new Set(serviceNodePorts(old));
      if (needsNodePorts(spec)) await this.#initNodePorts(svc, spec, oldPorts, allocated, dryRun);
      if (needsHealthCheck(spec)) await this.#allocHealthCheckNodePort(svc, spec, oldPorts, allocated, dryRun);
      const newPorts = new Set(serviceNodePorts(svc));
      for (const port of oldPorts) if (!newPorts.has(port)) toRelease.ports.push(port);
    } catch (err) {
      await this.#release(allocated, dryRun);
      throw err;
    }
    return async (success) => {
      await this.#release(success ? toRelease : allocated, dryRun);
    };
  }

  /** AfterDelete: the Service's ClusterIPs and NodePorts go back to the pools. */
  async releaseAllocatedResources(svc: KubeObject): Promise<void> {
    await this.#release({ ips: serviceClusterIPs(svc), ports: serviceNodePorts(svc) }, false);
  }

  /** How many ClusterIPs are allocated right now (read from etcd). */
  async allocatedIPCount(): Promise<number> {
    return (await this.ips.current()).used();
  }

  async allocatedNodePortCount(): Promise<number> {
    return (await this.nodePorts.current()).used();
  }

  /** clusterIP and clusterIPs[0] say the same thing (normalizeClusterIPs); a mismatch is the client's error. */
  #normalizeClusterIPs(svc: KubeObject, spec: JsonObject): void {
    const clusterIPs = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : undefined;
    const first = clusterIPs?.[0];
    if (isUnset(spec['clusterIP']) && typeof first === 'string' && first !== '') spec['clusterIP'] = first;
    const clusterIP = stringField(spec, 'clusterIP') ?? '';
    if (clusterIP !== '' && (clusterIPs === undefined || clusterIPs.length === 0)) spec['clusterIPs'] = [clusterIP];
    if (clusterIPs && clusterIPs.length > 0 && first !== clusterIP) {
      throw newInvalid('', 'Service', nameOf(svc), [
        { type: 'Invalid', path: 'spec.clusterIPs', value: clusterIPsValue(spec), detail: 'first value must match `clusterIP`' },
      ]);
    }
    if (clusterIPs && clusterIPs.length > 1) {
      throw newInvalid('', 'Service', nameOf(svc), [
        { type: 'Invalid', path: 'spec.ipFamilyPolicy', value: spec['ipFamilyPolicy'] ?? 'SingleStack', detail: "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified" },
      ]);
    }
  }

  async #allocClusterIP(svc: KubeObject, spec: JsonObject, allocated: Allocated, dryRun: boolean): Promise<void> {
    const requested = stringField(spec, 'clusterIP') ?? '';
    if (requested === 'None') return;
    if (requested === '') {
      let ip: string;
      if (dryRun) {
        // As ipallocator's dry run: the range's network address stands in; nothing is reserved.
        ip = this.ipRange.cidr.text.split('/')[0]!;
      } else {
        const offset = await this.ips.allocateNext();
        if (offset === undefined) throw newInternalError(new Error(`failed to allocate a serviceIP: ${rangeFull().message}`));
        ip = this.ipRange.ipAt(offset);
        allocated.ips.push(ip);
      }
      spec['clusterIP'] = ip;
      spec['clusterIPs'] = [ip];
      return;
    }
    if (!isIP(requested)) {
      throw newInvalid('', 'Service', nameOf(svc), [
        { type: 'Invalid', path: 'spec.clusterIPs[0]', value: requested, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' },
      ]);
    }
    const fail = (err: AllocationError) =>
      newInvalid('', 'Service', nameOf(svc), [
        { type: 'Invalid', path: 'spec.clusterIPs', value: clusterIPsValue(spec), detail: `failed to allocate IP ${requested}: ${err.message}` },
      ]);
    const offset = this.ipRange.offsetOf(requested);
    if (offset === undefined) throw fail(this.ipRange.notInRange());
    if (dryRun) return;
    if (!(await this.ips.allocate(offset))) throw fail(ipAllocated());
    allocated.ips.push(requested);
  }

  /** One NodePort, requested or not; `owned` are the ones the old object already holds. */
  async #allocNodePort(requested: number, owned: Set<number>, allocated: Allocated, dryRun: boolean): Promise<number> {
    if (requested > 0) {
      if (owned.has(requested) || allocated.ports.includes(requested)) return requested;
      const offset = this.nodePortRange.offsetOf(requested);
      if (offset === undefined) throw this.nodePortRange.notInRange();
      if (dryRun) return requested;
      if (!(await this.nodePorts.allocate(offset))) throw portAllocated();
      allocated.ports.push(requested);
      return requested;
    }
    if (dryRun) {
      const offset = (await this.nodePorts.current()).peekNext();
      if (offset === undefined) throw rangeFull();
      return this.nodePortRange.base + offset;
    }
    const offset = await this.nodePorts.allocateNext();
    if (offset === undefined) throw rangeFull();
    const port = this.nodePortRange.base + offset;
    allocated.ports.push(port);
    return port;
  }

  /** initNodePorts/updateNodePorts: ports with the same number share one NodePort. */
  async #initNodePorts(svc: KubeObject, spec: JsonObject, owned: Set<number>, allocated: Allocated, dryRun: boolean): Promise<void> {
    const byServicePort = new Map<unknown, number>();
    const ports = objectItems(spec, 'ports');
    for (let i = 0; i < ports.length; i++) {
      const port = ports[i]!;
      const requested = nodePortOf(port);
      if (requested === 0 && !shouldAllocateNodePorts(spec)) continue;
      const shared = byServicePort.get(port['port']);
      if (shared !== undefined && (requested === 0 || requested === shared)) {
        port['nodePort'] = shared;
        continue;
      }
      // findRequestedNodePort: another port entry with the same number may name the NodePort.
      const want = requested > 0 ? requested : nodePortOf(ports.find((p) => p['port'] === port['port'] && nodePortOf(p) > 0) ?? {});
      try {
        const got = await this.#allocNodePort(want, owned, allocated, dryRun);
        port['nodePort'] = got;
        if (shared === undefined) byServicePort.set(port['port'], got);
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
        if (err.failure === 'Full') throw newInternalError(new Error(`failed to allocate a nodePort: ${err.message}`));
        const errs: FieldError[] = [{ type: 'Invalid', path: `spec.ports[${i}].nodePort`, value: want, detail: err.message }];
        throw newInvalid('', 'Service', nameOf(svc), errs);
      }
    }
  }

  async #allocHealthCheckNodePort(_svc: KubeObject, spec: JsonObject, owned: Set<number>, allocated: Allocated, dryRun: boolean): Promise<void> {
    const requested = healthCheckNodePortOf(spec);
    try {
      spec['healthCheckNodePort'] = await this.#allocNodePort(requested, owned, allocated, dryRun);
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      throw newInternalError(
        new Error(requested > 0 ? `failed to allocate requested HealthCheck NodePort ${requested}: ${err.message}` : `failed to allocate a HealthCheck NodePort ${requested}: ${err.message}`),
      );
    }
  }

  /**
   * dropTypeDependentFields: a type change that leaves the allocated values
   * untouched means the client did not ask to keep them, so they go.
   */
  #dropTypeDependentFields(spec: JsonObject, oldSpec: JsonObject): void {
    if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
      const same = JSON.stringify(spec['clusterIPs'] ?? null) === JSON.stringify(oldSpec['clusterIPs'] ?? null) && spec['clusterIP'] === oldSpec['clusterIP'];
      if (same) {
        delete spec['clusterIP'];
        delete spec['clusterIPs'];
        delete spec['ipFamilies'];
        delete spec['ipFamilyPolicy'];
      }
    }
    if (needsNodePorts(oldSpec) && !needsNodePorts(spec)) {
      const oldPorts = objectItems(oldSpec, 'ports');
      const ports = objectItems(spec, 'ports');
      const same = ports.every((p, i) => nodePortOf(p) === 0 || nodePortOf(p) === nodePortOf(oldPorts[i] ?? {}));
      if (same) for (const p of ports) delete p['nodePort'];
    }
    if (needsHealthCheck(oldSpec) && !needsHealthCheck(spec) && spec['healthCheckNodePort'] === oldSpec['healthCheckNodePort']) {
      delete spec['healthCheckNodePort'];
    }
  }

  /** patchAllocatedValues for NodePorts: a port that omits its NodePort keeps the one its name had. */
  #patchAllocatedNodePorts(spec: JsonObject, oldSpec: JsonObject): void {
    if (!needsNodePorts(oldSpec) || !needsNodePorts(spec)) return;
    const oldPorts = objectItems(oldSpec, 'ports');
    const ports = objectItems(spec, 'ports');
    const usedNew = new Set(ports.map(nodePortOf).filter((n) => n > 0));
    const byName = new Map<string, number>();
    for (const p of oldPorts) byName.set(stringField(p, 'name') ?? '', nodePortOf(p));
    for (const p of ports) {
      if (nodePortOf(p) !== 0) continue;
      const previous = byName.get(stringField(p, 'name') ?? '') ?? 0;
      if (previous > 0 && !usedNew.has(previous)) {
        p['nodePort'] = previous;
        usedNew.add(previous);
      }
    }
    if (needsHealthCheck(oldSpec) && needsHealthCheck(spec) && healthCheckNodePortOf(spec) === 0 && healthCheckNodePortOf(oldSpec) > 0) {
      spec['healthCheckNodePort'] = oldSpec['healthCheckNodePort'];
    }
  }

  async #release(what: Allocated, dryRun: boolean): Promise<void> {
    if (dryRun) return;
    for (const ip of what.ips) {
      const offset = this.ipRange.offsetOf(ip);
      if (offset !== undefined) await this.ips.release(offset);
    }
    for (const port of what.ports) {
      const offset = this.nodePortRange.offsetOf(port);
      if (offset !== undefined) await this.nodePorts.release(offset);
    }
  }
}
