/**
 * The Deployment controller (with the ReplicaSet controller) against a real
 * API server: new ReplicaSets named by template hash, revisions, scaling,
 * RollingUpdate bounds checked at every pod and ReplicaSet change, Recreate
 * ordering, rollback by template, pause/resume, history cleanup, and the
 * progress deadline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { labelSelectorFromMetav1 } from '../../client/labels/selector.ts';
import type { Deployment, IntOrString, Pod, ReplicaSet } from '../../controllers/controller-utils/workload-objects.ts';
import { startControllerHarness, waitFor, type ControllerHarness } from './support/controller-harness.ts';
import { RolloutWatcher } from './support/rollout-invariants.ts';

let h: ControllerHarness;

before(async () => {
  h = await startControllerHarness({ replicaSets: true, deployments: true });
});
after(async () => {
  await h?.stop();
});

const dPath = (namespace: string, name?: string) => ({ group: 'apps', version: 'v1', plural: 'deployments', namespace, ...(name ? { name } : {}) });
const rsPath = (namespace: string, name?: string) => ({ group: 'apps', version: 'v1', plural: 'replicasets', namespace, ...(name ? { name } : {}) });
const podsPath = (namespace: string) => ({ group: '', version: 'v1', plural: 'pods', namespace });

interface DeploymentOptions {
  replicas: number;
  image?: string;
  strategy?: Deployment['spec']['strategy'];
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
}

function deployment(name: string, o: DeploymentOptions): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1.0' }] } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
    },
  };
}

async function getD(ns: string, name: string): Promise<Deployment> {
  return h.client.get<Deployment>(dPath(ns, name));
}

async function replicaSets(ns: string): Promise<ReplicaSet[]> {
  return (await h.client.list<ReplicaSet>(rsPath(ns))).items;
}

async function pods(ns: string, selector: string): Promise<Pod[]> {
  return (await h.client.list<Pod>(podsPath(ns), { labelSelector: selector })).items.filter((p) => !p.metadata.deletionTimestamp);
}

/** `kubectl rollout status`'s test for a finished rollout. */
function rolledOut(d: Deployment): boolean {
  const s = d.status ?? {};
  const replicas = d.spec.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas
  );
}

async function waitRolledOut(ns: string, name: string, ms = 60_000): Promise<Deployment> {
  return waitFor(`deployment ${name} rolled out`, async () => {
    const d = await getD(ns, name);
    return rolledOut(d) && d.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') ? d : undefined;
  }, ms);
}

async function setImage(ns: string, name: string, image: string): Promise<void> {
  await h.client.patch(dPath(ns, name), 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
}

async function events(ns: string): Promise<Array<{ reason: string; message: string; involvedObject: { kind: string; name: string } }>> {
  return (await h.client.list({ group: '', version: 'v1', plural: 'events', namespace: ns })).items as never;
}

function byRevision(rss: ReplicaSet[]): Map<string, ReplicaSet> {
  return new Map(rss.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '', rs]));
}

