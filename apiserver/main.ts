/**
 * Runs the API server as a process component: storage on etcd, token
 * authentication, metrics, TLS, then `listen` (the only place that listens).
 * Used by `pier apiserver` and, in-process, by `pier up`.
 */
import type { KubeletClientConfig } from './endpoints/subresources/pod-proxy.ts';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { loadTokenFile } from './authn/token-file.ts';
import { ApiServerMetricsRegistry, etcdRequestType } from './metrics/metrics.ts';
import { ensurePki } from '../client/pki/pki-dir.ts';
import { buildApiServer } from './server.ts';
import { defaultCompactionIntervalMs } from './storage/etcd3/compactor.ts';
import { Etcd3Storage } from './storage/etcd3/store.ts';
import { ServiceIPRange } from './registry/services/allocation/service-ip-range.ts';

/** kube-apiserver's flags that pier supports, already parsed. */
export interface ApiServerFlags {
  /** `--etcd-servers`: etcd client URLs, e.g. `http://127.0.0.1:2379`. */
  etcdServers: string[];
  /** `--secure-port`/`--port`; 0 picks a free port. */
  port: number;
  /** `--bind-address`; `0.0.0.0` serves every IPv4 interface. */
  bindAddress: string;
  /** `--token-auth-file`: the static token file every request is authenticated against. */
  tokenAuthFile: string;
  /** Serving key pair files; when absent, `pkiDir` supplies (and if need be issues) one. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Where the self-issued CA and serving certificate live (`<data-dir>/pki`). */
  pkiDir?: string;
  /** Extra serving-certificate names (host names, IPs) besides 127.0.0.1, ::1 and localhost. */
  extraSans?: string[];
  /** How long to keep retrying etcd before giving up; default 5 s. */
  etcdWaitSeconds?: number;
  /** `--service-cluster-ip-range`: IPv4 CIDR for Service ClusterIPs; default 10.96.0.0/12. */
  serviceClusterIpRange?: string;
  /** `--etcd-compaction-interval` in ms; default 5 min, 0 never compacts. */
  etcdCompactionIntervalMs?: number;
}

/** A listening API server. */
export interface RunningApiServer {
  app: FastifyInstance;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** `https://127.0.0.1:<port>` when serving loopback, else `https://<bindAddress>:<port>`. */
  url: string;
  /** PEM of the CA clients should trust, when pier issued the serving certificate. */
  caPem: string | undefined;
  /** Stops serving, then closes storage. Idempotent. */
  stop(): Promise<void>;
}

/** An error whose message is already a complete one-line explanation for the operator. */
export class ApiServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiServerStartError';
  }
}

async function etcdHealthy(endpoint: string): Promise<string | undefined> {
  try {
    const res = await fetch(new URL('/health', endpoint), { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true ? undefined : `unhealthy (${JSON.stringify(body)})`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as Error).message;
  }
}

/**
 * Waits until some etcd endpoint answers `/health`, retrying for a short
 * while because etcd is often started just before the API server.
 */
export async function waitForEtcd(endpoints: readonly string[], seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last = '';
  for (;;) {
    for (const endpoint of endpoints) {
      const problem = await etcdHealthy(endpoint);
      if (problem === undefined) return;
      last = `${endpoint}: ${problem}`;
    }
    if (Date.now() >= deadline) throw new ApiServerStartError(`etcd is not reachable at ${endpoints.join(',')} after ${seconds}s (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readServingFiles(certFile: string, keyFile: string): { cert: string; key: string } {
  try {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ApiServerStartError(`cannot read TLS file ${e.path ?? ''}: ${e.code ?? e.message}`);
  }
}

/** Starts the API server and returns once it listens. Errors are `ApiServerStartError`s with one-line messages. */
export async function runApiServer(flags: ApiServerFlags): Promise<RunningApiServer> {
  if (flags.etcdServers.length === 0) throw new ApiServerStartError('no etcd servers given: pass --etcd-servers URL');
  if (flags.serviceClusterIpRange !== undefined) {
    try {
      ServiceIPRange.parse(flags.serviceClusterIpRange);
    } catch (err) {
      throw new ApiServerStartError(`--service-cluster-ip-range: ${(err as Error).message}`);
    }
  }
  let tls: { cert: string; key: string };
  // Node agents are called with the API server's own client certificate, never the user's token.
  let kubeletClient: KubeletClientConfig | undefined;
  let caPem: string | undefined;
  if (flags.tlsCertFile || flags.tlsPrivateKeyFile) {
    if (!flags.tlsCertFile || !flags.tlsPrivateKeyFile) throw new ApiServerStartError('--tls-cert-file and --tls-private-key-file go together');
    tls = readServingFiles(flags.tlsCertFile, flags.tlsPrivateKeyFile);
  } else {
    if (!flags.pkiDir) throw new ApiServerStartError('no serving certificate: pass --data-dir DIR or --tls-cert-file and --tls-private-key-file');
    const pki = ensurePki(flags.pkiDir, flags.extraSans ?? []);
    tls = { cert: pki.serving.certPem, key: pki.serving.keyPem };
    caPem = pki.ca.certPem;
    kubeletClient = { certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem };
  }
  let authenticator;
  try {
    authenticator = loadTokenFile(flags.tokenAuthFile);
  } catch (err) {
    throw new ApiServerStartError((err as Error).message);
  }

  await waitForEtcd(flags.etcdServers, flags.etcdWaitSeconds ?? 5);
  const metrics = new ApiServerMetricsRegistry();
  const storage = new Etcd3Storage({
    endpoints: flags.etcdServers,
    onEtcdCall: (operation: string, key: string, seconds: number) => metrics.observeEtcd(operation, etcdRequestType(key), seconds),
    compactionIntervalMs: flags.etcdCompactionIntervalMs ?? defaultCompactionIntervalMs,
    onCompactionError: (err) => process.stderr.write(`pier apiserver: etcd compaction: ${err instanceof Error ? err.message : String(err)}\n`),
  });
  const loopback = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(flags.bindAddress);
  const advertiseHost = loopback ? '127.0.0.1' : flags.bindAddress;
  let app: FastifyInstance;
  try {
    app = await buildApiServer({ storage, authenticator, metrics, tls, advertiseAddress: `${advertiseHost}:${flags.port}`, ...(kubeletClient ? { kubeletClient } : {}), ...(flags.serviceClusterIpRange ? { serviceClusterIpRange: flags.serviceClusterIpRange } : {}) });
    await app.listen({ port: flags.port, host: flags.bindAddress });
  } catch (err) {
    await storage.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ApiServerStartError(`port ${flags.port} is already in use: pass --port PORT`);
    if (code === 'EADDRNOTAVAIL') throw new ApiServerStartError(`cannot bind ${flags.bindAddress}: no such local address (see --bind-address)`);
    if (code === 'EACCES') throw new ApiServerStartError(`not allowed to listen on port ${flags.port}: pass --port PORT above 1023`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : flags.port;
  const host = advertiseHost.includes(':') ? `[${advertiseHost}]` : advertiseHost;
  let stopped: Promise<void> | undefined;
  return {
    app,
    port,
    url: `https://${host}:${port}`,
    caPem,
    stop() {
      stopped ??= (async () => {
        try {
          await app.close();
        } finally {
          await storage.close();
        }
      })();
      return stopped;
    },
  };
}
