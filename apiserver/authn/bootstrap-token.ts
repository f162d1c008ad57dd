/**
 * Join tokens and node credentials in the token file. A join token has
 * kubeadm's bootstrap token shape, `[a-z0-9]{6}.[a-z0-9]{16}` (token ID, then
 * secret), and authenticates as `system:bootstrap:<id>` in
 * `system:bootstrappers`, as k8s.io/cluster-bootstrap's token authenticator
 * names it. A node that joined gets a credential of its own,
 * `system:node:<name>` in `system:nodes` (the kubelet's identity), so one
 * node can be cut off without touching the others.
 */
import { randomInt } from 'node:crypto';
import { newToken, type TokenFileEntry } from './token-file.ts';

export const bootstrapTokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const bootstrappersGroup = 'system:bootstrappers';
export const nodesGroup = 'system:nodes';

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A fresh join token (bootstrap token format). */
export function newBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

export function isBootstrapToken(token: string): boolean {
  return bootstrapTokenPattern.test(token);
}

/** The token file line for a join token; `description` goes in the uid column for `pier token list`-style reading. */
export function bootstrapTokenEntry(token: string): TokenFileEntry {
  const m = bootstrapTokenPattern.exec(token);
  if (!m) throw new Error('a join token must look like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16})');
  return { token, user: { username: `system:bootstrap:${m[1]}`, uid: `bootstrap-${m[1]}`, groups: [bootstrappersGroup] } };
}

/** The token file line giving node `nodeName` its own credential (a fresh token unless given). */
export function nodeTokenEntry(nodeName: string, token: string = newToken()): TokenFileEntry {
  return { token, user: { username: `system:node:${nodeName}`, uid: `node-${nodeName}`, groups: [nodesGroup] } };
}
