/**
 * The labels and annotations the kubelet puts on sandboxes and containers
 * (pkg/kubelet/kuberuntime/labels.go), so a pod's runtime objects are found
 * again by its UID, and its restart count and spec hash survive an agent
 * restart without any state of the agent's own.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from './pod-types.ts';

export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const podUidLabel = 'io.kubernetes.pod.uid';
export const containerNameLabel = 'io.kubernetes.container.name';
/** pier: `sandbox` or `container`, as CRI-O's io.kubernetes.cri-o.ContainerType. */
export const managedByLabel = 'pier.dev/managed-by';
export const managedByValue = 'pier-agent';

export const containerHashAnnotation = 'io.kubernetes.container.hash';
export const containerRestartCountAnnotation = 'io.kubernetes.container.restartCount';
export const containerTerminationMessagePathAnnotation = 'io.kubernetes.container.terminationMessagePath';
export const podTerminationGracePeriodAnnotation = 'io.kubernetes.pod.terminationGracePeriod';
/** pier: whether the container is an init container (kubelet tells them apart by name against the spec). */
export const containerTypeAnnotation = 'pier.dev/container-type';

export function sandboxLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [podNameLabel]: pod.metadata.name ?? '',
    [podNamespaceLabel]: pod.metadata.namespace ?? '',
    [podUidLabel]: pod.metadata.uid ?? '',
    [managedByLabel]: managedByValue,
  };
}

export function containerLabels(pod: Pod, container: Container): Record<string, string> {
  return {
    [podNameLabel]: pod.metadata.name ?? '',
    [podNamespaceLabel]: pod.metadata.namespace ?? '',
    [podUidLabel]: pod.metadata.uid ?? '',
    [containerNameLabel]: container.name,
    [managedByLabel]: managedByValue,
  };
}

export function containerAnnotations(pod: Pod, container: Container, restartCount: number, init: boolean): Record<string, string> {
  return {
    [containerHashAnnotation]: containerHash(container),
    [containerRestartCountAnnotation]: String(restartCount),
    [containerTerminationMessagePathAnnotation]: container.terminationMessagePath ?? '',
    [podTerminationGracePeriodAnnotation]: String(pod.spec.terminationGracePeriodSeconds ?? 30),
    [containerTypeAnnotation]: init ? 'init' : 'regular',
  };
}

/** JSON with sorted keys, so equal specs hash equally whatever order the API server wrote them in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A hash of the container's spec (kubecontainer.HashContainer): a running
 * container whose spec no longer hashes the same is restarted. Resources
 * are left out, as the kubelet does, since they may be resized in place.
 */
export function containerHash(container: Container): string {
  const { resources: _resources, ...rest } = container;
  return createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 8);
}
