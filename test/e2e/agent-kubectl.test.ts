/**
 * The real node agent under the real kubectl: etcd + API server, the
 * in-process scheduler and runAgent (runc + conmon, image store with the
 * imported busybox image, CNI bridge). kubectl apply → Running with a pod IP,
 * logs (-f, --previous), exec (exit codes, stdin), port-forward to a busybox
 * httpd, kubectl cp both ways, crash-loop back-off as `kubectl get` shows it, and graceful
 * `kubectl delete` that leaves nothing on the host.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ipv4InCidr } from '../../agent/network/ipv4-cidr.ts';
import { freePort } from '../support/test-registry.ts';
import { assertHostAsBefore, busyboxImage, eventually, isReady, podManifest, agentNodeForFile } from './agent-node.ts';

const e2e = agentNodeForFile(243);

function httpText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
  });
}

describe('kubectl against a real agent', () => {
  test('kubectl apply: the pod is scheduled and Running with a pod IP in the node\'s CIDR', async () => {
    // A TERM trap so deletion is graceful; httpd serves a file the container wrote.
    const script = [
      'mkdir -p /www',
      'echo "hello through port-forward" > /www/index.html',
      'httpd -f -p 8080 -h /www &',
      'trap "echo got TERM; exit 0" TERM',
      'echo started',
      'i=0',
      'while true; do i=$((i+1)); echo tick $i; sleep 1; done',
    ].join('\n');
    const manifest = podManifest('web', {
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'main', image: busyboxImage, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: [{ containerPort: 8080 }] }],
    });
    const applied = await e2e.node.kubectl(['apply', '-f', '-'], { stdin: manifest });
    assert.match(applied.stdout, /^pod\/web created$/m);
    const pod = await e2e.node.waitForPod('web', 'web Running and Ready', (p) => (isReady(p) ? p : undefined));
    assert.equal(pod.spec.nodeName, e2e.node.fx.nodeName);
    assert.ok(pod.status.podIP && ipv4InCidr(pod.status.podIP, e2e.node.fx.podCidr), `podIP ${pod.status.podIP} in ${e2e.node.fx.podCidr}`);
    assert.match(pod.status.containerStatuses[0].containerID, /^runc:\/\/[0-9a-f]{64}$/);
    const wide = await e2e.node.kubectl(['get', 'pod', 'web', '-o', 'wide']);
    assert.match(wide.stdout, new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${pod.status.podIP.replace(/\./g, '\\.')}\\s+${e2e.node.fx.nodeName}`));

    // imagePullPolicy Never with the imported image runs too.
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('never', { containers: [{ name: 'main', image: busyboxImage, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo never pulled; exec sleep 3600'] }] }),
    });
    await e2e.node.waitForPod('never', 'never Running', (p) => isReady(p));
    await eventually('never\'s log', async () => (await e2e.node.kubectl(['logs', 'never'])).stdout === 'never pulled\n');
    await e2e.node.kubectl(['delete', 'pod', 'never', '--grace-period=1']);
  });

  test('kubectl logs, and logs -f until a line that comes later', async () => {
    const logs = await eventually('the first lines', async () => {
      const r = await e2e.node.kubectl(['logs', 'web']);
      return r.stdout.includes('tick 1') ? r.stdout : undefined;
    });
    assert.match(logs, /^started\ntick 1\n/);
    const ticks = Number(/tick (\d+)\n$/.exec((await e2e.node.kubectl(['logs', 'web', '--tail=1'])).stdout)?.[1]);
    assert.ok(ticks >= 1);
    const follow = e2e.node.fx.cluster.kubectlStream(['logs', '-f', 'web']);
    try {
      await follow.waitFor(/^started$/m, 30_000);
      // A line written after kubectl connected arrives on the open stream.
      await follow.waitFor(new RegExp(`^tick ${ticks + 3}$`, 'm'), 30_000);
    } finally {
      follow.stop();
    }
  });

  test('kubectl exec: output and the exit code; exec -i feeds stdin', async () => {
    const r = await e2e.node.kubectl(['exec', 'web', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3'], { allowFailure: true });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.match(r.stderr, /oops/);
    const ok = await e2e.node.kubectl(['exec', 'web', '-c', 'main', '--', 'cat', '/www/index.html']);
    assert.equal(ok.stdout, 'hello through port-forward\n');
    const piped = await e2e.node.kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], { stdin: 'from stdin\nsecond line\n' });
    assert.equal(piped.stdout, 'FROM STDIN\nSECOND LINE\ndone\n');
  });

  test('kubectl port-forward to a busybox httpd, then an HTTP GET through it', async () => {
    const local = await freePort();
    const pf = e2e.node.fx.cluster.kubectlStream(['port-forward', 'pod/web', `${local}:8080`]);
    try {
      await pf.waitFor(new RegExp(`Forwarding from 127\\.0\\.0\\.1:${local} -> 8080`), 30_000);
      const first = await httpText(`http://127.0.0.1:${local}/index.html`);
      assert.equal(first.status, 200);
      assert.equal(first.body, 'hello through port-forward\n');
      // A second connection over the same port-forward session.
      const second = await httpText(`http://127.0.0.1:${local}/missing`);
      assert.equal(second.status, 404);
    } finally {
      pf.stop();
    }
  });

  test('a crashing container restarts with back-off: restartCount grows, kubectl get shows CrashLoopBackOff, logs --previous', async () => {
    // Each run counts itself in an emptyDir, so --previous can be told from the current run.
    const script = 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt $n; sleep 1; exit 1';
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('crasher', {
        restartPolicy: 'Always',
        containers: [{ name: 'main', image: busyboxImage, imagePullPolicy: 'Never', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
    });
    const table = await eventually('CrashLoopBackOff in kubectl get', async () => {
      const r = await e2e.node.kubectl(['get', 'pod', 'crasher', '--no-headers']);
      return /CrashLoopBackOff/.test(r.stdout) ? r.stdout : undefined;
    });
    assert.match(table, /^crasher\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d*\b/m);
    const first = await e2e.node.pod('crasher');
    const cs = first.status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    const n = cs.restartCount as number;
    assert.ok(n >= 1);
    const later = await e2e.node.waitForPod('crasher', 'restartCount to grow', (p) => {
      const c = p.status.containerStatuses?.[0]?.restartCount ?? 0;
      return c > n ? c : undefined;
    });
    assert.ok(later > n);

    // The previous run's log is the one before the current; a run is numbered by restarts + 1.
    const previous = await eventually('logs --previous', async () => {
      const before = (await e2e.node.pod('crasher')).status.containerStatuses[0].restartCount as number;
      const r = await e2e.node.kubectl(['logs', 'crasher', '--previous'], { allowFailure: true });
      const after = (await e2e.node.pod('crasher')).status.containerStatuses[0].restartCount as number;
      return before === after && r.code === 0 ? { text: r.stdout, restarts: after } : undefined;
    });
    assert.equal(previous.text, `attempt ${previous.restarts}\n`);
    const events = await e2e.node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'json']);
    assert.ok((JSON.parse(events.stdout).items as any[]).some((e) => e.reason === 'BackOff'), 'a BackOff event');
    await e2e.node.kubectl(['delete', 'pod', 'crasher', '--grace-period=1']);
  });

  test('kubectl cp copies a file into the pod and back out (tar over exec)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pier-cp-'));
    try {
      const content = `copied ${'x'.repeat(70_000)}\nlast line\n`;
      await writeFile(join(dir, 'in.txt'), content);
      await e2e.node.kubectl(['cp', join(dir, 'in.txt'), 'web:/tmp/in.txt', '-c', 'main']);
      assert.equal((await e2e.node.kubectl(['exec', 'web', '-c', 'main', '--', 'wc', '-c', '/tmp/in.txt'])).stdout.trim().split(/\s+/)[0], String(content.length));
      await e2e.node.kubectl(['cp', 'web:/tmp/in.txt', join(dir, 'out.txt'), '-c', 'main']);
      assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), content);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('kubectl delete stops the pod gracefully and leaves nothing behind on the host', async () => {
    const before = await e2e.node.footprint();
    // Sandboxes have no process of their own (a netns), so web's one container is its runc container.
    const webId = String((await e2e.node.pod('web')).status.containerStatuses[0].containerID).replace(/^runc:\/\//, '');
    assert.ok(before.runcContainers.includes(`${webId} (running)`), `web's container ${webId} among ${before.runcContainers.join(', ')}`);
    assert.equal(before.netns.length, 1, before.netns.join(', '));
    assert.equal(before.veths.length, 1, before.veths.join(', '));
    assert.equal(before.ipLeases.length, 1, before.ipLeases.join(', '));
    assert.ok(before.conmons.length >= 1, 'a conmon for the container');
    assert.ok(before.mounts.length >= 1, 'the rootfs mounts');
    assert.ok(before.cgroups.length >= 1, 'the pod cgroup');

    const started = Date.now();
    // kubectl waits for the object to go, which the agent allows once the containers stopped.
    await e2e.node.kubectl(['delete', 'pod', 'web']);
    const took = Date.now() - started;
    assert.ok(took < 20_000, `took ${took} ms with a 30 s grace period: the container should exit on SIGTERM`);
    const gone = await e2e.node.kubectl(['get', 'pod', 'web'], { allowFailure: true });
    assert.match(gone.stderr, /NotFound/);

    await assertHostAsBefore(e2e.node, e2e.baseline);
  });
});
