/**
 * Image references normalised as Docker and Kubernetes do
 * (distribution/reference ParseNormalizedNamed, grammar in its reference.go):
 *
 *   [domain[:port]/]path-component[/path-component…][:tag][@digest]
 *
 * No domain → docker.io; a one-component name on docker.io → library/NAME;
 * the first component is a domain only if it has a '.' or ':', is `localhost`,
 * or has an upper-case letter (repository paths are lower-case only).
 */

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry host[:port], `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  /** `sha256:<hex>` (or another algorithm the grammar allows). */
  digest?: string;
}

/** An image name kubelet would report as `InvalidImageName`. */
export class InvalidImageReferenceError extends Error {
  readonly reason = 'InvalidImageName';
  constructor(reference: string, problem: string) {
    super(`invalid image reference "${reference}": ${problem}`);
    this.name = 'InvalidImageReferenceError';
  }
}

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
const nameTotalLengthMax = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainNameComponent}(?:\\.${domainNameComponent})*|${ipv6Address})(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const referenceRegexp = new RegExp(`^((?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const domainRegexp = new RegExp(`^${domainAndPort}$`);
const anchoredIdentifier = /^[a-f0-9]{64}$/;
const knownDigestLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Parses and normalises `reference` (distribution/reference ParseNormalizedNamed); throws InvalidImageReferenceError. */
export function parseNormalizedNamed(reference: string): ImageReference {
  if (reference === '') throw new InvalidImageReferenceError(reference, 'repository name must have at least one component');
  if (anchoredIdentifier.test(reference)) {
    throw new InvalidImageReferenceError(reference, 'cannot specify 64-byte hexadecimal strings as a repository name');
  }
  const [domain, remainder] = splitDockerDomain(reference);
  const tagSep = remainder.indexOf(':');
  const atSep = remainder.indexOf('@');
  const cut = [tagSep, atSep].filter((i) => i !== -1);
  const remoteName = cut.length === 0 ? remainder : remainder.slice(0, Math.min(...cut));
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidImageReferenceError(reference, `repository name (${remoteName}) must be lowercase`);
  }
  const match = referenceRegexp.exec(`${domain}/${remainder}`);
  if (!match) throw new InvalidImageReferenceError(reference, 'invalid reference format');
  const name = match[1]!;
  if (name.length > nameTotalLengthMax) {
    throw new InvalidImageReferenceError(reference, `repository name must not be more than ${nameTotalLengthMax} characters`);
  }
  const result: ImageReference = { domain, path: name.slice(domain.length + 1) };
  if (match[2] !== undefined) result.tag = match[2];
  if (match[3] !== undefined) {
    const digest = match[3];
    const algorithm = digest.slice(0, digest.indexOf(':'));
    const hex = digest.slice(algorithm.length + 1);
    const want = knownDigestLengths[algorithm];
    if (want === undefined) throw new InvalidImageReferenceError(reference, `unsupported digest algorithm "${algorithm}"`);
    if (hex.length !== want || hex !== hex.toLowerCase()) throw new InvalidImageReferenceError(reference, 'invalid digest format');
    result.digest = digest;
  }
  return result;
}

/**
 * As containerd's and kubelet's ParseDockerRef: normalises, adds `latest` when
 * there is neither tag nor digest, and drops the tag when a digest pins the
 * content (the digest is what is pulled; a tag beside it would be a lie).
 */
export function parseDockerRef(reference: string): ImageReference {
  const ref = parseNormalizedNamed(reference);
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  if (ref.tag === undefined) return { ...ref, tag: defaultTag };
  return ref;
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = defaultDomain;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return [domain, remainder];
}

/** `docker.io/library/busybox` (no tag or digest). */
export function referenceName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised string: `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…`. */
export function referenceString(ref: ImageReference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The short name Docker shows: `busybox`, `pier/busybox`, `127.0.0.1:5000/pier/busybox` (FamiliarName). */
export function familiarName(ref: Pick<ImageReference, 'domain' | 'path'>): string {
  if (ref.domain !== defaultDomain) return `${ref.domain}/${ref.path}`;
  if (ref.path.startsWith(officialRepoPrefix) && !ref.path.slice(officialRepoPrefix.length).includes('/')) {
    return ref.path.slice(officialRepoPrefix.length);
  }
  return ref.path;
}

/** `busybox:latest`, `pier/busybox@sha256:…` (FamiliarString). */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** True when `value` is a syntactically valid registry host[:port]. */
export function isValidDomain(value: string): boolean {
  return domainRegexp.test(value);
}

/** True when `value` is a valid tag on its own (e.g. an OCI layout's `org.opencontainers.image.ref.name`). */
export function isValidTag(value: string): boolean {
  return new RegExp(`^${tagPattern}$`).test(value);
}
