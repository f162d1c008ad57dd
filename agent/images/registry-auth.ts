/**
 * Registry authorization as the Docker/distribution clients do it: a 401 names
 * its scheme in `WWW-Authenticate`; for `Bearer` the client fetches a token
 * from the challenge's realm (distribution docs/spec/auth/token.md, anonymous
 * or with basic credentials, or by OAuth2 refresh token for an identity
 * token), for `Basic` it sends the credentials on every request.
 */
import type { AuthConfig } from '../cri/api.ts';

/** One challenge of a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased. */
  params: Record<string, string>;
}

/** Parses a `WWW-Authenticate` value (RFC 7235: several challenges, quoted or token parameter values). */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skip = (re: RegExp) => {
    while (i < n && re.test(header[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z/-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skip(/[\s,]/);
    if (i >= n) break;
    const word = token();
    if (word === '') {
      i++;
      continue;
    }
    skip(/\s/);
    if (header[i] === '=' && current !== undefined) {
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}

/** Credentials from CRI's AuthConfig, decoded. */
function basicCredentials(auth: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined && auth.username !== '') return { username: auth.username, password: auth.password ?? '' };
  if (auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Holds the credentials of one pull and the tokens obtained with them, per registry host and scope. */
export class RegistryAuthorizer {
  private readonly auth: AuthConfig | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly userAgent: string;

  constructor(auth?: AuthConfig, userAgent = 'pier-agent') {
    this.auth = auth;
    this.userAgent = userAgent;
  }

  /** The Authorization header to send before any challenge (a cached token, or none). */
  cached(host: string, scope: string): string | undefined {
    const t = this.tokens.get(`${host} ${scope}`);
    if (t && t.expiresAt > Date.now()) return t.header;
    return undefined;
  }

  /** Answers a 401: returns the Authorization header to retry with; throws when no challenge can be met. */
  async authorize(host: string, scope: string, wwwAuthenticate: string | null, signal?: AbortSignal): Promise<string> {
    const challenges = wwwAuthenticate ? parseWwwAuthenticate(wwwAuthenticate) : [];
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const creds = basicCredentials(this.auth);
    if (bearer) {
      const token = this.auth?.registryToken ? { header: `Bearer ${this.auth.registryToken}`, expiresInSeconds: 60 } : await this.fetchToken(bearer, scope, signal);
      // Renew a little early so a token never expires between the check and the request.
      this.tokens.set(`${host} ${scope}`, { header: token.header, expiresAt: Date.now() + Math.max(10, token.expiresInSeconds - 10) * 1000 });
      return token.header;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds) throw new Error(`${host}: registry requires basic authentication and no credentials were given`);
      const header = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      this.tokens.set(`${host} ${scope}`, { header, expiresAt: Number.MAX_SAFE_INTEGER });
      return header;
    }
    throw new Error(`${host}: unauthorized, and the registry sent no usable challenge (${wwwAuthenticate ?? 'no WWW-Authenticate header'})`);
  }

  private async fetchToken(challenge: AuthChallenge, scope: string, signal?: AbortSignal): Promise<{ header: string; expiresInSeconds: number }> {
    const realm = challenge.params.realm;
    if (!realm) throw new Error('bearer challenge without a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new Error(`bearer challenge with an invalid realm "${realm}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`bearer realm "${realm}" is not http(s)`);
    const service = challenge.params.service;
    const scopes = [scope];
    if (challenge.params.scope && challenge.params.scope !== scope) scopes.push(challenge.params.scope);
    const creds = basicCredentials(this.auth);
    let res: Response;
    if (this.auth?.identityToken) {
      // OAuth2 refresh-token grant, as docker/distribution's registry client does for identity tokens.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identityToken, client_id: this.userAgent });
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      res = await fetch(url, { method: 'POST', body: form, headers: { 'User-Agent': this.userAgent }, ...(signal ? { signal } : {}) });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) url.searchParams.set('account', creds.username);
      const headers: Record<string, string> = { 'User-Agent': this.userAgent };
      if (creds) headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      res = await fetch(url, { headers, ...(signal ? { signal } : {}) });
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200).trim();
      throw new Error(`token request to ${url.origin}${url.pathname} failed: ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`);
    }
    const body = (await res.json().catch(() => undefined)) as { token?: unknown; access_token?: unknown; expires_in?: unknown } | undefined;
    const token = typeof body?.token === 'string' && body.token !== '' ? body.token : typeof body?.access_token === 'string' ? body.access_token : '';
    if (token === '') throw new Error(`token response from ${url.origin}${url.pathname} has no token`);
    // The token spec's default lifetime is 60 s when expires_in is absent.
    const expiresInSeconds = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { header: `Bearer ${token}`, expiresInSeconds };
  }
}
