/**
 * Makes a container's image present before it is created (kubelet's
 * images.imageManager EnsureImageExists): applies imagePullPolicy, pulls
 * with the pod's imagePullSecrets, backs off failed pulls (10 s doubling to
 * 5 min) and records the kubelet's events with its wording.
 */
import type { AuthConfig, ImageService } from '../cri/api.ts';
import type { ContainerImageProvider } from '../cri/image-provider.ts';
import { defaultPullPolicy } from '../images/pull-policy.ts';
import { parseNormalizedNamed } from '../images/reference.ts';
import { Backoff } from './backoff.ts';
import type { ConfigSource } from './container-config.ts';
import type { Container, Pod } from './pod-types.ts';

export type ImagePullErrorReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName';

/** A container cannot start for want of its image; `reason` becomes its waiting reason. */
export class ImagePullError extends Error {
  readonly reason: ImagePullErrorReason;
  constructor(reason: ImagePullErrorReason, message: string) {
    super(message);
    this.name = 'ImagePullError';
    this.reason = reason;
  }
}

/** Records an event about one container of a pod. */
export type ContainerEventSink = (pod: Pod, container: Container, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface ImagePullerOptions {
  images: ImageService & ContainerImageProvider;
  configs: ConfigSource;
  event: ContainerEventSink;
  backoff?: Backoff;
}

/** Go's time.Duration.String, near enough for event messages ("1.234s", "512ms"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

export class ImagePuller {
  readonly #images: ImageService & ContainerImageProvider;
  readonly #configs: ConfigSource;
  readonly #event: ContainerEventSink;
  readonly backoff: Backoff;

  constructor(options: ImagePullerOptions) {
    this.#images = options.images;
    this.#configs = options.configs;
    this.#event = options.event;
    this.backoff = options.backoff ?? new Backoff({ initialMs: 10_000, maxMs: 300_000 });
  }

  /** Returns the image reference (ID) to create the container from; throws ImagePullError. */
  async ensureImageExists(pod: Pod, container: Container): Promise<string> {
    const image = container.image;
    try {
      parseNormalizedNamed(image);
    } catch (err) {
      const msg = `Failed to apply default image tag "${image}": ${(err as Error).message}`;
      this.#event(pod, container, 'Warning', 'InspectFailed', msg);
      throw new ImagePullError('InvalidImageName', msg);
    }
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image);
    const present = (await this.#images.imageStatus({ image })).image;
    if (present && policy !== 'Always') {
      this.#event(pod, container, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present.id;
    }
    if (!present && policy === 'Never') {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.#event(pod, container, 'Warning', 'ErrImageNeverPull', msg);
      throw new ImagePullError('ErrImageNeverPull', msg);
    }
    const key = `${pod.metadata.uid ?? ''}_${image}`;
    if (this.backoff.isInBackOffSinceUpdate(key)) {
      const msg = `Back-off pulling image "${image}"`;
      this.#event(pod, container, 'Normal', 'BackOff', msg);
      throw new ImagePullError('ImagePullBackOff', msg);
    }
    this.#event(pod, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    let ref: string;
    try {
      const auth = await this.#authFor(pod, image);
      ref = await this.#images.pullImage({ image }, auth);
    } catch (err) {
      this.backoff.next(key);
      const msg = (err as Error).message;
      this.#event(pod, container, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      throw new ImagePullError('ErrImagePull', msg);
    }
    this.backoff.reset(key);
    const took = formatDuration(Date.now() - started);
    const size = (await this.#images.imageStatus({ image: ref })).image?.size ?? 0;
    this.#event(pod, container, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    return ref;
  }

  /** Credentials for the image's registry from the pod's imagePullSecrets (.dockerconfigjson / .dockercfg). */
  async #authFor(pod: Pod, image: string): Promise<AuthConfig | undefined> {
    const secrets = pod.spec.imagePullSecrets ?? [];
    if (secrets.length === 0) return undefined;
    const domain = parseNormalizedNamed(image).domain;
    const hosts = domain === 'docker.io' ? ['docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io'] : [domain];
    for (const { name } of secrets) {
      const s = await this.#configs.getSecret(pod.metadata.namespace ?? 'default', name);
      if (!s?.data) continue;
      const raw = s.data['.dockerconfigjson'] ?? s.data['.dockercfg'];
      if (raw === undefined) continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Record<string, unknown>;
      } catch {
        continue;
      }
      const auths = (parsed.auths ?? parsed) as Record<string, { username?: string; password?: string; auth?: string }>;
      for (const [server, entry] of Object.entries(auths)) {
        const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
        if (!hosts.includes(server) && !hosts.includes(host)) continue;
        const auth: AuthConfig = { serverAddress: server };
        if (entry.username) auth.username = entry.username;
        if (entry.password) auth.password = entry.password;
        if (entry.auth) auth.auth = entry.auth;
        return auth;
      }
    }
    return undefined;
  }

  /** How long the pull back-off of the container's image still runs. */
  backoffRemainingMs(pod: Pod, container: Container): number | undefined {
    const key = `${pod.metadata.uid ?? ''}_${container.image}`;
    const left = this.backoff.remainingSinceUpdateMs(key);
    return left;
  }

  /** Forget a pod's pull back-offs (it went away). */
  forgetPod(uid: string): void {
    this.backoff.forgetPrefix(`${uid}_`);
  }
}
