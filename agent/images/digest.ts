/**
 * Content digests (OCI image-spec "descriptor.md#digests"). pier stores and
 * verifies sha256 only, as containerd's default; any other algorithm is
 * refused before a byte is fetched.
 */
import { createHash } from 'node:crypto';

const sha256Digest = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(value: string): boolean {
  return sha256Digest.test(value);
}

/** Throws unless `value` is `sha256:<64 lowercase hex>`; `what` names it in the message. */
export function assertSha256Digest(value: string, what: string): string {
  if (!isSha256Digest(value)) {
    const algorithm = value.includes(':') ? value.slice(0, value.indexOf(':')) : '';
    if (algorithm !== '' && algorithm !== 'sha256' && /^[a-z0-9+._-]+$/.test(algorithm)) {
      throw new Error(`${what}: unsupported digest algorithm "${algorithm}" in ${value} (only sha256 is supported)`);
    }
    throw new Error(`${what}: invalid digest "${value}"`);
  }
  return value;
}

/** `sha256:abc…` → `abc…`. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function sha256Of(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Thrown when fetched or imported content does not hash (or measure) to what its descriptor says. */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}