describe('Deployment controller', () => {
  it('creates the new ReplicaSet <name>-<hash> with revision 1 and rolls out', async () => {
    const ns = await h.namespace('d-create');
    const created = await h.client.create<Deployment>(dPath(ns), deployment('web', { replicas: 3 }));
    const d = await waitRolledOut(ns, 'web');
    const rss = await replicaSets(ns);
    assert.equal(rss.length, 1);
    const rs = rss[0]!;
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs.spec.template.metadata?.labels?.['pod-template-hash'], hash);
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(d.metadata.generation, 1, 'controller writes must not bump generation');
    const s = d.status!;
    assert.equal(s.observedGeneration, 1);
    assert.equal(s.replicas, 3);
    assert.equal(s.updatedReplicas, 3);
    assert.equal(s.readyReplicas, 3);
    assert.equal(s.availableReplicas, 3);
    assert.equal(s.unavailableReplicas, undefined);
    const available = s.conditions?.find((c) => c.type === 'Available');
    assert.equal(available?.status, 'True');
    assert.equal(available?.reason, 'MinimumReplicasAvailable');
    assert.equal(available?.message, 'Deployment has minimum availability.');
    const progressing = s.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.status, 'True');
    assert.equal(progressing?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    const evs = await waitFor('ScalingReplicaSet event', async () => {
      const e = (await events(ns)).filter((x) => x.reason === 'ScalingReplicaSet');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(evs[0]!.message, `Scaled up replica set web-${hash} from 0 to 3`);
    assert.equal(evs[0]!.involvedObject.kind, 'Deployment');
    // The hash is stable: the same template gives the same hash.
    const again = await h.client.create<Deployment>(dPath(ns), { ...deployment('web', { replicas: 1 }), metadata: { name: 'web2' } });
    void again;
    const rs2 = await waitFor('web2 RS', async () => (await replicaSets(ns)).find((x) => x.metadata.name?.startsWith('web2-')));
    assert.equal(rs2.metadata.labels?.['pod-template-hash'], hash);
  });

  it('scales up and down through the one active ReplicaSet, with kube-worded events', async () => {
    const ns = await h.namespace('d-scale');
    await h.client.create(dPath(ns), deployment('web', { replicas: 2 }));
    await waitRolledOut(ns, 'web');
    const rsName = (await replicaSets(ns))[0]!.metadata.name!;
    await h.client.patch(dPath(ns, 'web'), 'merge', { spec: { replicas: 5 } });
    await waitRolledOut(ns, 'web');
    assert.equal((await pods(ns, 'app=web')).length, 5);
    await h.client.patch(dPath(ns, 'web'), 'merge', { spec: { replicas: 1 } });
    await waitFor('1 pod', async () => ((await pods(ns, 'app=web')).length === 1 ? true : undefined));
    await waitRolledOut(ns, 'web');
    const rss = await replicaSets(ns);
    assert.equal(rss.length, 1);
    assert.equal(rss[0]!.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '1');
    const msgs = await waitFor('scale events', async () => {
      const m = (await events(ns)).filter((x) => x.reason === 'ScalingReplicaSet').map((x) => x.message);
      return m.length >= 3 ? m : undefined;
    });
    assert.ok(msgs.includes(`Scaled up replica set ${rsName} to 5 from 2`), msgs.join('\n'));
    assert.ok(msgs.includes(`Scaled down replica set ${rsName} to 1 from 5`), msgs.join('\n'));
  });

  async function rollingUpdateWithinBounds(ns: string, replicas: number, maxSurge: IntOrString, maxUnavailable: IntOrString, surgePods: number, unavailablePods: number): Promise<void> {
    const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge, maxUnavailable } };
    await h.client.create(dPath(ns), deployment('roll', { replicas, strategy }));
    await waitRolledOut(ns, 'roll');
    const watcher = new RolloutWatcher(h.client, ns, labelSelectorFromMetav1({ matchLabels: { app: 'roll' } }));
    await watcher.start();
    try {
      const since = Date.now();
      await setImage(ns, 'roll', 'nginx:2.0');
      const d = await waitRolledOut(ns, 'roll', 90_000);
      assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
      const rss = byRevision(await replicaSets(ns));
      assert.equal(rss.get('1')?.spec.replicas, 0);
      assert.equal(rss.get('2')?.spec.replicas, replicas);
      assert.equal(rss.get('2')?.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], String(replicas + surgePods));
      const samples = watcher.samples.filter((s) => s.at >= since);
      assert.ok(samples.length > replicas * 2, `watched ${samples.length} changes`);
      assert.deepEqual(watcher.violations(since, replicas + surgePods, replicas - unavailablePods), []);
      // The bounds were actually used, so the check is not vacuous.
      assert.ok(samples.some((s) => s.total === replicas + surgePods || s.available === replicas - unavailablePods), 'the rollout used its surge or unavailability budget');
    } finally {
      await watcher.stop();
    }
  }

  it('rolls out within replicas+maxSurge pods and replicas-maxUnavailable available (numbers)', async () => {
    await rollingUpdateWithinBounds(await h.namespace('d-roll'), 4, 1, 1, 1, 1);
  });

  it('rolls out within bounds given as percentages (surge rounds up, unavailable down)', async () => {
    // 10 replicas: 25% surge = 2.5 → 3; 25% unavailable = 2.5 → 2.
    await rollingUpdateWithinBounds(await h.namespace('d-pct'), 10, '25%', '25%', 3, 2);
  });

  it('rolls out with maxUnavailable 0 (only surge)', async () => {
    await rollingUpdateWithinBounds(await h.namespace('d-surge'), 3, 1, 0, 1, 0);
  });

  it('Recreate: every old pod is gone before the first new pod exists', async () => {
    const ns = await h.namespace('d-recreate');
    await h.client.create(dPath(ns), deployment('rec', { replicas: 3, strategy: { type: 'Recreate' } }));
    await waitRolledOut(ns, 'rec');
    const oldHash = (await replicaSets(ns))[0]!.metadata.labels!['pod-template-hash']!;
    const watcher = new RolloutWatcher(h.client, ns, labelSelectorFromMetav1({ matchLabels: { app: 'rec' } }));
    await watcher.start();
    try {
      const since = Date.now();
      await setImage(ns, 'rec', 'nginx:2.0');
      await waitRolledOut(ns, 'rec');
      const samples = watcher.samples.filter((s) => s.at >= since);
      const mixed = samples.filter((s) => (s.byHash[oldHash] ?? 0) > 0 && Object.keys(s.byHash).some((k) => k !== oldHash));
      assert.deepEqual(mixed, []);
      assert.ok(samples.some((s) => s.total === 0), 'there was a moment with no pods');
    } finally {
      await watcher.stop();
    }
  });

  it('rolls back when the template returns to an old one: the old RS becomes the new one with a new revision', async () => {
    const ns = await h.namespace('d-undo');
    await h.client.create(dPath(ns), deployment('undo', { replicas: 2 }));
    await waitRolledOut(ns, 'undo');
    await setImage(ns, 'undo', 'nginx:2.0');
    await waitRolledOut(ns, 'undo');
    const before = byRevision(await replicaSets(ns));
    const rev1 = before.get('1')!;
    // What kubectl 1.32 `rollout undo` sends: the old RS's template without the hash label, as a JSON patch.
    const template = structuredClone(rev1.spec.template);
    delete template.metadata!.labels!['pod-template-hash'];
    await h.client.patch(dPath(ns, 'undo'), 'json', [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
    ]);
    const d = await waitFor('rolled back', async () => {
      const cur = await getD(ns, 'undo');
      return rolledOut(cur) && cur.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3' ? cur : undefined;
    }, 60_000);
    const rss = await replicaSets(ns);
    assert.equal(rss.length, 2, 'no new ReplicaSet was created');
    const back = rss.find((rs) => rs.metadata.uid === rev1.metadata.uid)!;
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec.replicas, 2);
    assert.equal(rss.find((rs) => rs.metadata.uid !== rev1.metadata.uid)!.spec.replicas, 0);
    assert.equal((d.spec.template.spec?.['containers'] as Array<{ image: string }>)[0]!.image, 'nginx:1.0');
  });

  it('pause stops rollouts but not proportional scaling; resume continues', async () => {
    const ns = await h.namespace('d-pause');
    await h.client.create(dPath(ns), deployment('pz', { replicas: 2 }));
    await waitRolledOut(ns, 'pz');
    await h.client.patch(dPath(ns, 'pz'), 'merge', { spec: { paused: true } });
    await waitFor('DeploymentPaused', async () => ((await getD(ns, 'pz')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused' ? true : undefined));
    const paused = await getD(ns, 'pz');
    const cond = paused.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(cond.status, 'Unknown');
    assert.equal(cond.message, 'Deployment is paused');
    await setImage(ns, 'pz', 'nginx:2.0');
    await h.client.patch(dPath(ns, 'pz'), 'merge', { spec: { replicas: 4 } });
    await waitFor('scaled while paused', async () => ((await pods(ns, 'app=pz')).length === 4 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await replicaSets(ns)).length, 1, 'no rollout while paused');
    const obs = await getD(ns, 'pz');
    assert.equal(obs.status?.observedGeneration, obs.metadata.generation);
    await h.client.patch(dPath(ns, 'pz'), 'merge', { spec: { paused: false } });
    const d = await waitRolledOut(ns, 'pz');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal((await pods(ns, 'app=pz')).length, 4);
  });

  it('keeps at most revisionHistoryLimit old ReplicaSets', async () => {
    const ns = await h.namespace('d-history');
    await h.client.create(dPath(ns), deployment('hist', { replicas: 1, revisionHistoryLimit: 1 }));
    for (const image of ['nginx:2.0', 'nginx:3.0', 'nginx:4.0']) {
      await waitRolledOut(ns, 'hist');
      await setImage(ns, 'hist', image);
    }
    await waitFor('history trimmed to 1 old RS', async () => {
      const rss = await replicaSets(ns);
      const revs = rss.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort();
      return rss.length === 2 && revs.join(',') === '3,4' ? true : undefined;
    }, 60_000);
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    const ns = await h.namespace('d-deadline');
    await h.client.create(dPath(ns), deployment('slow', { replicas: 2, progressDeadlineSeconds: 3 }));
    await waitRolledOut(ns, 'slow');
    h.readiness.hold((pod) => pod.metadata.namespace === ns);
    try {
      await setImage(ns, 'slow', 'nginx:broken');
      const d = await waitFor('ProgressDeadlineExceeded', async () => {
        const cur = await getD(ns, 'slow');
        return cur.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') ? cur : undefined;
      }, 30_000);
      const cond = d.status!.conditions!.find((c) => c.type === 'Progressing')!;
      assert.equal(cond.status, 'False');
      const newRS = byRevision(await replicaSets(ns)).get('2')!;
      assert.equal(cond.message, `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`);
      // 25% of 2 rounds down to 0 unavailable, so the old pods stay available throughout.
      assert.equal(d.status?.availableReplicas, 2);
    } finally {
      h.readiness.hold(false);
    }
    // Once the pods are ready the rollout completes and Progressing recovers.
    await waitRolledOut(ns, 'slow');
  });

  it('reports no unexpected errors', () => {
    assert.deepEqual(h.errors.map((e) => (e instanceof Error ? e.message : String(e))), []);
  });
});
