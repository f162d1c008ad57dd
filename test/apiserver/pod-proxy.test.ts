/**
 * kubectl logs / exec / attach / port-forward end to end: the real kubectl
 * 1.32 against the API server (startTestCluster), which proxies to the agent
 * server backed by a runtime of host processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServerAuthenticator } from '../../agent/server/agent-authenticator.ts';
import { AgentServer } from '../../agent/server/agent-server.ts';
import { newServingCertificate } from '../../client/pki/certificate.ts';
import { startTestCluster, kubectlBin, type TestCluster } from '../support/test-cluster.ts';
import { HostStreamingRuntime, type HostContainer } from '../agent/server/host-streaming-runtime.ts';

const nodeName = 'pp-node-1';

async function waitUntil(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function criLine(time: Date | string, stream: 'stdout' | 'stderr', tag: 'P' | 'F', content: string): string {
  return `${typeof time === 'string' ? time : time.toISOString()} ${stream} ${tag} ${content}\n`;
}

/** A direct request to the agent, for the authentication checks. */
function agentGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pod subresources through the API server to the agent', () => {
  let c: TestCluster;
  let agent: AgentServer;
  let agentPort: number;
  const runtime = new HostStreamingRuntime();
  let logDir: string;
  let c1: HostContainer;
  let c2: HostContainer;
  let token: string;

  before(async () => {
    c = await startTestCluster();
    logDir = join(c.dir, 'pp-logs');
    mkdirSync(logDir);
    const pkiDir = join(c.dir, 'pki');
    const ca = { certPem: readFileSync(join(pkiDir, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(pkiDir, 'ca.key'), 'utf8') };
    const serving = newServingCertificate(ca, ['127.0.0.1'], 'pier-agent');
    agent = new AgentServer({
      nodeName,
      runtime,
      authenticator: new ApiServerAuthenticator({ server: c.server.url, caPem: ca.certPem }),
      tls: { key: serving.keyPem, cert: serving.certPem },
    });
    agentPort = await agent.listen(0, '127.0.0.1');
    token = /token: (\S+)/.exec(readFileSync(c.kubeconfigPath, 'utf8'))?.[1] ?? '';

    const node = await c.server.api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: nodeName }], daemonEndpoints: { kubeletEndpoint: { Port: agentPort } } },
    });
    assert.equal(node.statusCode, 201, node.text);
    const nodeStatus = await c.server.api('GET', `/api/v1/nodes/${nodeName}`);
    assert.equal(nodeStatus.json.status.daemonEndpoints.kubeletEndpoint.Port, agentPort, 'the Node keeps its kubelet port');

    const containers = [{ name: 'c1', image: 'busybox' }, { name: 'c2', image: 'busybox' }];
    for (const name of ['web', 'lonely']) {
      const pod = await c.server.api('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers } });
      assert.equal(pod.statusCode, 201, pod.text);
    }
    const bind = await c.server.api('POST', '/api/v1/namespaces/default/pods/web/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web' },
      target: { kind: 'Node', name: nodeName },
    });
    assert.equal(bind.statusCode, 201, bind.text);
    const current = await c.server.api('GET', '/api/v1/namespaces/default/pods/web');
    const status = await c.server.api('PUT', '/api/v1/namespaces/default/pods/web/status', { ...current.json, status: { ...current.json.status, phase: 'Running' } });
    assert.equal(status.statusCode, 200, status.text);

    const c1Log = join(logDir, 'c1.log');
    writeFileSync(
      c1Log,
      criLine('2026-01-02T03:04:05.000000001Z', 'stdout', 'F', 'line one') +
        criLine('2026-01-02T03:04:06.5Z', 'stderr', 'F', 'line two') +
        criLine('2026-01-02T03:04:07Z', 'stdout', 'P', 'hel') +
        criLine('2026-01-02T03:04:07.1Z', 'stdout', 'F', 'lo'),
    );
    const previous = join(logDir, 'c2-previous.log');
    writeFileSync(previous, criLine(new Date(), 'stdout', 'F', 'from the previous run'));
    c1 = runtime.addContainer('default', 'web', 'c1', c1Log);
    c2 = runtime.addContainer('default', 'web', 'c2', join(logDir, 'c2.log'), { previousLogPath: previous });
    writeFileSync(c2.logPath, criLine(new Date(Date.now() - 3600_000), 'stdout', 'F', 'an hour ago') + criLine(new Date(), 'stdout', 'F', 'just now'));
  });

  after(async () => {
    runtime.stop();
    await agent?.close();
    await c?.stop();
  });

  it('kubectl logs prints the container log, joining partial lines', async () => {
    const r = await c.kubectl(['logs', 'web', '-c', 'c1']);
    assert.equal(r.stdout, 'line one\nline two\nhello\n');
  });

  it('kubectl logs --tail, --timestamps, --since, --limit-bytes', async () => {
    assert.equal((await c.kubectl(['logs', 'web', '-c', 'c1', '--tail=2'])).stdout, 'line two\nhello\n');
    assert.equal(
      (await c.kubectl(['logs', 'web', '-c', 'c1', '--timestamps'])).stdout,
      '2026-01-02T03:04:05.000000001Z line one\n2026-01-02T03:04:06.500000000Z line two\n2026-01-02T03:04:07.000000000Z hello\n',
    );
    assert.equal((await c.kubectl(['logs', 'web', '-c', 'c2', '--since=10m'])).stdout, 'just now\n');
    assert.equal((await c.kubectl(['logs', 'web', '-c', 'c1', '--limit-bytes=6'])).stdout, 'line o');
  });

  it('kubectl logs defaults to the first container', async () => {
    const r = await c.kubectl(['logs', 'web']);
    assert.equal(r.stdout, 'line one\nline two\nhello\n');
    assert.match(r.stderr, /Defaulted container "c1" out of: c1, c2/);
  });

  it('kubectl logs --previous reads the previous instance, or says there is none', async () => {
    assert.equal((await c.kubectl(['logs', 'web', '-c', 'c2', '--previous'])).stdout, 'from the previous run\n');
    const r = await c.kubectl(['logs', 'web', '-c', 'c1', '--previous'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): previous terminated container "c1" in pod "web" not found/);
  });

  it('kubectl logs -f follows the file until the container exits', async () => {
    const follower = runtime.addContainer('default', 'web', 'c3', join(logDir, 'c3.log'));
    writeFileSync(follower.logPath, criLine(new Date(), 'stdout', 'F', 'first'));
    const pod = await c.server.api('GET', '/api/v1/namespaces/default/pods/web');
    assert.equal(pod.statusCode, 200);
    // c3 is not in the pod spec; give the API server a pod that has it.
    const created = await c.server.api('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tailer' },
      spec: { nodeName, containers: [{ name: 'c3', image: 'busybox' }] },
    });
    assert.equal(created.statusCode, 201, created.text);
    follower.pod = 'tailer';
    runtime.sandboxes.set('default/tailer', 'sandbox-tailer');

    const stream = c.kubectlStream(['logs', '-f', 'tailer']);
    try {
      await stream.waitFor(/first\n/);
      appendFileSync(follower.logPath, criLine(new Date(), 'stdout', 'F', 'second'));
      await stream.waitFor(/second\n/);
    } finally {
      stream.stop();
    }

    const done = c.kubectl(['logs', '-f', 'tailer']);
    const checks = runtime.runningChecks;
    await waitUntil('the follow to poll', () => runtime.runningChecks > checks + 2);
    appendFileSync(follower.logPath, criLine(new Date(), 'stdout', 'F', 'third'));
    follower.running = false;
    const r = await done;
    assert.equal(r.stdout, 'first\nsecond\nthird\n');
  });

  it('kubectl exec runs the command, separating stdout and stderr, and reports the exit code', async () => {
    const r = await c.kubectl(['exec', 'web', '-c', 'c1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { allowFailure: true });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    const last = runtime.execs.at(-1)!;
    assert.deepEqual(last.cmd, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(last.containerId, c1.containerId);

    const ok = await c.kubectl(['exec', 'web', '-c', 'c2', '--', 'echo', 'hi']);
    assert.equal(ok.stdout, 'hi\n');
  });

  it('kubectl exec -i passes stdin through and closes it at EOF', async () => {
    const r = await c.kubectl(['exec', '-i', 'web', '-c', 'c1', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], { stdin: 'hello stdin\n' });
    assert.equal(r.stdout, 'HELLO STDIN\ndone\n');
  });

  it('kubectl exec -it gives the command a terminal and sends its size', async () => {
    const kubectlArgs = ['exec', '-it', 'web', '-c', 'c1', '--', 'sh', '-c', 'tty; read line; echo "got:$line"; exit 4'];
    const quoted = [kubectlBin, ...kubectlArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // kubectl only asks for a tty when its own stdin is one, so it runs under `script` too.
    const child = spawn('script', ['-qfec', `stty cols 91 rows 27; exec ${quoted}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(c.dir, 'home'), KUBECONFIG: c.kubeconfigPath, TERM: 'xterm' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    try {
      await waitUntil('the remote tty name', () => /\/dev\/pts\/\d+/.test(out));
      child.stdin.write('typed\r');
      await waitUntil('the echo of the typed line', () => /got:typed/.test(out));
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
      assert.equal(code, 4, out);
    } finally {
      child.kill('SIGKILL');
    }
    const tty = runtime.execs.at(-1)!;
    assert.equal(tty.opts.tty, true);
    assert.equal(tty.opts.stdin, true);
    assert.equal(tty.opts.stderr, false);
    assert.ok(runtime.resizes.some((r) => r.width === 91 && r.height === 27), JSON.stringify(runtime.resizes));
  });

  it('kubectl attach streams the container output', async () => {
    const stream = c.kubectlStream(['attach', 'web', '-c', 'c2']);
    try {
      await waitUntil('the attach to connect', () => c2.attachOutput.listenerCount('data') > 0, 20_000);
      c2.attachOutput.write('attached line\n');
      await stream.waitFor(/attached line/);
    } finally {
      stream.stop();
    }
  });

  it('kubectl port-forward carries two concurrent HTTP connections', async () => {
    const seen: string[] = [];
    const waiting: (() => void)[] = [];
    const target = createHttpServer((req, res) => {
      seen.push(req.url ?? '');
      // Answer only once both requests are in: they must be open at the same time.
      waiting.push(() => res.writeHead(200, { connection: 'close' }).end(`hello from the pod${req.url}`));
      if (waiting.length === 2) for (const w of waiting) w();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const remotePort = (target.address() as AddressInfo).port;
    const localPort = await freePort();
    const pf = c.kubectlStream(['port-forward', 'pod/web', `${localPort}:${remotePort}`]);
    try {
      await pf.waitFor(new RegExp(`Forwarding from 127.0.0.1:${localPort} -> ${remotePort}`));
      const fetchOnce = (path: string) =>
        new Promise<string>((resolve, reject) => {
          httpGet({ host: '127.0.0.1', port: localPort, path, agent: false }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(body));
            res.on('error', reject);
          }).on('error', reject);
        });
      const [a, b] = await Promise.all([fetchOnce('/a'), fetchOnce('/b')]);
      assert.equal(a, 'hello from the pod/a');
      assert.equal(b, 'hello from the pod/b');
      assert.deepEqual(seen.sort(), ['/a', '/b']);
      // The tunnel stays usable after connections finished.
      waiting.length = 0;
      const [d, e] = await Promise.all([fetchOnce('/d'), fetchOnce('/e')]);
      assert.deepEqual([d, e], ['hello from the pod/d', 'hello from the pod/e']);
      await pf.waitFor(/Handling connection for/);
    } finally {
      pf.stop();
      await new Promise<void>((r) => target.close(() => r()));
    }
  });

  it('exec into a pod without a node fails with kube\'s message', async () => {
    const r = await c.kubectl(['exec', 'lonely', '-c', 'c1', '--', 'true'], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod lonely does not have a host assigned/);
    const logs = await c.kubectl(['logs', 'lonely', '-c', 'c1'], { allowFailure: true });
    assert.match(logs.stderr, /Error from server \(BadRequest\): pod lonely does not have a host assigned/);
  });

  it('a container the pod does not have is not valid', async () => {
    const r = await c.kubectl(['exec', 'web', '-c', 'nope', '--', 'true'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): container nope is not valid for pod web/);
    // kubectl logs checks the name itself first, in the same words.
    const logs = await c.kubectl(['logs', 'web', '-c', 'nope'], { allowFailure: true });
    assert.match(logs.stderr, /container nope is not valid for pod web/);
    const api = await c.server.api('GET', '/api/v1/namespaces/default/pods/web/log?container=nope');
    assert.equal(api.statusCode, 400);
    assert.equal(api.json.message, 'container nope is not valid for pod web');
  });

  it('the agent refuses callers the API server does not vouch for', async () => {
    const path = '/containerLogs/default/web/c1';
    const anonymous = await agentGet(agentPort, path);
    assert.equal(anonymous.statusCode, 401, anonymous.text);
    assert.equal(JSON.parse(anonymous.text).reason, 'Unauthorized');
    const forged = await agentGet(agentPort, path, { authorization: 'Bearer not-a-real-token' });
    assert.equal(forged.statusCode, 401);
    const admitted = await agentGet(agentPort, path, { authorization: `Bearer ${token}` });
    assert.equal(admitted.statusCode, 200);
    assert.equal(admitted.text, 'line one\nline two\nhello\n');
    const health = await agentGet(agentPort, '/healthz');
    assert.equal(health.statusCode, 200);
  });
});
