/** Leader election on a real API server: one leader at a time, hand-over on release, take-over on expiry. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LeaderElector } from '../../../client/leaderelection/leader-elector.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c?.stop();
});

const timings = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

function candidate(name: string, identity: string, client: RestClient) {
  const state = { leading: false, starts: 0, maxConcurrent: 0 };
  const elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name,
    identity,
    ...timings,
    onStartedLeading: (signal) => {
      state.leading = true;
      state.starts++;
      signal.addEventListener('abort', () => (state.leading = false), { once: true });
    },
  });
  const abort = new AbortController();
  const done = elector.run(abort.signal);
  return { state, elector, abort, done };
}

describe('LeaderElector', () => {
  it('elects one leader and hands over when it stops', async () => {
    const client = new RestClient(loadKubeconfig(c.kubeconfigPath));
    const a = candidate('handover', 'a', client);
    const b = candidate('handover', 'b', client);
    try {
      await until(() => a.state.leading || b.state.leading, 'a leader');
      // Watch for overlap for a while: never two leaders.
      for (let i = 0; i < 20; i++) {
        assert.ok(!(a.state.leading && b.state.leading), 'two leaders at once');
        await new Promise((r) => setTimeout(r, 50));
      }
      const [leader, other] = a.state.leading ? [a, b] : [b, a];
      leader.abort.abort();
      await leader.done;
      // The stopped leader released the Lease, so the other takes over without waiting for expiry.
      const took = await until(() => other.state.leading, 'the hand-over');
      assert.ok(took < timings.leaseDurationMs, `hand-over took ${took} ms`);
      const lease = await client.get({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'kube-system', name: 'handover' });
      assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, other === a ? 'a' : 'b');
    } finally {
      a.abort.abort();
      b.abort.abort();
      await Promise.all([a.done, b.done]);
      client.close();
    }
  });

  it('takes over when the leader can no longer reach the API server', async () => {
    const access = loadKubeconfig(c.kubeconfigPath);
    const real = new RestClient(access);
    const healthy = new RestClient(access);
    // The network cut, at the process boundary: once `cut`, a's every request fails.
    let cut = false;
    const unreachable = () => Promise.reject(new Error('connect ECONNREFUSED (network cut by the test)'));
    const doomed = {
      get: (...args: Parameters<RestClient['get']>) => (cut ? unreachable() : real.get(...args)),
      create: (...args: Parameters<RestClient['create']>) => (cut ? unreachable() : real.create(...args)),
      update: (...args: Parameters<RestClient['update']>) => (cut ? unreachable() : real.update(...args)),
    } as unknown as RestClient;
    const a = candidate('takeover', 'a', doomed);
    await until(() => a.state.leading, 'a to lead');
    const b = candidate('takeover', 'b', healthy);
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(b.state.leading, false);
      // a's requests now fail: it steps down after renewDeadline, b acquires after leaseDuration.
      cut = true;
      await until(() => !a.state.leading, 'a to step down');
      await until(() => b.state.leading, 'b to take over');
    } finally {
      a.abort.abort();
      b.abort.abort();
      await Promise.all([a.done, b.done]);
      healthy.close();
      real.close();
    }
  });
});
