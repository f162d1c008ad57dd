/**
 * A control plane for end-to-end tests: a real etcd, one or more API servers
 * listening on HTTPS with generated certificates and a bearer token, a
 * kubeconfig, and helpers to run the real kubectl with a private HOME.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { writeKubeconfig } from '../../client/kubeconfig.ts';
import { discardMetrics, testToken } from './inject-server.ts';
import { startEtcd } from './etcd.ts';
import { testPki } from './test-pki.ts';

export const kubectlBin = process.env.KUBECTL_BIN ?? '/usr/bin/kubectl';

export interface ApiResponse {
  statusCode: number;
  json: any;
  text: string;
  headers: import('node:http').IncomingHttpHeaders;
}

export interface WatchStream {
  events: AsyncIterable<unknown>;
  close(): void;
}

export interface ApiServerHandle {
  url: string;
  port: number;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Streams a watch's events (one JSON object per line). */
  stream(path: string): WatchStream;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlStream {
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  output(): string;
  stop(): void;
}

export interface TestCluster {
  dir: string;
  kubeconfigPath: string;
  etcdEndpoint: string;
  /** The primary API server (replaced by restartApiServer). */
  server: ApiServerHandle;
  restartApiServer(): Promise<void>;
  /** Another API server on the same etcd. */
  startApiServer(): Promise<ApiServerHandle>;
  kubectl(args: string[], opts?: { allowFailure?: boolean; stdin?: string }): Promise<KubectlResult>;
  kubectlStream(args: string[]): KubectlStream;
  stop(): Promise<void>;
}

async function listenApiServer(etcdEndpoint: string, tls: { key: string; cert: string; ca: string }, port = 0): Promise<ApiServerHandle> {
  const storage = new Etcd3Storage({ endpoints: [etcdEndpoint] });
  let app: FastifyInstance;
  try {
    app = await buildApiServer({
      storage,
      authenticator: { authenticate: (t) => (t === testToken ? { username: 'admin', uid: 'admin', groups: ['system:masters'] } : undefined) },
      metrics: discardMetrics,
      tls: { key: tls.key, cert: tls.cert },
    });
    await app.listen({ host: '127.0.0.1', port });
  } catch (err) {
    await storage.close();
    throw err;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `https://127.0.0.1:${actualPort}`;
  const agent = new (await import('node:https')).Agent({ ca: tls.ca, keepAlive: true, maxSockets: 128 });
  const requests = new Set<{ destroy(): void }>();

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<ApiResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest(
        `${url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${testToken}`,
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ statusCode: res.statusCode ?? 0, json, text, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });

  const stream = (path: string): WatchStream => {
    const queue: unknown[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const req = httpsRequest(`${url}${path}`, { agent: false, ca: tls.ca, headers: { authorization: `Bearer ${testToken}`, accept: 'application/json' } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) queue.push(JSON.parse(line));
        }
        wake?.();
      });
      res.on('end', () => {
        ended = true;
        wake?.();
      });
      res.on('error', () => {
        ended = true;
        wake?.();
      });
    });
    req.on('error', () => {
      ended = true;
      wake?.();
    });
    req.end();
    requests.add(req);
    return {
      events: {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (queue.length > 0) {
              yield queue.shift();
              continue;
            }
            if (ended) return;
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 200);
            });
            wake = undefined;
          }
        },
      },
      close: () => {
        ended = true;
        req.destroy();
        requests.delete(req);
      },
    };
  };

  return {
    url,
    port: actualPort,
    api,
    stream,
    async stop() {
      for (const r of requests) r.destroy();
      agent.destroy();
      await app.close();
      await storage.close();
    },
  };
}

export async function startTestCluster(): Promise<TestCluster> {
  if (!existsSync(kubectlBin)) {
    throw new Error(`kubectl not found at ${kubectlBin}: install kubectl 1.32 (or set KUBECTL_BIN)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pier-e2e-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const etcd = await startEtcd();
  const pki = await testPki(join(dir, 'pki'));
  let server: ApiServerHandle;
  const extra: ApiServerHandle[] = [];
  try {
    server = await listenApiServer(etcd.endpoint, pki);
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: server.url, caPem: pki.ca, token: testToken });
  const children = new Set<ReturnType<typeof spawn>>();

  const kubectl = (args: string[], opts: { allowFailure?: boolean; stdin?: string } = {}) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = execFile(
        kubectlBin,
        args,
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfigPath }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          if (code !== 0 && !opts.allowFailure) {
            reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${stderr}`));
            return;
          }
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    });

  const kubectlStream = (args: string[]): KubectlStream => {
    const child = spawn(kubectlBin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfigPath } });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return {
      output: () => out,
      async waitFor(pattern, ms = 15_000) {
        const deadline = Date.now() + ms;
        while (!pattern.test(out)) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in kubectl ${args.join(' ')} output:\n${out}`);
          if (child.exitCode !== null) throw new Error(`kubectl ${args.join(' ')} exited ${child.exitCode} before ${pattern}:\n${out}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      stop() {
        child.kill('SIGKILL');
        children.delete(child);
      },
    };
  };

  const cluster: TestCluster = {
    dir,
    kubeconfigPath,
    etcdEndpoint: etcd.endpoint,
    server: server!,
    async restartApiServer() {
      const port = cluster.server.port;
      await cluster.server.stop();
      cluster.server = await listenApiServer(etcd.endpoint, pki, port);
    },
    async startApiServer() {
      const handle = await listenApiServer(etcd.endpoint, pki);
      extra.push(handle);
      return handle;
    },
    kubectl,
    kubectlStream,
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      for (const h of extra) await h.stop().catch(() => undefined);
      await cluster.server.stop().catch(() => undefined);
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
