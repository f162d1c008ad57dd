/**
 * The Job controller against a real API server, the scheduler and simulated
 * kubelets: Jobs run to completion within parallelism, failures count
 * against backoffLimit, suspend deletes and resume recreates pods, Indexed
 * Jobs give each pod its index, activeDeadlineSeconds fails a Job, and the
 * status, conditions, finalizers and events are kube 1.32's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../../controllers/controller-utils/workload-objects.ts';
import type { Job } from '../../controllers/job/job-types.ts';
import { startWorkloadCluster, waitFor, type WorkloadCluster } from './workload-support/workload-cluster.ts';

let w: WorkloadCluster;

before(async () => {
  w = await startWorkloadCluster({ jobs: { podFailureBackoffMs: 1500, maxPodFailureBackoffMs: 3000, syncBatchPeriodMs: 100 }, nodeCount: 2, nodePrefix: `jobn${process.pid}` });
});
after(async () => {
  await w?.stop();
});

const jobsPath = (namespace: string, name?: string) => ({ group: 'batch', version: 'v1', plural: 'jobs', namespace, ...(name ? { name } : {}) });
const podsPath = (namespace: string) => ({ group: '', version: 'v1', plural: 'pods', namespace });

interface JobOptions {
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  exitCode?: number;
  runSeconds?: number;
  suspend?: boolean;
  indexed?: boolean;
  activeDeadlineSeconds?: number;
}

function job(name: string, o: JobOptions): Job {
  const annotations: Record<string, string> = { 'simnodes.pier.dev/exit-code': String(o.exitCode ?? 0), 'simnodes.pier.dev/run-seconds': String(o.runSeconds ?? 0) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...(o.completions !== undefined ? { completions: o.completions } : {}),
      ...(o.parallelism !== undefined ? { parallelism: o.parallelism } : {}),
      ...(o.backoffLimit !== undefined ? { backoffLimit: o.backoffLimit } : {}),
      ...(o.suspend !== undefined ? { suspend: o.suspend } : {}),
      ...(o.indexed ? { completionMode: 'Indexed' } : {}),
      ...(o.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
      template: { metadata: { annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox:1.36' }] } },
    },
  };
}

async function getJob(ns: string, name: string): Promise<Job> {
  return w.client.get<Job>(jobsPath(ns, name));
}

async function jobPods(ns: string, name: string): Promise<Pod[]> {
  return (await w.client.list<Pod>(podsPath(ns), { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

type Ev = { reason: string; message: string; type: string; involvedObject: { name: string; kind: string } };
async function events(ns: string, name: string): Promise<Ev[]> {
  const list = await w.client.list({ group: '', version: 'v1', plural: 'events', namespace: ns });
  return (list.items as unknown as Ev[]).filter((e) => e.involvedObject.kind === 'Job' && e.involvedObject.name === name);
}

function condition(j: Job, type: string) {
  return j.status?.conditions?.find((c) => c.type === type);
}

function controllerErrors(): string {
  return w.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n');
}

describe('Job controller', () => {
  it('runs parallelism 2 / completions 4 to Complete, never more than 2 at once, and kubectl shows Complete', async () => {
    const ns = await w.namespace('job-ok');
    const created = await w.client.create<Job>(jobsPath(ns), job('pi', { completions: 4, parallelism: 2, runSeconds: 1 }));
    let maxActive = 0;
    const done = await waitFor(
      'Complete condition',
      async () => {
        const pods = await jobPods(ns, 'pi');
        const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp);
        maxActive = Math.max(maxActive, running.length);
        const j = await getJob(ns, 'pi');
        return condition(j, 'Complete')?.status === 'True' ? j : undefined;
      },
      60_000,
    );
    assert.ok(maxActive <= 2, `at most parallelism pods at once, saw ${maxActive}`);
    const s = done.status!;
    assert.equal(s.succeeded, 4);
    assert.equal(s.failed, undefined);
    assert.equal(s.active, undefined);
    assert.equal(s.ready, 0);
    assert.equal(s.terminating, 0);
    assert.deepEqual(s.uncountedTerminatedPods, {});
    assert.ok(s.startTime && s.completionTime, 'startTime and completionTime set');
    assert.ok(Date.parse(s.completionTime!) >= Date.parse(s.startTime!));
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    assert.equal(s.completionTime, condition(done, 'Complete')?.lastTransitionTime);

    const pods = await jobPods(ns, 'pi');
    assert.equal(pods.length, 4);
    for (const p of pods) {
      assert.equal(p.status?.phase, 'Succeeded');
      assert.match(p.metadata.name!, /^pi-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.finalizers ?? [], [], 'tracking finalizer removed once counted');
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/controller-uid'], created.metadata.uid);
    }

    const evs = await waitFor('Completed event', async () => {
      const e = await events(ns, 'pi');
      return e.some((x) => x.reason === 'Completed') ? e : undefined;
    });
    assert.equal(evs.filter((e) => e.reason === 'SuccessfulCreate').length, 4);
    for (const e of evs.filter((x) => x.reason === 'SuccessfulCreate')) assert.match(e.message, /^Created pod: pi-[a-z0-9]{5}$/);
    assert.deepEqual(evs.filter((e) => e.reason === 'Completed').map((e) => [e.type, e.message]), [['Normal', 'Job completed']]);

    const out = await w.c.kubectl(['get', 'jobs', '-n', ns]);
    assert.match(out.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/m);
    assert.match(out.stdout, /^pi\s+Complete\s+4\/4\s+\d+s\s+/m);
    assert.equal(controllerErrors(), '');
  });

  it('fails a Job whose pods keep failing once backoffLimit is exceeded', async () => {
    const ns = await w.namespace('job-fail');
    const startedAt = Date.now();
    await w.client.create<Job>(jobsPath(ns), job('boom', { backoffLimit: 2, exitCode: 1 }));
    const failed = await waitFor(
      'Failed condition',
      async () => {
        const j = await getJob(ns, 'boom');
        return condition(j, 'Failed')?.status === 'True' ? j : undefined;
      },
      60_000,
    );
    const s = failed.status!;
    assert.equal(s.failed, 3, 'backoffLimit 2 allows 3 failures, the third fails the Job');
    assert.equal(s.succeeded, undefined);
    assert.equal(s.completionTime, undefined);
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    const pods = await jobPods(ns, 'boom');
    assert.equal(pods.length, 3, 'one pod per attempt, no more after the Job failed');
    for (const p of pods) assert.deepEqual(p.metadata.finalizers ?? [], []);
    // The replacements waited for the backoff (1.5 s, then 3 s, from finish times the kubelet reports to the second).
    const elapsed = Date.now() - startedAt;
    assert.ok(elapsed >= 2500, `two backoffs before the third attempt failed (took ${elapsed} ms)`);
    const evs = await waitFor('BackoffLimitExceeded event', async () => {
      const e = await events(ns, 'boom');
      return e.some((x) => x.reason === 'BackoffLimitExceeded') ? e : undefined;
    });
    assert.deepEqual(evs.filter((e) => e.reason === 'BackoffLimitExceeded').map((e) => [e.type, e.message]), [['Warning', 'Job has reached the specified backoff limit']]);
    const out = await w.c.kubectl(['get', 'job', 'boom', '-n', ns]);
    assert.match(out.stdout, /^boom\s+Failed\s+0\/1\s+/m);
  });

  it('creates no pods while suspended, runs them once resumed, and deletes running pods when suspended again', async () => {
    const ns = await w.namespace('job-suspend');
    await w.client.create<Job>(jobsPath(ns), job('later', { completions: 2, parallelism: 2, suspend: true, runSeconds: 1 }));
    const suspended = await waitFor('Suspended=True', async () => {
      const j = await getJob(ns, 'later');
      return condition(j, 'Suspended')?.status === 'True' ? j : undefined;
    });
    assert.equal(condition(suspended, 'Suspended')?.reason, 'JobSuspended');
    assert.equal(condition(suspended, 'Suspended')?.message, 'Job suspended');
    assert.equal(suspended.status?.startTime, undefined, 'a suspended Job has not started');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await jobPods(ns, 'later')).length, 0);

    await w.client.patch(jobsPath(ns, 'later'), 'merge', { spec: { suspend: false } });
    const complete = await waitFor(
      'Complete after resume',
      async () => {
        const j = await getJob(ns, 'later');
        return condition(j, 'Complete')?.status === 'True' ? j : undefined;
      },
      60_000,
    );
    assert.equal(condition(complete, 'Suspended')?.status, 'False');
    assert.equal(condition(complete, 'Suspended')?.reason, 'JobResumed');
    assert.equal(complete.status?.succeeded, 2);

    await w.client.create<Job>(jobsPath(ns), job('long', { completions: 2, parallelism: 2, runSeconds: 3600 }));
    await waitFor('2 ready', async () => ((await getJob(ns, 'long')).status?.ready === 2 ? true : undefined));
    await w.client.patch(jobsPath(ns, 'long'), 'merge', { spec: { suspend: true } });
    const paused = await waitFor('suspended with no pods', async () => {
      const j = await getJob(ns, 'long');
      const pods = await jobPods(ns, 'long');
      return condition(j, 'Suspended')?.status === 'True' && (j.status?.active ?? 0) === 0 && pods.length === 0 ? j : undefined;
    });
    assert.equal(paused.status?.failed, undefined, 'pods deleted by suspension are not failures');
    const evs = await waitFor('Suspended and Resumed events', async () => {
      const e = [...(await events(ns, 'later')), ...(await events(ns, 'long'))];
      return e.some((x) => x.reason === 'Resumed') && e.filter((x) => x.reason === 'Suspended').length >= 2 ? e : undefined;
    });
    assert.ok(evs.some((e) => e.reason === 'SuccessfulDelete' && /^Deleted pod: long-[a-z0-9]{5}$/.test(e.message)));
  });

  it('gives each pod of an Indexed Job its completion index and hostname', async () => {
    const ns = await w.namespace('job-indexed');
    await w.client.create<Job>(jobsPath(ns), job('idx', { completions: 3, parallelism: 3, indexed: true, runSeconds: 1 }));
    const done = await waitFor(
      'Complete',
      async () => {
        const j = await getJob(ns, 'idx');
        return condition(j, 'Complete')?.status === 'True' ? j : undefined;
      },
      60_000,
    );
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
    const pods = await jobPods(ns, 'idx');
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [ix, p] of byIndex) {
      assert.match(p.metadata.name!, new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec?.['hostname'], `idx-${ix}`);
      const env = (p.spec?.['containers'] as Array<{ env?: Array<{ name: string }> }>)[0]!.env ?? [];
      assert.ok(env.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
    }
  });

  it('fails a Job that runs longer than activeDeadlineSeconds and deletes its pods', async () => {
    const ns = await w.namespace('job-deadline');
    await w.client.create<Job>(jobsPath(ns), job('slow', { completions: 1, runSeconds: 3600, activeDeadlineSeconds: 2 }));
    const failed = await waitFor('DeadlineExceeded', async () => {
      const j = await getJob(ns, 'slow');
      return condition(j, 'Failed')?.status === 'True' ? j : undefined;
    });
    assert.equal(condition(failed, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(condition(failed, 'Failed')?.message, 'Job was active longer than specified deadline');
    assert.equal(failed.status?.failed, 1, 'the running pod killed at the deadline counts as failed');
    await waitFor('pods gone', async () => ((await jobPods(ns, 'slow')).length === 0 ? true : undefined));
  });
});
