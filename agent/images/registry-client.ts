/**
 * A client for the OCI distribution v2 pull API (opencontainers/distribution-spec
 * spec.md "Pull"): manifests by tag or digest, blobs by digest, each request
 * authorized on demand through RegistryAuthorizer. It returns bytes and
 * streams; verifying them is the content store's job, except for the manifest,
 * whose digest is checked here because its bytes decide everything else.
 */
import type { AuthConfig } from '../cri/api.ts';
import { DigestMismatchError, sha256Of } from './digest.ts';
import { manifestAccept } from './media-types.ts';
import type { Descriptor } from './oci-image-spec.ts';
import type { ImageReference } from './reference.ts';
import { RegistryAuthorizer } from './registry-auth.ts';

/** containerd refuses manifests above 4 MiB too: they are held in memory. */
const maxManifestBytes = 4 << 20;

export interface RegistryClientOptions {
  /** Credentials for this pull (CRI AuthConfig). */
  auth?: AuthConfig;
  /**
   * Registries (`host[:port]`) spoken to over plain HTTP. Loopback registries
   * (localhost, 127.0.0.0/8, [::1]) always are, as in Docker's defaults.
   */
  insecureRegistries?: readonly string[];
  userAgent?: string;
  signal?: AbortSignal;
}

/** A registry answered with an error status; `code` is the distribution error code when it sent one. */
export class RegistryError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(message: string, status: number, code?: string) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
  }
}

/** A manifest or index as fetched, with the digest of its exact bytes. */
export interface FetchedManifest {
  digest: string;
  mediaType: string | undefined;
  body: Buffer;
}

/** True for registries Docker treats as insecure by default: loopback ones. */
export function isLoopbackRegistry(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The base URL of a registry's API: Docker Hub's API host differs from its name, as in every Docker client. */
export function registryBaseUrl(domain: string, insecureRegistries: readonly string[] = []): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const insecure = isLoopbackRegistry(domain) || insecureRegistries.includes(domain);
  return `${insecure ? 'http' : 'https'}://${host}`;
}

export class RegistryClient {
  private readonly authorizer: RegistryAuthorizer;
  private readonly insecureRegistries: readonly string[];
  private readonly userAgent: string;
  private readonly signal: AbortSignal | undefined;

  constructor(options: RegistryClientOptions = {}) {
    this.userAgent = options.userAgent ?? 'pier-agent';
    this.authorizer = new RegistryAuthorizer(options.auth, this.userAgent);
    this.insecureRegistries = options.insecureRegistries ?? [];
    this.signal = options.signal;
  }

  /**
   * GETs `/v2/<path>/manifests/<tag|digest>`. When `reference` is a digest the
   * body must hash to it; when it is a tag, a sha256 `Docker-Content-Digest`
   * the registry sends must agree with the bytes.
   */
  async getManifest(repo: Pick<ImageReference, 'domain' | 'path'>, reference: string): Promise<FetchedManifest> {
    const what = `${repo.domain}/${repo.path}:${reference}`;
    const res = await this.request(repo, `/manifests/${reference}`, { Accept: manifestAccept.join(', ') });
    await throwUnlessOk(res, `manifest ${what}`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (length > maxManifestBytes) {
      await res.body?.cancel();
      throw new Error(`manifest ${what}: ${length} bytes is larger than the ${maxManifestBytes} byte limit`);
    }
    const body = await readLimited(res, maxManifestBytes, `manifest ${what}`);
    const digest = sha256Of(body);
    if (reference.includes(':') && reference !== digest) throw new DigestMismatchError(`manifest ${what}`, reference, digest);
    const headerDigest = res.headers.get('docker-content-digest');
    if (headerDigest && headerDigest.startsWith('sha256:') && headerDigest !== digest) {
      throw new DigestMismatchError(`manifest ${what} (Docker-Content-Digest)`, headerDigest, digest);
    }
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim();
    return { digest, mediaType: contentType, body };
  }

  /** GETs a blob, following redirects (to object storage, usually); the caller verifies the stream. */
  async getBlob(repo: Pick<ImageReference, 'domain' | 'path'>, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<AsyncIterable<Uint8Array>> {
    const what = `blob ${descriptor.digest} of ${repo.domain}/${repo.path}`;
    const res = await this.request(repo, `/blobs/${descriptor.digest}`, {});
    await throwUnlessOk(res, what);
    const length = res.headers.get('content-length');
    if (length !== null && Number(length) !== descriptor.size) {
      await res.body?.cancel();
      throw new DigestMismatchError(`${what}: size`, String(descriptor.size), length);
    }
    if (!res.body) throw new Error(`${what}: empty response`);
    return res.body;
  }

  private async request(repo: Pick<ImageReference, 'domain' | 'path'>, suffix: string, headers: Record<string, string>): Promise<Response> {
    const url = `${registryBaseUrl(repo.domain, this.insecureRegistries)}/v2/${repo.path}${suffix}`;
    const scope = `repository:${repo.path}:pull`;
    const send = async (authorization: string | undefined): Promise<Response> => {
      const h: Record<string, string> = { 'User-Agent': this.userAgent, ...headers };
      if (authorization) h.Authorization = authorization;
      try {
        // fetch drops Authorization on a cross-origin redirect, so a token never leaks to blob storage.
        return await fetch(url, { headers: h, redirect: 'follow', ...(this.signal ? { signal: this.signal } : {}) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(`GET ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
      }
    };
    let res = await send(this.authorizer.cached(repo.domain, scope));
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      const authorization = await this.authorizer.authorize(repo.domain, scope, challenge, this.signal);
      res = await send(authorization);
    }
    return res;
  }
}

async function throwUnlessOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => '');
  let code: string | undefined;
  let message = text.slice(0, 200).trim();
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) {
      code = first.code;
      message = `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`;
    }
  } catch {
    // Not a distribution error body: keep the text.
  }
  const status = res.status === 404 ? 'not found' : res.status === 401 || res.status === 403 ? 'unauthorized' : `${res.status} ${res.statusText}`;
  throw new RegistryError(`${what}: ${status}${message ? ` (${message})` : ''}`, res.status, code);
}

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body) {
    total += chunk.byteLength;
    if (total > limit) throw new Error(`${what}: larger than the ${limit} byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
