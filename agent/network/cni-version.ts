/**
 * Choosing the spec version a network configuration list declares: the
 * newest one every plugin in it supports (libcni's version.GreaterThanOrEqualTo
 * logic, applied across the plugins' VERSION answers).
 */
import type { CniVersionInfo } from './cni-types.ts';

/** Versions pier can speak, newest first. 1.0.0 Results drop `ips[].version`. */
export const supportedCniVersions = ['1.0.0', '0.4.0', '0.3.1'] as const;

/** Compares dotted versions numerically: negative, zero or positive. */
export function compareCniVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest of pier's versions every plugin lists; throws when there is none. */
export function negotiateCniVersion(plugins: ReadonlyArray<{ type: string; info: CniVersionInfo }>): string {
  for (const version of supportedCniVersions) {
    if (plugins.every((p) => p.info.supportedVersions.includes(version))) return version;
  }
  const offered = plugins.map((p) => `${p.type}: ${p.info.supportedVersions.join(',')}`).join('; ');
  throw new Error(`no CNI version common to pier (${supportedCniVersions.join(',')}) and the plugins (${offered})`);
}
