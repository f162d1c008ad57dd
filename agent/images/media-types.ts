/** The manifest, config and layer media types pier reads (OCI image-spec and Docker image manifest v2 schema 2). */

export const ociImageIndex = 'application/vnd.oci.image.index.v1+json';
export const ociImageManifest = 'application/vnd.oci.image.manifest.v1+json';
export const ociImageConfig = 'application/vnd.oci.image.config.v1+json';
export const ociLayer = 'application/vnd.oci.image.layer.v1.tar';
export const ociLayerGzip = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const ociLayerZstd = 'application/vnd.oci.image.layer.v1.tar+zstd';

export const dockerManifestList = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const dockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';
export const dockerImageConfig = 'application/vnd.docker.container.image.v1+json';
export const dockerLayer = 'application/vnd.docker.image.rootfs.diff.tar';
export const dockerLayerGzip = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** What a manifest GET accepts, preferred first (containerd's resolver sends the same set). */
export const manifestAccept = [ociImageIndex, dockerManifestList, ociImageManifest, dockerManifest];

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === ociImageIndex || mediaType === dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === ociImageManifest || mediaType === dockerManifest;
}

/** Layer types pier can unpack; non-distributable and encrypted layers are not among them. */
export function isLayerMediaType(mediaType: string): boolean {
  return [ociLayer, ociLayerGzip, ociLayerZstd, dockerLayer, dockerLayerGzip, 'application/vnd.docker.image.rootfs.diff.tar.zstd'].includes(mediaType);
}
