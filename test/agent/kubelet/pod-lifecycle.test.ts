/**
 * The kubelet against a real API server, runc + conmon, the image store and
 * CNI bridge networking: node registration, pods running with env, volumes
 * and logs, crash loops, finished pods, graceful deletion, image pull
 * failures, the privileged refusal, and nothing left on the host afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { Pod } from '../../../agent/kubelet/pod-types.ts';
import { ipv4InCidr } from '../../../agent/network/ipv4-cidr.ts';
import { freePort } from '../../support/test-registry.ts';
import { busyboxImage, eventually, logContent, startKubeletFixture, type KubeletFixture } from './kubelet-fixture.ts';

let fx: KubeletFixture;
let hostDir = '';

before(async () => {
  fx = await startKubeletFixture(241);
  hostDir = await mkdtemp(join(tmpdir(), `pier-kubelet-host-${fx.tag}-`));
  await fx.startKubelet();
});

after(async () => {
  await fx?.teardown();
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
});

const running = (pod: Pod) =>
  pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;

function containerId(pod: Pod, index = 0): string {
  const id = pod.status?.containerStatuses?.[index]?.containerID ?? '';
  assert.match(id, /^runc:\/\/[0-9a-f]{64}$/);
  return id.slice('runc://'.length);
}

async function exec(pod: Pod, cmd: string[]): Promise<string> {
  const r = await fx.parts.runtime.execSync(containerId(pod), cmd, 30);
  assert.equal(r.exitCode, 0, `${cmd.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

async function deletePod(name: string, gracePeriodSeconds?: number): Promise<void> {
  await fx.client
    .delete({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name }, gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {})
    .catch(() => undefined);
}

describe('kubelet on a real node', () => {
  test('registers the Node with host capacity, conditions and nodeInfo, and keeps its Lease', async () => {
    const node = await fx.client.get<KubeObject & { spec: { podCIDR?: string }; status: any }>({ group: '', version: 'v1', plural: 'nodes', name: fx.nodeName });
    assert.equal(node.spec.podCIDR, fx.podCidr);
    assert.equal(node.status.capacity.cpu, String(cpus().length));
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
    assert.equal(node.status.capacity.pods, '110');
    assert.match(node.status.capacity['ephemeral-storage'], /^\d+Ki$/);
    assert.ok(node.status.allocatable.memory);
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.32.0-pier');
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^runc:\/\/\S+/);
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    assert.ok(node.status.nodeInfo.osImage);
    assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, 10250);
    const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(ready.status, 'True');
    assert.equal(ready.reason, 'KubeletReady');
    assert.deepEqual(node.status.addresses.map((a: { type: string }) => a.type), ['InternalIP', 'Hostname']);
    assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], fx.nodeName);
    assert.ok(node.status.images.some((i: { names: string[] }) => i.names.includes('docker.io/pier/busybox:1.0')));

    const leasePath = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-node-lease', name: fx.nodeName };
    const lease = await fx.client.get<KubeObject & { spec: { holderIdentity: string; renewTime: string; leaseDurationSeconds: number } }>(leasePath);
    assert.equal(lease.spec.holderIdentity, fx.nodeName);
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.equal(lease.metadata.ownerReferences?.[0]?.uid, node.metadata.uid);
    await eventually('the lease to be renewed', async () => {
      const again = await fx.client.get<KubeObject & { spec: { renewTime: string } }>(leasePath);
      return again.spec.renewTime !== lease.spec.renewTime;
    }, 30_000);
  });

  test('a bound pod runs: Running and Ready, with a pod IP, container statuses, events and its CRI log', async () => {
    await fx.createPod({
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'main', image: busyboxImage, command: ['sh', '-c', 'echo hello from web; exec sleep 3600'] }] },
    });
    const pod = await fx.waitForPod('web', 'web Running and Ready', running);
    const st = pod.status!;
    assert.ok(st.podIP && ipv4InCidr(st.podIP, fx.podCidr), `podIP ${st.podIP} in ${fx.podCidr}`);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.ok(st.hostIP);
    assert.ok(st.startTime);
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers']) {
      assert.equal(st.conditions?.find((c) => c.type === type)?.status, 'True', type);
    }
    const cs = st.containerStatuses![0]!;
    assert.equal(cs.name, 'main');
    assert.ok(cs.state.running?.startedAt);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.image, busyboxImage);
    assert.match(cs.imageID, /sha256:[0-9a-f]{64}$/);
    containerId(pod);

    const status = (await fx.parts.runtime.containerStatus(containerId(pod))).status;
    assert.ok(status.logPath.startsWith(join(fx.rootDir, 'pods', pod.metadata.uid!)), status.logPath);
    await eventually('the greeting in the CRI log', async () => logContent(await readFile(status.logPath, 'utf8')).includes('hello from web'));
    assert.match(await readFile(status.logPath, 'utf8'), /^\S+ stdout F hello from web$/m);

    // The pod's address is reachable from the host over the bridge.
    assert.match(await exec(pod, ['ip', '-4', 'addr', 'show', 'eth0']), new RegExp(`inet ${st.podIP!.replace(/\./g, '\\.')}/`));

    const events = await eventually('the start events', async () => {
      const e = await fx.events('web');
      return e.some((x) => x.startsWith('Started:')) ? e : undefined;
    });
    assert.ok(events.includes(`Pulled: Container image "${busyboxImage}" already present on machine`), events.join('\n'));
    assert.ok(events.includes('Created: Created container: main'), events.join('\n'));
    assert.ok(events.includes('Started: Started container main'), events.join('\n'));
  });

  test('env from a ConfigMap, a Secret and the downward API, envFrom, $(VAR) expansion, and configMap/secret/emptyDir volumes', async () => {
    const cmPath = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
    await fx.client.create(cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { greeting: 'hi there', 'app.conf': 'x=1\n' } });
    await fx.client.create(
      { group: '', version: 'v1', plural: 'secrets', namespace: 'default' },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { password: Buffer.from('s3cret').toString('base64') } },
    );
    await fx.createPod({
      metadata: { name: 'envy', labels: { app: 'envy' } },
      spec: {
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            command: ['sh', '-c', 'echo "greeting=$(GREETING)"; exec sleep 3600'],
            env: [
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
              { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'COMBINED', value: '$(GREETING)/$(POD_NAME)/$(UNKNOWN)' },
              { name: 'ESCAPED', value: '$$(GREETING)' },
              { name: 'MISSING_OPTIONAL', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
            ],
            envFrom: [{ prefix: 'CM_', configMapRef: { name: 'cfg' } }],
            volumeMounts: [
              { name: 'config', mountPath: '/etc/cfg' },
              { name: 'config-items', mountPath: '/etc/app' },
              { name: 'config-items', mountPath: '/etc/single.conf', subPath: 'conf/app.conf' },
              { name: 'secret', mountPath: '/etc/secret' },
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'cfg' } },
          { name: 'config-items', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }] } },
          { name: 'secret', secret: { secretName: 'sec', defaultMode: 0o440 } },
          { name: 'scratch', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory' } },
        ],
      },
    });
    const pod = await fx.waitForPod('envy', 'envy Running', running);
    const env = new Map(
      (await exec(pod, ['env']))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
    );
    assert.equal(env.get('GREETING'), 'hi there');
    assert.equal(env.get('PASSWORD'), 's3cret');
    assert.equal(env.get('POD_NAME'), 'envy');
    assert.equal(env.get('POD_NAMESPACE'), 'default');
    assert.equal(env.get('POD_UID'), pod.metadata.uid);
    assert.equal(env.get('POD_IP'), pod.status!.podIP);
    assert.equal(env.get('HOST_IP'), pod.status!.hostIP);
    assert.equal(env.get('NODE_NAME'), fx.nodeName);
    assert.equal(env.get('COMBINED'), 'hi there/envy/$(UNKNOWN)');
    assert.equal(env.get('ESCAPED'), '$(GREETING)');
    assert.equal(env.get('CM_greeting'), 'hi there');
    assert.equal(env.has('MISSING_OPTIONAL'), false);
    // The image's own env stays.
    assert.equal(env.get('PIER_IMAGE'), 'busybox');

    // $(VAR) in the command was expanded by the kubelet.
    const logPath = (await fx.parts.runtime.containerStatus(containerId(pod))).status.logPath;
    await eventually('the expanded command output', async () => logContent(await readFile(logPath, 'utf8')).includes('greeting=hi there'));

    assert.equal(await exec(pod, ['cat', '/etc/cfg/greeting']), 'hi there');
    assert.equal(await exec(pod, ['cat', '/etc/cfg/app.conf']), 'x=1\n');
    assert.equal(await exec(pod, ['cat', '/etc/app/conf/app.conf']), 'x=1\n');
    assert.equal((await exec(pod, ['stat', '-L', '-c', '%a', '/etc/app/conf/app.conf'])).trim(), '400');
    assert.equal(await exec(pod, ['cat', '/etc/single.conf']), 'x=1\n');
    assert.equal(await exec(pod, ['cat', '/etc/secret/password']), 's3cret');
    assert.equal((await exec(pod, ['stat', '-L', '-c', '%a', '/etc/secret/password'])).trim(), '440');
    assert.match(await exec(pod, ['cat', '/proc/mounts']), /tmpfs \/mem tmpfs/);
    // ConfigMap volumes are read-only; emptyDir is writable.
    const write = await fx.parts.runtime.execSync(containerId(pod), ['sh', '-c', 'echo x > /etc/cfg/new'], 30);
    assert.notEqual(write.exitCode, 0);
    await exec(pod, ['sh', '-c', 'echo data > /scratch/file']);
    assert.equal(await exec(pod, ['cat', '/scratch/file']), 'data\n');
  });

  test('a missing ConfigMap key is a CreateContainerConfigError', async () => {
    await fx.createPod({
      metadata: { name: 'badref' },
      spec: {
        containers: [
          { name: 'main', image: busyboxImage, command: ['sleep', '3600'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }] },
        ],
      },
    });
    const waiting = await fx.waitForPod('badref', 'CreateContainerConfigError', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    });
    assert.equal(waiting.message, "couldn't find key nope in ConfigMap default/cfg");
    const pod = (await fx.getPod('badref'))!;
    assert.equal(pod.status?.phase, 'Pending');
    await deletePod('badref');
  });

  test('a container that keeps failing under restartPolicy Always restarts with CrashLoopBackOff back-off', async () => {
    await fx.createPod({
      metadata: { name: 'crash' },
      spec: { restartPolicy: 'Always', containers: [{ name: 'crasher', image: busyboxImage, command: ['sh', '-c', 'echo crashing; exit 1'] }] },
    });
    const backoff = await fx.waitForPod('crash', 'CrashLoopBackOff', (p) => {
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    const cs = backoff.status!.containerStatuses![0]!;
    assert.ok(cs.restartCount >= 1, `restartCount ${cs.restartCount}`);
    assert.match(cs.state.waiting!.message!, new RegExp(`^back-off \\d+s restarting failed container=crasher pod=crash_default\\(${backoff.metadata.uid}\\)$`));
    assert.equal(cs.lastState.terminated?.exitCode, 1);
    assert.equal(cs.lastState.terminated?.reason, 'Error');
    assert.equal(cs.ready, false);
    assert.equal(backoff.status!.phase, 'Running');
    assert.equal(backoff.status!.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    // The back-off runs out and the container is started again.
    const later = await fx.waitForPod('crash', 'another restart', (p) => {
      const n = p.status?.containerStatuses?.[0]?.restartCount ?? 0;
      return n > cs.restartCount ? n : undefined;
    }, 60_000);
    assert.ok(later > cs.restartCount);
    const events = await fx.events('crash');
    assert.ok(
      events.some((e) => e === `BackOff: Back-off restarting failed container crasher in pod crash_default(${backoff.metadata.uid})`),
      events.join('\n'),
    );
    await deletePod('crash');
  });

  test('restartPolicy Never: the pod ends Succeeded or Failed with the exit code, and its sandbox is stopped', async () => {
    await fx.createPod({ metadata: { name: 'ok-once' }, spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: busyboxImage, command: ['sh', '-c', 'echo done'] }] } });
    await fx.createPod({ metadata: { name: 'fail-once' }, spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: busyboxImage, command: ['sh', '-c', 'exit 3'] }] } });
    const ok = await fx.waitForPod('ok-once', 'Succeeded', (p) => (p.status?.phase === 'Succeeded' ? p : undefined));
    const okTerm = ok.status!.containerStatuses![0]!.state.terminated!;
    assert.equal(okTerm.exitCode, 0);
    assert.equal(okTerm.reason, 'Completed');
    assert.ok(okTerm.startedAt && okTerm.finishedAt);
    assert.equal(ok.status!.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
    const failed = await fx.waitForPod('fail-once', 'Failed', (p) => (p.status?.phase === 'Failed' ? p : undefined));
    const failedTerm = failed.status!.containerStatuses![0]!.state.terminated!;
    assert.equal(failedTerm.exitCode, 3);
    assert.equal(failedTerm.reason, 'Error');
    assert.equal(failed.status!.containerStatuses![0]!.restartCount, 0);
    await eventually('the finished pods\' sandboxes stopped', async () => {
      const sandboxes = await fx.parts.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': failed.metadata.uid! } });
      return sandboxes.length === 1 && sandboxes[0]!.state === 'SANDBOX_NOTREADY';
    });
    await deletePod('ok-once');
    await deletePod('fail-once');
  });

  test('deleting a pod stops it gracefully (SIGTERM first) and then the pod object goes away', async () => {
    const marker = join(hostDir, 'term');
    await fx.createPod({
      metadata: { name: 'graceful' },
      spec: {
        terminationGracePeriodSeconds: 20,
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            command: ['sh', '-c', 'trap "echo got-term > /host/term/marker; exit 0" TERM; echo ready; while true; do sleep 0.2; done'],
            volumeMounts: [{ name: 'host', mountPath: '/host/term' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: marker, type: 'DirectoryOrCreate' } }],
      },
    });
    const pod = await fx.waitForPod('graceful', 'graceful Running', running);
    const logPath = (await fx.parts.runtime.containerStatus(containerId(pod))).status.logPath;
    await eventually('ready in the log', async () => logContent(await readFile(logPath, 'utf8')).includes('ready'));
    const started = Date.now();
    await deletePod('graceful');
    await eventually('the pod object to disappear', async () => (await fx.getPod('graceful')) === undefined);
    const took = Date.now() - started;
    assert.ok(took < 18_000, `took ${took} ms: the container should have exited on SIGTERM, not at the end of the grace period`);
    assert.equal((await readFile(join(marker, 'marker'), 'utf8')).trim(), 'got-term');
    await eventually('the sandbox to be removed', async () =>
      (await fx.parts.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': pod.metadata.uid! } })).length === 0,
    );
    const events = await fx.events('graceful');
    assert.ok(events.includes('Killing: Stopping container main'), events.join('\n'));
  });

  test('an image that does not exist: ErrImagePull, then ImagePullBackOff; Never with a missing image: ErrImageNeverPull', async () => {
    // A registry address where nothing listens.
    const image = `127.0.0.1:${await freePort()}/pier/does-not-exist:1.0`;
    await fx.createPod({ metadata: { name: 'noimage' }, spec: { containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent' }] } });
    await fx.createPod({ metadata: { name: 'neverpull' }, spec: { containers: [{ name: 'main', image: 'pier/not-here:2.0', imagePullPolicy: 'Never' }] } });
    const reasons = new Set<string>();
    await fx.waitForPod('noimage', 'ErrImagePull and ImagePullBackOff', (p) => {
      const r = p.status?.containerStatuses?.[0]?.state.waiting?.reason;
      if (r) reasons.add(r);
      return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff') ? true : undefined;
    });
    const pod = (await fx.getPod('noimage'))!;
    assert.equal(pod.status?.phase, 'Pending');
    const events = await fx.events('noimage');
    assert.ok(events.includes(`Pulling: Pulling image "${image}"`), events.join('\n'));
    assert.ok(events.some((e) => e.startsWith(`Failed: Failed to pull image "${image}": `)), events.join('\n'));
    assert.ok(events.includes('Failed: Error: ErrImagePull'), events.join('\n'));
    assert.ok(events.includes(`BackOff: Back-off pulling image "${image}"`), events.join('\n'));
    assert.ok(events.includes('Failed: Error: ImagePullBackOff'), events.join('\n'));

    const never = await fx.waitForPod('neverpull', 'ErrImageNeverPull', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    });
    assert.equal(never.message, 'Container image "pier/not-here:2.0" is not present with pull policy of Never');
    await deletePod('noimage');
    await deletePod('neverpull');
  });

  test('a privileged container is refused on a node without --allow-privileged', async () => {
    await fx.createPod({
      metadata: { name: 'priv' },
      spec: { containers: [{ name: 'main', image: busyboxImage, command: ['sleep', '3600'], securityContext: { privileged: true } }] },
    });
    const waiting = await fx.waitForPod('priv', 'CreateContainerConfigError', (p) => {
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    });
    assert.match(waiting.message!, /privileged/);
    const events = await fx.events('priv');
    assert.ok(events.some((e) => e.startsWith('Failed: Error: container main requests privileged mode')), events.join('\n'));
    await deletePod('priv');
  });

  test('probes: an exec readiness probe gates Ready; a failing tcpSocket liveness probe restarts the container', async () => {
    await fx.createPod({
      metadata: { name: 'probed' },
      spec: {
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            command: ['sh', '-c', 'exec sleep 3600'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
          },
          {
            name: 'unhealthy',
            image: busyboxImage,
            command: ['sleep', '3600'],
            livenessProbe: { tcpSocket: { port: 8081 }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1 },
          },
        ],
      },
    });
    const notReady = await fx.waitForPod('probed', 'probed Running but not Ready', (p) =>
      p.status?.phase === 'Running' && p.status.containerStatuses?.find((c) => c.name === 'main')?.state.running ? p : undefined,
    );
    assert.equal(notReady.status!.containerStatuses!.find((c) => c.name === 'main')!.ready, false);
    assert.equal(notReady.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
    await exec(notReady, ['touch', '/tmp/ready']);
    await fx.waitForPod('probed', 'main Ready', (p) => (p.status?.containerStatuses?.find((c) => c.name === 'main')?.ready ? p : undefined));
    const restarted = await fx.waitForPod('probed', 'the unhealthy container restarted', (p) => {
      const cs = p.status?.containerStatuses?.find((c) => c.name === 'unhealthy');
      return cs && cs.restartCount >= 1 ? cs : undefined;
    });
    assert.equal(restarted.lastState.terminated?.exitCode, 137);
    const events = await fx.events('probed');
    assert.ok(events.some((e) => e.startsWith('Unhealthy: Liveness probe failed: dial tcp ')), events.join('\n'));
    assert.ok(events.includes('Killing: Container unhealthy failed liveness probe, will be restarted'), events.join('\n'));
    await deletePod('probed');
  });

  test('once every pod is deleted nothing is left on the host', async () => {
    const list = await fx.client.list<Pod>({ group: '', version: 'v1', plural: 'pods', namespace: 'default' });
    for (const p of list.items) await deletePod(p.metadata.name!);
    await eventually('every pod to go', async () => (await fx.client.list({ group: '', version: 'v1', plural: 'pods', namespace: 'default' })).items.length === 0);
    const left = await eventually('the host to be clean', async () => {
      const l = await fx.leftovers();
      return l.length === 0 ? l : undefined;
    }, 30_000).catch(async () => fx.leftovers());
    assert.deepEqual(left, []);
  });
});
