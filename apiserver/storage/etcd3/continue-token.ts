/**
 * The list continue token, byte-compatible with apiserver's
 * storage.EncodeContinue: base64url (no padding) of
 * `{"v":"meta.k8s.io/v1","rv":<rev>,"start":"<next key relative to the list prefix>"}`.
 */
import { newBadRequest } from '../../errors/status-error.ts';

export interface ContinueToken {
  /** The revision the whole paginated list is read at. */
  resourceVersion: number;
  /** The first key of the next page, relative to the list prefix. */
  start: string;
}

const version = 'meta.k8s.io/v1';

export function encodeContinue(nextKey: string, prefix: string, resourceVersion: number): string {
  const start = nextKey.startsWith(prefix) ? nextKey.slice(prefix.length) : nextKey;
  return Buffer.from(JSON.stringify({ v: version, rv: resourceVersion, start })).toString('base64url');
}

/** Decodes a token; a malformed one is a 400 BadRequest, as storage.DecodeContinue. */
export function decodeContinue(token: string, prefix: string): { key: string; resourceVersion: number } {
  let parsed: unknown;
  try {
    // Kubernetes emits RawURLEncoding; tolerate std base64 from hand-made tokens.
    parsed = JSON.parse(Buffer.from(token.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url').toString('utf8'));
  } catch {
    throw newBadRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (typeof parsed !== 'object' || parsed === null || t.v !== version) {
    throw newBadRequest('continue key is not valid: server does not recognize this encoded key');
  }
  if (typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv <= 0) {
    throw newBadRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof t.start !== 'string' || t.start === '') {
    throw newBadRequest('continue key is not valid: encoded start key empty');
  }
  // A relative key must not climb out of the list prefix.
  if (t.start.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw newBadRequest('continue key is not valid: key cannot escape the prefix');
  }
  return { key: prefix + t.start.replace(/^\/+/, ''), resourceVersion: t.rv };
}
