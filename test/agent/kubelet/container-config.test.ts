import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ContainerConfigError,
  containerResources,
  containerSecurityContext,
  generateContainerConfig,
  makeEnvironmentVariables,
  milliCpuToQuota,
  milliCpuToShares,
  podQosClass,
  type ConfigSource,
  type PodRuntimeFacts,
} from '../../../agent/kubelet/container-config.ts';
import type { Container, Pod } from '../../../agent/kubelet/pod-types.ts';

const configs: ConfigSource = {
  async getConfigMap(_ns, name) {
    return name === 'cm' ? { metadata: { name }, data: { a: '1', b: 'two', 'bad key': 'x' } } : undefined;
  },
  async getSecret(_ns, name) {
    return name === 's' ? { metadata: { name }, data: { token: Buffer.from('t0k').toString('base64') } } : undefined;
  },
};

const facts: PodRuntimeFacts = {
  nodeName: 'n1',
  hostIP: '192.0.2.1',
  podIPs: ['10.0.0.7'],
  nodeAllocatable: { cpuMilli: 4000, memoryBytes: 8 * 2 ** 30 },
  memoryCapacityBytes: 8 * 2 ** 30,
};

function pod(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { app: 'x' } }, spec: { nodeName: 'n1', containers: [container], ...extra } };
}

test('env: envFrom first, then env in order, with valueFrom and $(VAR) expansion', async () => {
  const c: Container = {
    name: 'c',
    image: 'i',
    envFrom: [{ configMapRef: { name: 'cm' } }, { prefix: 'S_', secretRef: { name: 's' } }],
    env: [
      { name: 'b', value: 'override' },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
      { name: 'MIX', value: '$(a)-$(NAME)-$(LATER)' },
      { name: 'LATER', value: 'l' },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
    ],
  };
  const env = Object.fromEntries((await makeEnvironmentVariables(pod(c), c, facts, configs)).map((e) => [e.key, e.value]));
  assert.deepEqual(env, {
    a: '1',
    b: 'override',
    S_token: 't0k',
    NAME: 'p',
    UID: 'u-1',
    LABEL: 'x',
    IP: '10.0.0.7',
    HOST: '192.0.2.1',
    NODE: 'n1',
    TOKEN: 't0k',
    MIX: '1-p-$(LATER)',
    LATER: 'l',
    MEM: '8192',
  });
});

test('env: missing sources are errors unless optional, with kubelet\'s messages', async () => {
  const run = (env: Container['env'], envFrom?: Container['envFrom']) => {
    const c: Container = { name: 'c', image: 'i', ...(env ? { env } : {}), ...(envFrom ? { envFrom } : {}) };
    return makeEnvironmentVariables(pod(c), c, facts, configs);
  };
  await assert.rejects(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }]), new ContainerConfigError('configmap "nope" not found'));
  await assert.rejects(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }]), /couldn't find key k in ConfigMap ns\/cm/);
  await assert.rejects(run([{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]), /couldn't find key k in Secret ns\/s/);
  await assert.rejects(run(undefined, [{ secretRef: { name: 'gone' } }]), /secret "gone" not found/);
  assert.deepEqual(await run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }], [{ configMapRef: { name: 'nope', optional: true } }]), []);
});

test('resources: shares from requests, CFS quota from limits, memory, oom_score_adj by QoS, pids', () => {
  assert.equal(milliCpuToShares(0), 2);
  assert.equal(milliCpuToShares(1), 2);
  assert.equal(milliCpuToShares(250), 256);
  assert.equal(milliCpuToShares(2000), 2048);
  assert.equal(milliCpuToQuota(500), 50_000);
  assert.equal(milliCpuToQuota(5), 1000);
  const guaranteed: Container = { name: 'c', image: 'i', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } } };
  const g = pod(guaranteed);
  assert.equal(podQosClass(g), 'Guaranteed');
  assert.deepEqual(containerResources(g, guaranteed, facts, 100), {
    cpuShares: 512,
    cpuPeriod: 100_000,
    cpuQuota: 50_000,
    memoryLimitInBytes: 128 * 2 ** 20,
    oomScoreAdj: -997,
    pidsLimit: 100,
  });
  const burstable: Container = { name: 'c', image: 'i', resources: { requests: { memory: '1Gi' } } };
  assert.equal(podQosClass(pod(burstable)), 'Burstable');
  assert.equal(containerResources(pod(burstable), burstable, facts).oomScoreAdj, 875);
  const best: Container = { name: 'c', image: 'i' };
  assert.deepEqual(containerResources(pod(best), best, facts), { cpuShares: 2, oomScoreAdj: 1000 });
});

test('security context: container over pod settings; privileged refused unless allowed', () => {
  const c: Container = {
    name: 'c',
    image: 'i',
    securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, allowPrivilegeEscalation: false },
  };
  const sc = containerSecurityContext(pod(c, { securityContext: { runAsUser: 5, runAsGroup: 6, supplementalGroups: [7] } }), c, false);
  assert.deepEqual(sc, {
    runAsUser: { value: 1000 },
    runAsGroup: { value: 6 },
    supplementalGroups: [7],
    readonlyRootfs: true,
    capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
    noNewPrivs: true,
  });
  const priv: Container = { name: 'p', image: 'i', securityContext: { privileged: true } };
  assert.throws(() => containerSecurityContext(pod(priv), priv, false), /requests privileged mode/);
  assert.deepEqual(containerSecurityContext(pod(priv), priv, true), { privileged: true });
});

test('generateContainerConfig: command and args expanded, labels, annotations, log path per restart', async () => {
  const c: Container = { name: 'web', image: 'busybox', command: ['sh', '-c', 'echo $(A)'], args: ['$(A)', '$$(A)'], workingDir: '/w', env: [{ name: 'A', value: 'x' }] };
  const config = await generateContainerConfig({ pod: pod(c), container: c, init: false, restartCount: 2, imageRef: 'sha256:abc', facts, configs, mounts: [], allowPrivileged: false });
  assert.deepEqual(config.command, ['sh', '-c', 'echo x']);
  assert.deepEqual(config.args, ['x', '$(A)']);
  assert.equal(config.workingDir, '/w');
  assert.deepEqual(config.metadata, { name: 'web', attempt: 2 });
  assert.deepEqual(config.image, { image: 'sha256:abc' });
  assert.equal(config.logPath, 'web/2.log');
  assert.equal(config.labels?.['io.kubernetes.pod.uid'], 'u-1');
  assert.equal(config.labels?.['io.kubernetes.container.name'], 'web');
  assert.equal(config.annotations?.['io.kubernetes.container.restartCount'], '2');
  assert.match(config.annotations?.['io.kubernetes.container.hash'] ?? '', /^[0-9a-f]{8}$/);
  const runAsRoot: Container = { name: 'r', image: 'i', securityContext: { runAsUser: 0, runAsNonRoot: true } };
  await assert.rejects(
    generateContainerConfig({ pod: pod(runAsRoot), container: runAsRoot, init: false, restartCount: 0, imageRef: 'i', facts, configs, mounts: [], allowPrivileged: false }),
    /breaks non-root policy/,
  );
});
