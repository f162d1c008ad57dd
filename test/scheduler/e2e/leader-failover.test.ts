/**
 * Leader failover through the CLI: two `pier scheduler` processes campaign on
 * the kube-system/pier-scheduler Lease; only the holder schedules; once it is
 * SIGKILLed (no clean release of the Lease) the standby takes the Lease after
 * it expires (15 s) and binds the pods that piled up meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPier, type PierProcess } from '../../cli/run-pier.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { createNamespace, createNode, createPod, getPod, waitFor, waitForNodeName } from './support.ts';

const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/pier-scheduler';
/** kube-scheduler's defaults, which pier's elector uses: lease 15 s, retry 2 s. */
const leaseDurationMs = 15_000;
const retryPeriodMs = 2_000;

let c: TestCluster;
let home: string;
const children: PierProcess[] = [];

before(async () => {
  c = await startTestCluster();
  home = mkdtempSync(join(tmpdir(), 'pier-sched-failover-'));
});
after(async () => {
  for (const p of children) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  await c?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  renewTime?: string;
  leaseTransitions?: number;
}

async function lease(): Promise<LeaseSpec | undefined> {
  const r = await c.server.api('GET', leasePath);
  if (r.statusCode === 404) return undefined;
  assert.equal(r.statusCode, 200, r.text);
  return r.json.spec as LeaseSpec;
}

async function startScheduler(): Promise<PierProcess> {
  const p = startPier(['scheduler', '--kubeconfig', c.kubeconfigPath], home);
  children.push(p);
  await p.waitForOutput(/pier scheduler: scheduling against https:\/\/127\.0\.0\.1:\d+ \(leader election on kube-system\/pier-scheduler\)/, 60_000);
  return p;
}

describe('scheduler leader election (pier scheduler processes)', () => {
  it('only the Lease holder binds; after it is SIGKILLed the standby takes over within the lease duration', async () => {
    const ns = 'failover';
    await createNamespace(c, ns);
    await createNode(c, 'lf-1');
    await createNode(c, 'lf-2');

    // The first process is alone, so the Lease it creates names it.
    const first = await startScheduler();
    const leader = await waitFor('the first scheduler to take the Lease', async () => (await lease())?.holderIdentity || undefined, 20_000);
    assert.equal((await lease())?.leaseDurationSeconds, leaseDurationMs / 1000);
    const second = await startScheduler();
    await createPod(c, ns, 'before', { cpu: '100m' });
    await waitForNodeName(c, ns, 'before');

    // The standby must not schedule: with the leader frozen (for less than the
    // renew deadline) a new pod stays pending, and the leader binds it on resume.
    const renewed = (await lease())?.renewTime;
    assert.ok(first.child.kill('SIGSTOP'));
    try {
      await createPod(c, ns, 'while-frozen', { cpu: '100m' });
      await new Promise((r) => setTimeout(r, retryPeriodMs + 1_000));
      assert.equal((await getPod(c, ns, 'while-frozen')).spec.nodeName, undefined, 'the standby bound a pod while the leader held the Lease');
      const held = await lease();
      assert.equal(held?.holderIdentity, leader, 'the standby took the Lease while it was still valid');
    } finally {
      first.child.kill('SIGCONT');
    }
    await waitForNodeName(c, ns, 'while-frozen');
    await waitFor('the leader to renew after resuming', async () => ((await lease())?.renewTime !== renewed ? true : undefined));
    assert.equal((await lease())?.holderIdentity, leader);
    assert.equal(second.child.exitCode, null, `the standby exited: ${second.stderr()}`);

    // Kill the leader outright: the Lease is not released and must expire.
    const transitions = (await lease())?.leaseTransitions ?? 0;
    const killedAt = Date.now();
    assert.ok(first.child.kill('SIGKILL'));
    await first.exited;
    await createPod(c, ns, 'after-kill', { cpu: '100m' });
    // The standby sees the Lease expire leaseDuration after it last saw it change
    // (up to one retry period after the last renewal) and tries every retry period.
    const budgetMs = leaseDurationMs + 2 * retryPeriodMs + 3_000;
    const node = await waitForNodeName(c, ns, 'after-kill', budgetMs + 5_000);
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(`# scheduler failover: the standby bound a pod ${takeoverMs} ms after the leader was SIGKILLed\n`);
    assert.ok(['lf-1', 'lf-2'].includes(node));
    assert.ok(takeoverMs <= budgetMs, `takeover took ${takeoverMs} ms, more than ${budgetMs} ms`);
    assert.ok(takeoverMs >= leaseDurationMs - retryPeriodMs, `takeover after ${takeoverMs} ms: the Lease cannot have expired yet`);
    const now = await lease();
    assert.ok(now?.holderIdentity && now.holderIdentity !== leader, `the Lease still names ${now?.holderIdentity}`);
    assert.equal(now.leaseTransitions, transitions + 1);
    assert.equal(second.child.exitCode, null, `the new leader exited: ${second.stderr()}`);
    assert.doesNotMatch(second.stderr(), /already in the scheduler cache|TypeError|ReferenceError/);
  });
});
