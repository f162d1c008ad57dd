/**
 * The matching rules of CRI's ListPodSandbox/ListContainers filters, shared
 * by every runtime: unset fields match everything, labelSelector is an AND
 * of exact pairs (as containerd's `filterCRIContainers`).
 */
import type { Container, ContainerFilter, PodSandbox, PodSandboxFilter } from './api.ts';

export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function matchesPodSandboxFilter(sandbox: PodSandbox, filter: PodSandboxFilter | undefined): boolean {
  if (!filter) return true;
  // Prefixes match, as containerd's truncindex lets `crictl` use short IDs.
  if (filter.id && !sandbox.id.startsWith(filter.id)) return false;
  if (filter.state && sandbox.state !== filter.state.state) return false;
  return matchesLabels(sandbox.labels, filter.labelSelector);
}

export function matchesContainerFilter(container: Container, filter: ContainerFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.id && !container.id.startsWith(filter.id)) return false;
  if (filter.podSandboxId && container.podSandboxId !== filter.podSandboxId) return false;
  if (filter.state && container.state !== filter.state.state) return false;
  return matchesLabels(container.labels, filter.labelSelector);
}
