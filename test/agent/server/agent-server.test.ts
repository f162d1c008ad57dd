/**
 * The agent's server on its own: port-forward over a plain SPDY/3.1 upgrade
 * (kubectl's fallback), exec over WebSocket v4, and who may call it (bearer
 * tokens via an authenticator, client certificates chained to the cluster CA).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ApiServerAuthenticator, bearerToken, type AgentAuthenticator, type AgentUser } from '../../../agent/server/agent-authenticator.ts';
import { AgentServer } from '../../../agent/server/agent-server.ts';
import { ensurePki } from '../../../client/pki/pki-dir.ts';
import { HostStreamingRuntime } from './host-streaming-runtime.ts';
import { SpdyTestClient } from './spdy-test-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'pier-agent-server-'));
const pki = ensurePki(join(dir, 'pki'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Tokens `admin` (allowed) and `viewer` (authenticated, not allowed). */
const tokenAuthenticator: AgentAuthenticator = {
  async authenticate(req: IncomingMessage): Promise<AgentUser | undefined> {
    const token = bearerToken(req);
    if (token === 'admin') return { username: 'admin', groups: ['system:masters'] };
    if (token === 'viewer') return { username: 'viewer', groups: [] };
    return undefined;
  },
  async authorize(_req, user) {
    return user.username === 'admin' ? { allowed: true } : { allowed: false, reason: 'no' };
  },
};

