/**
 * The API server reaching agents with its own client certificate
 * (ApiServerOptions.kubeletClient, as --kubelet-client-certificate) and
 * verifying their serving certificates against the cluster CA: the caller's
 * token then never leaves the control plane.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { ApiServerAuthenticator } from '../../agent/server/agent-authenticator.ts';
import { AgentServer } from '../../agent/server/agent-server.ts';
import { newServingCertificate } from '../../client/pki/certificate.ts';
import { ensurePki } from '../../client/pki/pki-dir.ts';
import { buildApiServer } from '../../apiserver/server.ts';
import { Etcd3Storage } from '../../apiserver/storage/etcd3/store.ts';
import { startEtcd } from '../support/etcd.ts';
import { discardMetrics, testToken } from '../support/inject-server.ts';
import { HostStreamingRuntime } from '../agent/server/host-streaming-runtime.ts';

const dir = mkdtempSync(join(tmpdir(), 'pier-pod-proxy-mtls-'));

function issueClientCertificate(subject: string, caCertFile: string, caKeyFile: string): { certPem: string; keyPem: string } {
  const key = join(dir, 'client.key');
  const csr = join(dir, 'client.csr');
  const crt = join(dir, 'client.crt');
  const ext = join(dir, 'client.ext');
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  try {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCertFile, '-CAkey', caKeyFile, '-CAcreateserial', '-out', crt, '-days', '1', '-extfile', ext], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`issuing a client certificate needs openssl: apt-get install openssl (${(err as Error).message})`);
  }
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

describe('pod proxy with a kubelet client certificate', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let storage: Etcd3Storage;
  let app: FastifyInstance;
  let agent: AgentServer;
  let url: string;
  const runtime = new HostStreamingRuntime();
  const seenAuthorization: (string | undefined)[] = [];
  const pki = ensurePki(join(dir, 'pki'));

  const api = (method: string, path: string, body?: unknown) =>
    new Promise<{ statusCode: number; text: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(`${url}${path}`, { method, ca: pki.ca.certPem, agent: false, headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(payload);
    });

  before(async () => {
    etcd = await startEtcd();
    storage = new Etcd3Storage({ endpoints: [etcd.endpoint] });
    app = await buildApiServer({
      storage,
      authenticator: { authenticate: (t) => (t === testToken ? { username: 'admin', uid: 'admin', groups: ['system:masters'] } : undefined) },
      metrics: discardMetrics,
      tls: { key: pki.serving.keyPem, cert: pki.serving.certPem },
      kubeletClient: { ...issueClientCertificate('/O=system:masters/CN=kube-apiserver-kubelet-client', pki.caCertFile, pki.caKeyFile), caPem: pki.ca.certPem },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    const serving = newServingCertificate(pki.ca, ['127.0.0.1'], 'pier-agent');
    const authenticator = new ApiServerAuthenticator({ server: url, caPem: pki.ca.certPem });
    agent = new AgentServer({
      nodeName: 'n1',
      runtime,
      authenticator: {
        authenticate: (req: IncomingMessage) => {
          seenAuthorization.push(req.headers.authorization);
          return authenticator.authenticate(req);
        },
        authorize: (req, user, attributes) => authenticator.authorize(req, user, attributes),
      },
      tls: { key: serving.keyPem, cert: serving.certPem, clientCaPem: pki.ca.certPem },
    });
    const agentPort = await agent.listen(0, '127.0.0.1');
    const logPath = join(dir, 'c1.log');
    writeFileSync(logPath, '2026-01-02T03:04:05Z stdout F over mtls\n');
    runtime.addContainer('default', 'web', 'c1', logPath);
    const node = await api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agentPort } } },
    });
    assert.equal(node.statusCode, 201, node.text);
    const pod = await api('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'n1', containers: [{ name: 'c1', image: 'x' }] } });
    assert.equal(pod.statusCode, 201, pod.text);
  });

  after(async () => {
    runtime.stop();
    await agent?.close();
    await app?.close();
    await storage?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proxies logs with the client certificate, not the caller\'s token', async () => {
    const r = await api('GET', '/api/v1/namespaces/default/pods/web/log');
    assert.deepEqual(r, { statusCode: 200, text: 'over mtls\n' });
    assert.deepEqual(seenAuthorization, [undefined]);
  });

  it('proxies an exec upgrade the same way', async () => {
    const ws = new WebSocket(`${url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/exec?command=echo&command=mtls&stdout=true`, ['v5.channel.k8s.io'], {
      ca: pki.ca.certPem,
      headers: { authorization: `Bearer ${testToken}` },
    });
    const messages: Buffer[] = [];
    ws.on('message', (d: Buffer) => messages.push(d));
    await new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    assert.equal(Buffer.concat(messages.filter((m) => m[0] === 1).map((m) => m.subarray(1))).toString(), 'mtls\n');
    assert.deepEqual(JSON.parse(messages.at(-1)!.subarray(1).toString()), { metadata: {}, status: 'Success' });
    assert.ok(seenAuthorization.every((a) => a === undefined));
  });
});
