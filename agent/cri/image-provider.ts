/**
 * The seam between the container runtime and the image store (in containerd:
 * the runtime asks the content store for an image's config and the snapshotter
 * for a container's root filesystem). The runtime in agent/cri uses only this;
 * agent/images implements it over its content-addressed store and overlayfs.
 */

/** The parts of an OCI image config (`config` in application/vnd.oci.image.config.v1+json) a runtime uses. */
export interface ImageRuntimeConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

/** An image present on this host (CRI's Image message, plus its runtime config). */
export interface LocalImage {
  /** The image ID: the config blob's digest, `sha256:<hex>`. */
  id: string;
  /** Normalised names, e.g. `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** e.g. `127.0.0.1:5000/pier/busybox@sha256:<manifest digest>`. */
  repoDigests: string[];
  /** Sum of the compressed layer sizes, in bytes. */
  size: number;
  config: ImageRuntimeConfig;
}

/**
 * An OCI runtime-spec mount that produces the container's root filesystem:
 * `{ type: 'overlay', source: 'overlay', options: ['lowerdir=A:B', 'upperdir=U', 'workdir=W'] }`
 * (lowerdir lists the top layer first, as overlayfs wants).
 */
export interface RootfsMount {
  type: string;
  source: string;
  options: string[];
}

export interface ContainerImageProvider {
  /**
   * Finds a local image by any name a pod spec may use (`busybox`,
   * `docker.io/library/busybox:latest`, `name@sha256:…`) or by its ID;
   * undefined when it is not on this host.
   */
  resolve(image: string): Promise<LocalImage | undefined>;
  /**
   * Creates the container's writable layer over the image's read-only layers
   * and returns the mount for its rootfs. The runtime mounts it itself.
   * Idempotent for the same key.
   */
  prepareRootfs(key: string, imageId: string): Promise<RootfsMount>;
  /** Removes the writable layer made for `key` (already unmounted by the runtime). Idempotent. */
  removeRootfs(key: string): Promise<void>;
}
