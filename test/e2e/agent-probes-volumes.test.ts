/**
 * The real node agent end to end, part two: a memory limit enforced as
 * OOMKilled, readiness and liveness probes flipped with kubectl exec, two
 * containers sharing localhost, configMap/secret/emptyDir volumes (emptyDir
 * shared between containers), an agent restart that adopts the running
 * container, and a clean host after `kubectl delete`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertHostAsBefore, busyboxImage, eventually, isReady, podManifest, agentNodeForFile } from './agent-node.ts';

const e2e = agentNodeForFile(244);

const container = (pod: any, name: string): any => pod.status?.containerStatuses?.find((c: any) => c.name === name);

describe('the real agent: limits, probes, shared pod namespaces, volumes, restarts', () => {
  test('a container over its 16Mi memory limit is OOMKilled', async () => {
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('hog', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            // 64 MiB held in a shell variable.
            command: ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}; sleep 1'],
            resources: { limits: { memory: '16Mi' }, requests: { memory: '16Mi' } },
          },
        ],
      }),
    });
    const term = await e2e.node.waitForPod('hog', 'hog terminated', (p) => container(p, 'main')?.state?.terminated);
    assert.equal(term.reason, 'OOMKilled', JSON.stringify(term));
    assert.equal(term.exitCode, 137);
    const pod = await e2e.node.pod('hog');
    assert.equal(pod.status.phase, 'Failed');
    const table = await e2e.node.kubectl(['get', 'pod', 'hog', '--no-headers']);
    assert.match(table.stdout, /^hog\s+0\/1\s+OOMKilled\s+0\s/m);
    await e2e.node.kubectl(['delete', 'pod', 'hog', '--grace-period=1']);
  });

  test('a readiness probe flips Ready as kubectl exec creates and removes its file; a failing liveness probe restarts the container', async () => {
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('probed', {
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 },
          },
          {
            name: 'live',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            // Each start recreates the file the liveness probe reads.
            command: ['sh', '-c', 'touch /tmp/alive; trap "exit 0" TERM; while true; do sleep 1; done'],
            livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    });
    const notReady = await e2e.node.waitForPod('probed', 'probed Running, main not Ready', (p) =>
      p.status?.phase === 'Running' && container(p, 'main')?.state?.running && container(p, 'live')?.state?.running ? p : undefined,
    );
    assert.equal(container(notReady, 'main').ready, false);
    assert.equal(notReady.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    // Stays not Ready for a few probe periods.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await e2e.node.pod('probed')).status.conditions.find((c: any) => c.type === 'Ready').status, 'False');

    await e2e.node.kubectl(['exec', 'probed', '-c', 'main', '--', 'touch', '/tmp/ready']);
    await e2e.node.waitForPod('probed', 'probed Ready', (p) => isReady(p));
    assert.match((await e2e.node.kubectl(['get', 'pod', 'probed', '--no-headers'])).stdout, /^probed\s+2\/2\s+Running\s+0\s/m);
    await e2e.node.kubectl(['exec', 'probed', '-c', 'main', '--', 'rm', '/tmp/ready']);
    await e2e.node.waitForPod('probed', 'probed not Ready again', (p) => (container(p, 'main')?.ready === false && !isReady(p) ? p : undefined));

    const liveBefore = container(await e2e.node.pod('probed'), 'live');
    assert.equal(liveBefore.restartCount, 0);
    await e2e.node.kubectl(['exec', 'probed', '-c', 'live', '--', 'rm', '/tmp/alive']);
    const restarted = await e2e.node.waitForPod('probed', 'live restarted by its liveness probe', (p) => {
      const c = container(p, 'live');
      return c?.restartCount >= 1 && c.state.running ? c : undefined;
    });
    assert.notEqual(restarted.containerID, liveBefore.containerID);
    assert.equal(restarted.lastState.terminated.reason, 'Completed', 'the TERM trap exited 0');
    // main was left alone.
    assert.equal(container(await e2e.node.pod('probed'), 'main').restartCount, 0);
    const events = JSON.parse((await e2e.node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=probed', '-o', 'json'])).stdout).items as any[];
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message)), events.map((e) => e.message).join('\n'));
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && /^Readiness probe failed/.test(e.message)), events.map((e) => e.message).join('\n'));
    assert.ok(events.some((e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message)));
    await e2e.node.kubectl(['delete', 'pod', 'probed', '--grace-period=2']);
  });

  test('two containers share localhost; configMap, secret and a shared emptyDir are visible in the containers', async () => {
    await e2e.node.kubectl(['create', 'configmap', 'e2e-cfg', '--from-literal=greeting=hello from a configmap']);
    await e2e.node.kubectl(['create', 'secret', 'generic', 'e2e-sec', '--from-literal=password=s3cret']);
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('duo', {
        containers: [
          {
            name: 'server',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            // Answers every connection on localhost:9000 and logs what it got.
            command: ['sh', '-c', 'echo shared-by-server > /shared/from-server; while true; do echo pong | nc -l -p 9000; done'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
          {
            name: 'client',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
            volumeMounts: [
              { name: 'shared', mountPath: '/shared' },
              { name: 'cfg', mountPath: '/etc/cfg' },
              { name: 'sec', mountPath: '/etc/sec' },
            ],
          },
        ],
        volumes: [
          { name: 'shared', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'e2e-cfg' } },
          { name: 'sec', secret: { secretName: 'e2e-sec' } },
        ],
      }),
    });
    await e2e.node.waitForPod('duo', 'duo Running', (p) => isReady(p));
    const reply = await eventually('a reply over localhost', async () => {
      const r = await e2e.node.kubectl(['exec', 'duo', '-c', 'client', '--', 'sh', '-c', 'echo ping | nc 127.0.0.1 9000'], { allowFailure: true });
      return r.code === 0 && r.stdout === 'pong\n' ? r.stdout : undefined;
    }, 30_000);
    assert.equal(reply, 'pong\n');
    // busybox nc may close once its own stdin ends, before printing what the client sent: ping again until one is logged.
    await eventually('the server to log ping', async () => {
      await e2e.node.kubectl(['exec', 'duo', '-c', 'client', '--', 'sh', '-c', 'echo ping | nc 127.0.0.1 9000'], { allowFailure: true });
      return /^ping$/m.test((await e2e.node.kubectl(['logs', 'duo', '-c', 'server'])).stdout) || undefined;
    }, 30_000);

    const sh = async (c: string, cmd: string) => (await e2e.node.kubectl(['exec', 'duo', '-c', c, '--', 'sh', '-c', cmd])).stdout;
    assert.equal(await sh('client', 'cat /etc/cfg/greeting'), 'hello from a configmap');
    assert.equal(await sh('client', 'cat /etc/sec/password'), 's3cret');
    // The emptyDir is one directory seen by both containers, both ways.
    assert.equal(await sh('client', 'cat /shared/from-server'), 'shared-by-server\n');
    await sh('client', 'echo shared-by-client > /shared/from-client');
    assert.equal(await sh('server', 'cat /shared/from-client'), 'shared-by-client\n');
    // A configMap volume is read-only.
    const write = await e2e.node.kubectl(['exec', 'duo', '-c', 'client', '--', 'sh', '-c', 'echo x > /etc/cfg/new'], { allowFailure: true });
    assert.notEqual(write.code, 0);
    await e2e.node.kubectl(['delete', 'pod', 'duo', '--grace-period=1']);
    await e2e.node.kubectl(['delete', 'configmap', 'e2e-cfg']);
    await e2e.node.kubectl(['delete', 'secret', 'e2e-sec']);
  });

  test('stopping the agent and starting a new one on the same root dir keeps the container running', async () => {
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('survivor', {
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', 'trap "exit 0" TERM; echo up; while true; do sleep 1; done'],
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
          },
        ],
      }),
    });
    const before = await e2e.node.waitForPod('survivor', 'survivor Ready', (p) => (isReady(p) ? p : undefined));
    const cs = container(before, 'main');
    const oldPort = e2e.node.agent!.port;
    await e2e.node.stopAgent();
    // While no agent runs, exec through the API server cannot reach the node.
    const down = await e2e.node.kubectl(['exec', 'survivor', '--', 'true'], { allowFailure: true });
    assert.notEqual(down.code, 0);

    await e2e.node.startAgent();
    assert.notEqual(e2e.node.agent!.port, oldPort, 'a fresh port (port 0), so kubectl below reaches the new agent');
    // The new agent publishes its port, then keeps the pod as it found it.
    await eventually('the Node to name the new agent port', async () => {
      const n = JSON.parse((await e2e.node.kubectl(['get', 'node', e2e.node.fx.nodeName, '-o', 'json'])).stdout);
      return n.status.daemonEndpoints.kubeletEndpoint.Port === e2e.node.agent!.port;
    });
    await new Promise((r) => setTimeout(r, 4000));
    const after = await e2e.node.waitForPod('survivor', 'survivor Ready under the new agent', (p) => (isReady(p) ? p : undefined));
    const now = container(after, 'main');
    assert.equal(now.containerID, cs.containerID);
    assert.equal(now.restartCount, cs.restartCount);
    assert.equal(now.state.running.startedAt, cs.state.running.startedAt);
    assert.equal(after.status.podIP, before.status.podIP);
    assert.equal((await e2e.node.kubectl(['exec', 'survivor', '--', 'echo', 'still here'])).stdout, 'still here\n');
    assert.equal((await e2e.node.kubectl(['logs', 'survivor'])).stdout, 'up\n');
  });

  test('kubectl delete of every pod leaves the host as it was', async () => {
    await e2e.node.kubectl(['delete', 'pods', '--all']);
    assert.equal((await e2e.node.kubectl(['get', 'pods', '--no-headers'], { allowFailure: true })).stdout, '');
    await assertHostAsBefore(e2e.node, e2e.baseline);
  });
});
