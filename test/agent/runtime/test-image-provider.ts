/**
 * A ContainerImageProvider for runtime tests: every image is the busybox
 * directory rootfs as the single read-only lower layer, and each key gets a
 * real overlay upper/work directory (a real overlay, just not from a registry).
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerImageProvider, ImageRuntimeConfig, LocalImage, RootfsMount } from '../../../agent/cri/image-provider.ts';

export class TestImageProvider implements ContainerImageProvider {
  private readonly lowerDir: string;
  private readonly layersDir: string;
  private readonly images = new Map<string, LocalImage>();

  constructor(lowerDir: string, layersDir: string) {
    this.lowerDir = lowerDir;
    this.layersDir = layersDir;
    this.addImage('docker.io/library/busybox:latest', { Cmd: ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
  }

  /** Registers another name for the same rootfs, with its own runtime config. */
  addImage(name: string, config: ImageRuntimeConfig): LocalImage {
    const id = `sha256:${createHash('sha256').update(name + JSON.stringify(config)).digest('hex')}`;
    const image: LocalImage = { id, repoTags: [name], repoDigests: [], size: 0, config };
    this.images.set(id, image);
    return image;
  }

  async resolve(image: string): Promise<LocalImage | undefined> {
    for (const img of this.images.values()) {
      if (img.id === image) return img;
      for (const tag of img.repoTags) {
        const short = tag.replace(/^docker\.io\/library\//, '');
        if (tag === image || short === image || short.replace(/:latest$/, '') === image) return img;
      }
    }
    return undefined;
  }

  async prepareRootfs(key: string, imageId: string): Promise<RootfsMount> {
    if (!this.images.has(imageId)) throw new Error(`image ${imageId} not found`);
    const dir = join(this.layersDir, key);
    await mkdir(join(dir, 'upper'), { recursive: true });
    await mkdir(join(dir, 'work'), { recursive: true });
    return {
      type: 'overlay',
      source: 'overlay',
      options: [`lowerdir=${this.lowerDir}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`],
    };
  }

  async removeRootfs(key: string): Promise<void> {
    await rm(join(this.layersDir, key), { recursive: true, force: true });
  }
}
