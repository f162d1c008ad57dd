/**
 * The JSON documents of an image (OCI image-spec manifest.md, image-index.md,
 * config.md; Docker schema 2 has the same shapes), validated with zod because
 * they arrive from registries and archives.
 */
import { z } from 'zod';
import type { ImageRuntimeConfig } from '../cri/image-provider.ts';
import { isSha256Digest } from './digest.ts';
import { isIndexMediaType, isManifestMediaType } from './media-types.ts';

const digest = z.string().refine(isSha256Digest, 'must be a sha256 digest');

export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});
export type Platform = z.infer<typeof platformSchema>;

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: platformSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof manifestSchema>;

export const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof indexSchema>;

const runtimeConfigSchema = z
  .object({
    Entrypoint: z.array(z.string()).nullish(),
    Cmd: z.array(z.string()).nullish(),
    Env: z.array(z.string()).nullish(),
    WorkingDir: z.string().nullish(),
    User: z.string().nullish(),
    ExposedPorts: z.record(z.string(), z.object({}).loose()).nullish(),
    Labels: z.record(z.string(), z.string()).nullish(),
    StopSignal: z.string().nullish(),
  })
  .loose();

export const imageConfigSchema = z
  .object({
    created: z.string().optional(),
    architecture: z.string().optional(),
    os: z.string().optional(),
    variant: z.string().optional(),
    config: runtimeConfigSchema.nullish(),
    rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digest) }),
  })
  .loose();
export type ImageConfig = z.infer<typeof imageConfigSchema>;

/** A manifest or an index, told apart by mediaType or, when a registry omits it, by shape. */
export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

export function parseManifest(body: Uint8Array, mediaType: string | undefined, what: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error(`${what}: manifest is not JSON`);
  }
  const declared = (json as { mediaType?: unknown } | null)?.mediaType;
  const type = typeof declared === 'string' ? declared : mediaType;
  if ((json as { schemaVersion?: unknown } | null)?.schemaVersion === 1) {
    throw new Error(`${what}: Docker image manifest schema 1 is not supported`);
  }
  const looksLikeIndex = isIndexMediaType(type) || (!isManifestMediaType(type) && Array.isArray((json as { manifests?: unknown }).manifests));
  if (looksLikeIndex) {
    const r = indexSchema.safeParse(json);
    if (!r.success) throw new Error(`${what}: invalid image index: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
    return { kind: 'index', index: r.data };
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) throw new Error(`${what}: invalid image manifest${type ? ` (${type})` : ''}: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  return { kind: 'manifest', manifest: r.data };
}

export function parseImageConfig(body: Uint8Array, what: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error(`${what}: image config is not JSON`);
  }
  const r = imageConfigSchema.safeParse(json);
  if (!r.success) throw new Error(`${what}: invalid image config: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  return r.data;
}

/** The runtime part of a config, with Docker's nulls dropped. */
export function runtimeConfigOf(config: ImageConfig): ImageRuntimeConfig {
  const c = config.config;
  const out: ImageRuntimeConfig = {};
  if (!c) return out;
  if (c.Entrypoint) out.Entrypoint = c.Entrypoint;
  if (c.Cmd) out.Cmd = c.Cmd;
  if (c.Env) out.Env = c.Env;
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.User) out.User = c.User;
  if (c.ExposedPorts) out.ExposedPorts = c.ExposedPorts;
  if (c.Labels) out.Labels = c.Labels;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  return out;
}
