/**
 * A container's imagePullPolicy, as kubelet applies it (pkg/kubelet/images
 * image_manager.go EnsureImageExists / shouldPullImage) and as the API server
 * defaults it (pkg/apis/core/v1/defaults.go SetDefaults_Container).
 */
import { parseNormalizedNamed } from './reference.ts';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** kubelet's `ErrImageNeverPull`: the image is absent and the policy forbids pulling it. */
export class ImageNeverPullError extends Error {
  readonly reason = 'ErrImageNeverPull';
  constructor(image: string) {
    super(`Container image "${image}" is not present with pull policy of Never`);
    this.name = 'ImageNeverPullError';
  }
}

/**
 * `Always` when the tag is `latest` or there is neither tag nor digest, else
 * `IfNotPresent` (an image pinned by digest alone is never re-pulled). An
 * unparseable image defaults to IfNotPresent; the pull then reports InvalidImageName.
 */
export function defaultPullPolicy(image: string): PullPolicy {
  let ref;
  try {
    ref = parseNormalizedNamed(image);
  } catch {
    return 'IfNotPresent';
  }
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Whether to pull; throws ImageNeverPullError for `Never` with the image absent. */
export function shouldPullImage(policy: PullPolicy, present: boolean, image: string): boolean {
  switch (policy) {
    case 'Always':
      return true;
    case 'IfNotPresent':
      return !present;
    case 'Never':
      if (!present) throw new ImageNeverPullError(image);
      return false;
  }
}
