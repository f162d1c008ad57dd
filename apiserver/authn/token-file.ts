/**
 * Static token file authentication, in kube-apiserver's `--token-auth-file`
 * format: CSV lines `token,user,uid[,"group1,group2"]` (as
 * k8s.io/apiserver/pkg/authentication/token/tokenfile). Blank lines are
 * skipped; a line with fewer than three columns makes the file invalid.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { TokenAuthenticator, UserInfo } from './token-authenticator.ts';

/** One line of a token file. */
export interface TokenFileEntry {
  token: string;
  user: UserInfo;
}

/** The user `pier up` writes kubeconfigs for: cluster-admin by group, as kubeadm's admin.conf. */
export const adminUser: UserInfo = { username: 'admin', uid: 'admin', groups: ['system:masters'] };

/** Splits one CSV record (RFC 4180 quoting, `""` for a quote), or returns an error message. */
function parseCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    // As Go's csv.Reader with TrimLeadingSpace, which tokenfile uses.
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return 'unterminated quoted field';
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return `unexpected character after closing quote at column ${i + 1}`;
    } else {
      const end = line.indexOf(',', i);
      field = end === -1 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) return `bare quote in unquoted field at column ${i + 1}`;
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** Parses token file text; throws one line naming the file and line on the first malformed record. */
export function parseTokenFile(text: string, path: string): TokenFileEntry[] {
  const entries: TokenFileEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = parseCsvLine(line);
    const where = `token file ${path} line ${index + 1}`;
    if (typeof fields === 'string') throw new Error(`${where}: ${fields}`);
    if (fields.length < 3) {
      throw new Error(`${where}: must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    }
    const [token = '', username = '', uid = '', groups] = fields;
    // kube-apiserver skips empty tokens too; no bearer token can be empty.
    if (token === '') return;
    if (username === '') throw new Error(`${where}: empty user name`);
    entries.push({ token, user: { username, uid, groups: groups ? groups.split(',').filter((g) => g !== '') : [] } });
  });
  return entries;
}

/** Reads and parses a token file; throws one line if it is missing or malformed. */
export function readTokenFile(path: string): TokenFileEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTokenFile(text, path);
}

/**
 * Authenticates bearer tokens against a fixed list. A token not seen before
 * is compared with every entry, in constant time over SHA-256 digests, so
 * neither the position of a match nor a shared prefix nor the token's length
 * shows in the response time. A token that matched is remembered, and later
 * requests with it are one map lookup (as kube-apiserver's token file
 * authenticator does for every token): timing then tells only that a token is
 * valid, which the answer says anyway. Only valid tokens are remembered, so
 * the memory is bounded by the file.
 */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly entries: { digest: Buffer; user: UserInfo }[];
  readonly #known = new Map<string, UserInfo>();

  constructor(entries: readonly TokenFileEntry[]) {
    // Later lines win, as kube-apiserver's map assignment does for duplicate tokens.
    const byToken = new Map<string, UserInfo>();
    for (const e of entries) byToken.set(e.token, e.user);
    this.entries = [...byToken].map(([token, user]) => ({ digest: digest(token), user }));
  }

  authenticate(token: string): UserInfo | undefined {
    let found = this.#known.get(token);
    if (!found) {
      const candidate = digest(token);
      for (const entry of this.entries) {
        if (timingSafeEqual(candidate, entry.digest)) found = entry.user;
      }
      if (found) this.#known.set(token, found);
    }
    return found && { username: found.username, uid: found.uid, groups: [...found.groups] };
  }
}

/** One-shot hashing: a third of createHash()'s cost, and it runs on every request. */
function digest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/**
 * A token file authenticator that picks up changes to the file without a
 * restart, so `pier token create` and the node credentials `pier up` and
 * `pier join` add work at once (kube-apiserver reads its token file only at
 * start). The file's mtime, size and inode are checked at most once per
 * `recheckMs`; an edit that leaves the file malformed keeps the last good
 * tokens and reports the error, so a half-typed line never locks everyone out.
 */
export class ReloadingTokenFileAuthenticator implements TokenAuthenticator {
  readonly path: string;
  readonly #recheckMs: number;
  readonly #onError: (err: Error) => void;
  #current: StaticTokenAuthenticator;
  #stamp: string;
  #checkedAt = 0;

  constructor(path: string, options: { recheckMs?: number; onError?: (err: Error) => void } = {}) {
    this.path = path;
    this.#recheckMs = options.recheckMs ?? 1000;
    this.#onError = options.onError ?? ((err) => process.stderr.write(`token file: ${err.message}\n`));
    this.#stamp = fileStamp(path);
    this.#current = new StaticTokenAuthenticator(readTokenFile(path));
    this.#checkedAt = Date.now();
  }

  authenticate(token: string): UserInfo | undefined {
    this.#maybeReload();
    return this.#current.authenticate(token);
  }

  /** Re-reads the file now if it changed; returns whether new tokens were loaded. */
  reload(): boolean {
    this.#checkedAt = Date.now();
    const stamp = fileStamp(this.path);
    if (stamp === this.#stamp) return false;
    try {
      this.#current = new StaticTokenAuthenticator(readTokenFile(this.path));
      this.#stamp = stamp;
      return true;
    } catch (err) {
      // Remember the stamp anyway, so a broken file is reported once, not per request.
      this.#stamp = stamp;
      this.#onError(err as Error);
      return false;
    }
  }

  #maybeReload(): void {
    if (Date.now() - this.#checkedAt < this.#recheckMs) return;
    this.reload();
  }
}

function fileStamp(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Loads a token file (kube-apiserver `--token-auth-file`); throws one line on
 * a malformed file. Later changes to the file are picked up within a second.
 */
export function loadTokenFile(path: string): TokenAuthenticator {
  return new ReloadingTokenFileAuthenticator(path);
}

/**
 * Adds lines to a token file atomically (write a copy, rename over), mode
 * 0600. A line whose token is already present is replaced, so re-adding a
 * credential never leaves two users behind one token.
 */
export function addTokenFileEntries(path: string, entries: readonly TokenFileEntry[]): void {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const replaced = new Set(entries.map((e) => e.token));
  const kept = existing
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      const fields = parseCsvLine(line);
      return typeof fields === 'string' || !replaced.has(fields[0] ?? '');
    });
  const text = [...kept, ...entries.map(formatTokenFileLine)].join('\n') + '\n';
  // Parse before writing: never leave the API server a file it would reject.
  parseTokenFile(text, path);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** A fresh bearer token: 32 random bytes, base64url (no characters CSV or HTTP headers care about). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function csvField(value: string): string {
  return /[",\s]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One token file line for `entry`. */
export function formatTokenFileLine(entry: TokenFileEntry): string {
  const { token, user } = entry;
  return [token, user.username, user.uid, user.groups.join(',')].map(csvField).join(',');
}

/**
 * Makes sure `path` exists: when absent, writes a token file (mode 0600) with
 * one random admin token. Returns the admin token found in or written to the file.
 */
export function ensureAdminTokenFile(path: string): string {
  if (existsSync(path)) {
    const admin = readTokenFile(path).find((e) => e.user.username === adminUser.username && e.user.groups.includes('system:masters'));
    if (!admin) throw new Error(`token file ${path} has no line for user "admin" in group system:masters`);
    return admin.token;
  }
  const token = newToken();
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${formatTokenFileLine({ token, user: adminUser })}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return token;
}
