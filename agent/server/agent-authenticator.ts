/**
 * Who may call the agent, as kubelet's server decides with
 * `--client-ca-file` plus `--authentication-token-webhook` and
 * `--authorization-mode=Webhook`: a TLS client certificate chained to the
 * cluster CA, or a bearer token that the API server vouches for. pier's API
 * server has no TokenReview/SubjectAccessReview yet, so tokens are checked
 * with the caller's own SelfSubjectReview and SelfSubjectAccessReview, which
 * answer the same questions (valid token? may it create nodes/proxy?).
 * Answers are cached briefly, as kubelet's webhook caches (2 min / 5 min).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

/** An authenticated caller. */
export interface AgentUser {
  username: string;
  groups: string[];
}

/** What a request does, in kubelet's authorizer terms: resource `nodes`, subresource `proxy` for streaming and logs. */
export interface AgentRequestAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
}

export type AuthorizationDecision = { allowed: true } | { allowed: false; reason: string };

/** Authentication and authorization of requests to the agent's server. */
export interface AgentAuthenticator {
  /** The caller, or undefined when it proved no identity (401). Rejects when the check itself failed. */
  authenticate(req: IncomingMessage): Promise<AgentUser | undefined>;
  /** Whether `user` may make the request (403 otherwise). */
  authorize(req: IncomingMessage, user: AgentUser, attributes: AgentRequestAttributes): Promise<AuthorizationDecision>;
}

export interface ApiServerAuthenticatorOptions {
  /** The API server's base URL, e.g. `https://10.0.0.1:6443`. */
  server: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  caPem: string;
  /** How long a token's answers are reused; default 120 s. */
  cacheTtlMs?: number;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header || !/^bearer /i.test(header)) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/** The subject of a client certificate verified against the server's client CA, as x509.CommonNameUserConversion. */
export function certificateUser(req: IncomingMessage): AgentUser | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.encrypted || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject || !cert.subject.CN) return undefined;
  const cn = cert.subject.CN;
  const o = cert.subject.O;
  return { username: Array.isArray(cn) ? cn[0]! : cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

interface CacheEntry<T> {
  value: T;
  expires: number;
}

/** Checks tokens (and client certificates) against the cluster's API server. */
export class ApiServerAuthenticator implements AgentAuthenticator {
  private readonly options: ApiServerAuthenticatorOptions;
  private readonly ttl: number;
  private readonly users = new Map<string, CacheEntry<AgentUser | undefined>>();
  private readonly decisions = new Map<string, CacheEntry<AuthorizationDecision>>();

  constructor(options: ApiServerAuthenticatorOptions) {
    this.options = options;
    this.ttl = options.cacheTtlMs ?? 120_000;
  }

  async authenticate(req: IncomingMessage): Promise<AgentUser | undefined> {
    const fromCert = certificateUser(req);
    if (fromCert) return fromCert;
    const token = bearerToken(req);
    if (!token) return undefined;
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.cached(this.users, key);
    if (cached) return cached.value;
    const res = await this.post(token, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    let user: AgentUser | undefined;
    if (res.statusCode === 401) {
      user = undefined;
    } else if (res.statusCode >= 200 && res.statusCode < 300) {
      const info = (res.body as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo;
      if (!info?.username) throw new Error('the API server returned a SelfSubjectReview without a user');
      user = { username: info.username, groups: info.groups ?? [] };
    } else {
      throw new Error(`token review failed: the API server answered ${res.statusCode}`);
    }
    this.users.set(key, { value: user, expires: Date.now() + (user ? this.ttl : Math.min(this.ttl, 10_000)) });
    return user;
  }

  async authorize(req: IncomingMessage, user: AgentUser, attributes: AgentRequestAttributes): Promise<AuthorizationDecision> {
    const token = bearerToken(req);
    if (!token || certificateUser(req)) {
      // Without a token to ask with, certificate users need the API server's own group (kubeadm's apiserver-kubelet-client).
      return user.groups.includes('system:masters')
        ? { allowed: true }
        : { allowed: false, reason: `User "${user.username}" is not in group system:masters` };
    }
    const key = `${createHash('sha256').update(token).digest('hex')}/${attributes.verb}/${attributes.subresource}/${attributes.name}`;
    const cached = this.cached(this.decisions, key);
    if (cached) return cached.value;
    const res = await this.post(token, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: attributes.verb, resource: attributes.resource, subresource: attributes.subresource, name: attributes.name } },
    });
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`access review failed: the API server answered ${res.statusCode}`);
    const status = (res.body as { status?: { allowed?: boolean; reason?: string } }).status;
    const decision: AuthorizationDecision = status?.allowed ? { allowed: true } : { allowed: false, reason: status?.reason ?? '' };
    this.decisions.set(key, { value: decision, expires: Date.now() + this.ttl });
    return decision;
  }

  private cached<T>(cache: Map<string, CacheEntry<T>>, key: string): CacheEntry<T> | undefined {
    const entry = cache.get(key);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry;
    cache.delete(key);
    return undefined;
  }

  private post(token: string, path: string, body: unknown): Promise<{ statusCode: number; body: unknown }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        new URL(path, this.options.server),
        {
          method: 'POST',
          ca: this.options.caPem,
          timeout: 10_000,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              parsed = undefined;
            }
            resolve({ statusCode: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('the API server did not answer within 10s')));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
