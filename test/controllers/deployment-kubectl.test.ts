/**
 * The stock kubectl driving Deployments end to end through the controllers:
 * apply, `rollout status` (exits 0 once done), `scale`, `set image`,
 * `rollout history`, `rollout undo` (kubectl patches the template back
 * client-side) and `rollout restart` (a template annotation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Deployment, Pod, ReplicaSet } from '../../controllers/controller-utils/workload-objects.ts';
import { startControllerHarness, waitFor, type ControllerHarness } from './support/controller-harness.ts';

let h: ControllerHarness;
let ns: string;

before(async () => {
  h = await startControllerHarness({ replicaSets: true, deployments: true });
  ns = await h.namespace('kubectl-rollout');
});
after(async () => {
  await h?.stop();
});

const manifest = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${namespace}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: c
        image: nginx:1.0
`;

async function kubectl(args: string[]): Promise<string> {
  const r = await h.c.kubectl(['-n', ns, ...args]);
  return r.stdout;
}

async function replicaSets(): Promise<ReplicaSet[]> {
  return (await h.client.list<ReplicaSet>({ group: 'apps', version: 'v1', plural: 'replicasets', namespace: ns })).items;
}

function revision(obj: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  return obj.metadata.annotations?.['deployment.kubernetes.io/revision'];
}

function image(d: Deployment | ReplicaSet): string {
  return (d.spec.template.spec?.['containers'] as Array<{ image: string }>)[0]!.image;
}

describe('kubectl against the Deployment controller', () => {
  it('apply, then rollout status exits 0 once rolled out', async () => {
    await h.c.kubectl(['apply', '-f', '-'], { stdin: manifest(ns) });
    const out = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.match(out, /deployment "web" successfully rolled out/);
  });

  it('scale changes the pod count and rollout status follows', async () => {
    await kubectl(['scale', 'deployment/web', '--replicas=4']);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = (await h.client.list<Pod>({ group: '', version: 'v1', plural: 'pods', namespace: ns }, { labelSelector: 'app=web' })).items;
    assert.equal(pods.length, 4);
    const get = await kubectl(['get', 'deployment', 'web']);
    assert.match(get, /web\s+4\/4\s+4\s+4/);
  });

  it('set image rolls out revision 2, and rollout history lists both revisions', async () => {
    await kubectl(['set', 'image', 'deployment/web', 'c=nginx:2.0']);
    const out = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.match(out, /successfully rolled out/);
    const history = await kubectl(['rollout', 'history', 'deployment/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+<none>$/m);
    const rev2 = await kubectl(['rollout', 'history', 'deployment/web', '--revision=2']);
    assert.match(rev2, /nginx:2\.0/);
  });

  it('rollout undo brings back revision 1 as revision 3, reusing its ReplicaSet', async () => {
    const before = await replicaSets();
    const rev1 = before.find((rs) => revision(rs) === '1')!;
    const out = await kubectl(['rollout', 'undo', 'deployment/web']);
    assert.match(out, /deployment\.apps\/web rolled back/);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const after = await replicaSets();
    assert.equal(after.length, 2);
    const reused = after.find((rs) => rs.metadata.uid === rev1.metadata.uid)!;
    assert.equal(revision(reused), '3');
    assert.equal(reused.spec.replicas, 4);
    const d = await h.client.get<Deployment>({ group: 'apps', version: 'v1', plural: 'deployments', namespace: ns, name: 'web' });
    assert.equal(image(d), 'nginx:1.0');
    assert.equal(revision(d), '3');
    const history = await kubectl(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^2\s+<none>$/m);
    assert.match(history, /^3\s+<none>$/m);
    assert.doesNotMatch(history, /^1\s/m);
  });

  it('rollout restart rolls out a new ReplicaSet with the restartedAt annotation', async () => {
    const out = await kubectl(['rollout', 'restart', 'deployment/web']);
    assert.match(out, /deployment\.apps\/web restarted/);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const rss = await replicaSets();
    assert.equal(rss.length, 3);
    const newest = rss.find((rs) => revision(rs) === '4')!;
    assert.ok(newest.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'template carries restartedAt');
    assert.equal(newest.spec.replicas, 4);
    assert.equal(image(newest), 'nginx:1.0');
    for (const rs of rss.filter((x) => x !== newest)) assert.equal(rs.spec.replicas, 0);
    const describe = await kubectl(['describe', 'deployment', 'web']);
    assert.match(describe, /Scaled up replica set web-[a-z0-9]+ from 0 to/);
  });

  it('rollout status fails when the progress deadline is exceeded', async () => {
    await kubectl(['patch', 'deployment/web', '-p', '{"spec":{"progressDeadlineSeconds":3}}']);
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    h.readiness.hold((pod) => pod.metadata.namespace === ns);
    try {
      await kubectl(['set', 'image', 'deployment/web', 'c=nginx:broken']);
      const r = await h.c.kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s'], { allowFailure: true });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /exceeded its progress deadline/);
    } finally {
      h.readiness.hold(false);
    }
    await waitFor('recovered', async () => {
      const r = await h.c.kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=5s'], { allowFailure: true });
      return r.code === 0 ? true : undefined;
    }, 60_000);
  });

  it('reports no unexpected errors', () => {
    assert.deepEqual(h.errors.map((e) => (e instanceof Error ? e.message : String(e))), []);
  });
});
