/**
 * Choosing one manifest from an image index / manifest list, as containerd's
 * platforms.Only matcher: the node's os/architecture (linux/amd64 on pier's
 * nodes), entries without a platform and attestation entries never match.
 */
import type { Descriptor, ImageIndex, Platform } from './oci-image-spec.ts';

export const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

export function platformString(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The entry for `want`; an entry with the wanted variant beats one without. Throws naming the platforms on offer. */
export function selectPlatformManifest(index: ImageIndex, want: Platform = defaultPlatform, what = 'image'): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.platform !== undefined && m.platform.os === want.os && m.platform.architecture === want.architecture,
  );
  const exact = candidates.find((m) => (m.platform?.variant ?? '') === (want.variant ?? ''));
  const chosen = exact ?? candidates.find((m) => want.variant === undefined || m.platform?.variant === undefined) ?? undefined;
  if (chosen) return chosen;
  const offered = index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => platformString(m.platform!));
  throw new Error(`${what}: no manifest for platform ${platformString(want)} (image has ${offered.length > 0 ? offered.join(', ') : 'no platform manifests'})`);
}