function get(port: number, path: string, options: { headers?: Record<string, string>; cert?: string; key?: string } = {}): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, headers: options.headers ?? {}, ...(options.cert ? { cert: options.cert, key: options.key } : {}) },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('agent server', () => {
  const runtime = new HostStreamingRuntime();
  let server: AgentServer;
  let port: number;
  let echoPort: number;
  const echo = createServer((socket) => {
    socket.write('ready\n');
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    socket.on('end', () => socket.end('bye\n'));
  });

  before(async () => {
    const logPath = join(dir, 'c1.log');
    writeFileSync(logPath, '2026-01-02T03:04:05Z stdout F hi\n');
    runtime.addContainer('default', 'web', 'c1', logPath);
    server = new AgentServer({ nodeName: 'n1', runtime, authenticator: tokenAuthenticator, tls: { key: pki.serving.keyPem, cert: pki.serving.certPem } });
    port = await server.listen(0, '127.0.0.1');
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as AddressInfo).port;
  });

  after(async () => {
    runtime.stop();
    await server?.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('answers 401 without credentials, 403 when not authorized, and serves /healthz to anyone', async () => {
    assert.equal((await get(port, '/containerLogs/default/web/c1')).statusCode, 401);
    const forbidden = await get(port, '/containerLogs/default/web/c1', { headers: { authorization: 'Bearer viewer' } });
    assert.equal(forbidden.statusCode, 403);
    assert.match(JSON.parse(forbidden.text).message, /^Forbidden \(user=viewer, verb=get, resource=nodes, subresource=proxy\)/);
    const ok = await get(port, '/containerLogs/default/web/c1', { headers: { authorization: 'Bearer admin' } });
    assert.deepEqual(ok, { statusCode: 200, text: 'hi\n' });
    assert.equal((await get(port, '/healthz')).statusCode, 200);
    assert.equal((await get(port, '/containerLogs/default/web/nope', { headers: { authorization: 'Bearer admin' } })).statusCode, 404);
  });

  it('refuses an unauthenticated WebSocket exec before running anything', async () => {
    const before = runtime.execs.length;
    const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/default/web/c1?command=true&output=1`, ['v5.channel.k8s.io'], { rejectUnauthorized: false });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    assert.equal(status, 401);
    assert.equal(runtime.execs.length, before);
  });

  it('execs over WebSocket v4.channel.k8s.io, ending with a Status on channel 3', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/default/web/c1?command=sh&command=-c&command=echo%20o%3B%20echo%20e%20%3E%262%3B%20exit%207&output=1&error=1`, ['v4.channel.k8s.io'], {
      rejectUnauthorized: false,
      headers: { authorization: 'Bearer admin' },
    });
    const messages: Buffer[] = [];
    ws.on('message', (d: Buffer) => messages.push(d));
    const code = await new Promise<number>((resolve, reject) => {
      ws.on('close', (c) => resolve(c));
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    assert.equal(code, 1000);
    const byChannel = (ch: number) => Buffer.concat(messages.filter((m) => m[0] === ch).map((m) => m.subarray(1))).toString();
    assert.equal(byChannel(1), 'o\n');
    assert.equal(byChannel(2), 'e\n');
    assert.equal(messages.at(-1)![0], 3, 'the status comes last');
    const status = JSON.parse(byChannel(3));
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '7' }]);
  });

  it('forwards a port over a plain SPDY/3.1 upgrade: SYN_REPLY per stream, PING echo, data both ways, FINs', async () => {
    const client = await SpdyTestClient.connect(port, '/portForward/default/web', { authorization: 'Bearer admin', 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
    try {
      assert.match(client.responseHead, /X-Stream-Protocol-Version: portforward\.k8s\.io/i);
      client.ping(9);
      await client.waitFor('the PING echo', () => client.frames.some((f) => f.frame.kind === 'control' && f.frame.type === 6 && f.frame.payload.readUInt32BE(0) === 9));
      await client.synStream(1, [['streamtype', 'error'], ['port', String(echoPort)], ['requestid', '0']]);
      await client.waitFor('SYN_REPLY 1', () => client.frames.some((f) => f.frame.kind === 'control' && f.frame.type === 2 && f.frame.payload.readUInt32BE(0) === 1));
      client.data(1, '', true);
      await client.synStream(3, [['streamtype', 'data'], ['port', String(echoPort)], ['requestid', '0']]);
      await client.waitFor('the greeting', () => client.received(3).data === 'ready\n');
      client.data(3, 'shout');
      await client.waitFor('the echo', () => client.received(3).data === 'ready\nSHOUT');
      client.data(3, '', true);
      await client.waitFor('FIN on both streams', () => client.received(3).fin && client.received(1).fin);
      assert.equal(client.received(3).data, 'ready\nSHOUTbye\n');
      assert.equal(client.received(1).data, '', 'no error');
    } finally {
      client.close();
    }
  });

  it('reports a failed connection on the error stream', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = await SpdyTestClient.connect(port, '/portForward/default/web', { authorization: 'Bearer admin', 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
    try {
      await client.synStream(1, [['streamtype', 'error'], ['port', String(deadPort)], ['requestid', '0']]);
      await client.synStream(3, [['streamtype', 'data'], ['port', String(deadPort)], ['requestid', '0']]);
      await client.waitFor('the error', () => client.received(1).fin);
      assert.match(client.received(1).data, new RegExp(`^error forwarding port ${deadPort} to pod default/web: .*ECONNREFUSED`));
    } finally {
      client.close();
    }
  });

  it('refuses a SPDY upgrade without the port-forward protocol', async () => {
    await assert.rejects(
      SpdyTestClient.connect(port, '/portForward/default/web', { authorization: 'Bearer admin', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }),
      /HTTP\/1.1 400[\s\S]*unable to negotiate protocol/,
    );
  });
});

describe('agent server with client certificates', () => {
  const runtime = new HostStreamingRuntime();
  let server: AgentServer;
  let port: number;
  const certDir = mkdtempSync(join(tmpdir(), 'pier-agent-mtls-'));

  /** A client certificate signed by the cluster CA with the clientAuth EKU, as kubeadm's apiserver-kubelet-client. */
  function issueClientCertificate(name: string, subject: string): { cert: string; key: string } {
    const key = join(certDir, `${name}.key`);
    const csr = join(certDir, `${name}.csr`);
    const crt = join(certDir, `${name}.crt`);
    const ext = join(certDir, `${name}.ext`);
    writeFileSync(ext, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
    try {
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'pipe' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', pki.caCertFile, '-CAkey', pki.caKeyFile, '-CAcreateserial', '-out', crt, '-days', '1', '-extfile', ext], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`issuing a client certificate needs openssl: apt-get install openssl (${(err as Error).message})`);
    }
    return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
  }

  before(async () => {
    const logPath = join(certDir, 'c1.log');
    writeFileSync(logPath, '2026-01-02T03:04:05Z stdout F from mtls\n');
    runtime.addContainer('default', 'web', 'c1', logPath);
    server = new AgentServer({
      nodeName: 'n1',
      runtime,
      // No API server is reachable here: certificate users never need one.
      authenticator: new ApiServerAuthenticator({ server: 'https://127.0.0.1:1', caPem: pki.ca.certPem }),
      tls: { key: pki.serving.keyPem, cert: pki.serving.certPem, clientCaPem: pki.ca.certPem },
    });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('admits the API server\'s client certificate (group system:masters) and no other', async () => {
    const apiserver = issueClientCertificate('apiserver', '/O=system:masters/CN=kube-apiserver-kubelet-client');
    const ok = await get(port, '/containerLogs/default/web/c1', { cert: apiserver.cert, key: apiserver.key });
    assert.deepEqual(ok, { statusCode: 200, text: 'from mtls\n' });
    const bob = issueClientCertificate('bob', '/CN=bob');
    const forbidden = await get(port, '/containerLogs/default/web/c1', { cert: bob.cert, key: bob.key });
    assert.equal(forbidden.statusCode, 403);
    // A self-signed certificate does not chain to the CA: anonymous.
    const rogueKey = join(certDir, 'rogue.key');
    const rogueCrt = join(certDir, 'rogue.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', rogueKey, '-out', rogueCrt, '-subj', '/O=system:masters/CN=rogue', '-days', '1'], { stdio: 'pipe' });
    const rogue = await get(port, '/containerLogs/default/web/c1', { cert: readFileSync(rogueCrt, 'utf8'), key: readFileSync(rogueKey, 'utf8') });
    assert.equal(rogue.statusCode, 401);
  });
});
