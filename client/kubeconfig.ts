/**
 * Reads and writes kubeconfig files (clientcmd's `Config`, apiVersion v1)
 * for the one shape pier uses: a bearer token over TLS with a private CA.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** What a pier component needs to reach the API server. */
export interface ClusterAccess {
  /** e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  /** Bearer token. */
  token: string;
}

export interface WriteKubeconfigOptions extends ClusterAccess {
  /** Defaults to `pier`. */
  clusterName?: string;
  /** Defaults to `admin`. */
  userName?: string;
  /** Defaults to `<userName>@<clusterName>`, as kubeadm's `kubernetes-admin@kubernetes`. */
  contextName?: string;
}

/** Writes a kubeconfig (mode 0600: it holds a credential) whose current context is the one described. */
export function writeKubeconfig(path: string, options: WriteKubeconfigOptions): void {
  const clusterName = options.clusterName ?? 'pier';
  const userName = options.userName ?? 'admin';
  const contextName = options.contextName ?? `${userName}@${clusterName}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name: clusterName,
        cluster: { server: options.server, 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') },
      },
    ],
    users: [{ name: userName, user: { token: options.token } }],
    contexts: [{ name: contextName, context: { cluster: clusterName, user: userName } }],
    'current-context': contextName,
  };
  // Write-then-rename so a reader never sees half a file, and the token is never world-readable.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, stringify(config), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

interface NamedEntry {
  name?: unknown;
  [key: string]: unknown;
}

function named(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as NamedEntry[]).find((e) => e && e.name === name);
  const value = entry?.[field];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads the current context of a kubeconfig. Accepts inline or file
 * (`certificate-authority`, `tokenFile`) forms, with relative paths resolved
 * against the kubeconfig's directory as kubectl does. Throws one line when
 * something pier needs is missing.
 */
export function loadKubeconfig(path: string): ClusterAccess {
  const fail = (why: string): never => {
    throw new Error(`kubeconfig ${path}: ${why}`);
  };
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(source);
  } catch (err) {
    return fail(`not valid YAML: ${(err as Error).message.split('\n', 1)[0]}`);
  }
  if (!doc || typeof doc !== 'object') return fail('not a kubeconfig');
  const config = doc as Record<string, unknown>;
  const contextName = text(config['current-context']) ?? fail('no current-context');
  const context = named(config.contexts, contextName, 'context') ?? fail(`context "${contextName}" not found`);
  const clusterName = text(context.cluster) ?? fail(`context "${contextName}" names no cluster`);
  const userName = text(context.user) ?? fail(`context "${contextName}" names no user`);
  const cluster = named(config.clusters, clusterName, 'cluster') ?? fail(`cluster "${clusterName}" not found`);
  const user = named(config.users, userName, 'user') ?? fail(`user "${userName}" not found`);
  const relative = (file: string) => (isAbsolute(file) ? file : resolve(dirname(path), file));
  const readRef = (file: string, what: string) => {
    try {
      return readFileSync(relative(file), 'utf8');
    } catch (err) {
      return fail(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };

  const server = text(cluster.server) ?? fail(`cluster "${clusterName}" has no server`);
  const caData = text(cluster['certificate-authority-data']);
  const caFile = text(cluster['certificate-authority']);
  const caPem = caData
    ? Buffer.from(caData, 'base64').toString('utf8')
    : caFile
      ? readRef(caFile, 'certificate-authority')
      : fail(`cluster "${clusterName}" has no certificate-authority-data`);
  const tokenFile = text(user.tokenFile);
  const token = text(user.token) ?? (tokenFile ? readRef(tokenFile, 'tokenFile').trim() : fail(`user "${userName}" has no token`));
  return { server, caPem, token };
}
