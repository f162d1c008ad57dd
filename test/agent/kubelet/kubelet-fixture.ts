/**
 * A real node for kubelet tests: a test cluster (etcd + API server), the
 * real RuncRuntimeService (runc + conmon), the real ImageStore with the
 * busybox test image imported, and the real CniPodNetwork on a bridge of
 * its own in a free /24; every name carries a per-file tag. `teardown`
 * removes all of it even after a failure, and `leftovers` lists whatever a
 * test left on the host (mounts, runc containers, cgroups, netns, conmon
 * processes, bridge ports).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, ObjectMeta } from '../../../client/api/meta.ts';
import { loadKubeconfig } from '../../../client/kubeconfig.ts';
import { isNotFound } from '../../../client/rest/api-error.ts';
import { RestClient } from '../../../client/rest/rest-client.ts';
import { ImageStore } from '../../../agent/images/image-store.ts';
import { Kubelet, type KubeletOptions } from '../../../agent/kubelet/kubelet.ts';
import type { Pod, PodSpec } from '../../../agent/kubelet/pod-types.ts';
import { CniPodNetwork } from '../../../agent/network/cni-pod-network.ts';
import { cgroupLeftovers, removeCgroup } from '../../../agent/runtime/cgroups.ts';
import { mountsUnder } from '../../../agent/runtime/mountinfo.ts';
import { RuncRuntimeService } from '../../../agent/runtime/runc-runtime-service.ts';
import { Runc } from '../../../agent/runtime/runc.ts';
import { buildBusyboxImage, writeOciArchive } from '../../support/busybox-image.ts';
import { startTestCluster, type TestCluster } from '../../support/test-cluster.ts';
import { bridgePorts, cniPluginDirs, freeSubnet, linkExists, netnsNames, requireCniPrerequisites, trySh, uniqueSuffix } from '../network/network-fixture.ts';
import { requirePrerequisites, runcBinary, shimProcesses } from '../runtime/runtime-fixture.ts';
import { eventually } from '../../support/wait-for.ts';

/** What the busybox test image is called in pod specs. */
export const busyboxImage = 'pier/busybox:1.0';

export interface NodeParts {
  runtime: RuncRuntimeService;
  images: ImageStore;
  network: CniPodNetwork;
}

export interface KubeletFixture {
  cluster: TestCluster;
  client: RestClient;
  tag: string;
  nodeName: string;
  rootDir: string;
  podCidr: string;
  bridgeName: string;
  networkName: string;
  cgroupParent: string;
  parts: NodeParts;
  kubelet: Kubelet | undefined;
  /** A fresh runtime/images/network over the same root dir (what a restarted agent builds). */
  makeParts(): NodeParts;
  startKubelet(extra?: Partial<KubeletOptions>): Promise<Kubelet>;
  stopKubelet(): Promise<void>;
  createPod(pod: { metadata: ObjectMeta; spec: Partial<PodSpec> & Pick<PodSpec, 'containers'> }): Promise<Pod>;
  getPod(name: string, namespace?: string): Promise<Pod | undefined>;
  /** Polls the pod until `check` returns a value. */
  waitForPod<T>(name: string, what: string, check: (pod: Pod) => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Events about the pod, oldest first, as `reason: message`. */
  events(podName: string, namespace?: string): Promise<string[]>;
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
}

export { eventually } from '../../support/wait-for.ts';

export async function startKubeletFixture(secondOctet: number): Promise<KubeletFixture> {
  requirePrerequisites();
  requireCniPrerequisites();
  const tag = uniqueSuffix();
  const rootDir = await mkdtemp(join(tmpdir(), `pier-kubelet-${tag}-`));
  const podCidr = await freeSubnet(secondOctet);
  const bridgeName = `pkb${tag}`;
  const networkName = `pier-kt-${tag}`;
  const cgroupParent = `/pier-kt-${tag}`;
  const nodeName = `node-${tag}`;
  let cluster: TestCluster | undefined;
  try {
    cluster = await startTestCluster();
    const client = new RestClient({ ...loadKubeconfig(cluster.kubeconfigPath), userAgent: 'kubelet-test' });

    // The busybox image, imported from an OCI archive into the agent's own store.
    const imageDir = join(rootDir, 'image-build');
    const built = await buildBusyboxImage(imageDir);
    const archive = join(imageDir, 'busybox.tar');
    await writeOciArchive(built.layoutDir, archive);
    await new ImageStore({ rootDir }).importImageArchive(archive);
    await rm(imageDir, { recursive: true, force: true });

    const makeParts = (): NodeParts => {
      const images = new ImageStore({ rootDir });
      const network = new CniPodNetwork({ podCidr, bridgeName, networkName, dataDir: join(rootDir, 'network'), pluginDirs: cniPluginDirs });
      const runtime = new RuncRuntimeService({
        rootDir: join(rootDir, 'runtime'),
        runtimeBinary: runcBinary,
        images,
        network,
        cgroupParent,
        allowPrivileged: true,
      });
      return { runtime, images, network };
    };

    const fixture: KubeletFixture = {
      cluster,
      client,
      tag,
      nodeName,
      rootDir,
      podCidr,
      bridgeName,
      networkName,
      cgroupParent,
      parts: makeParts(),
      kubelet: undefined,
      makeParts,
      async startKubelet(extra = {}) {
        const k = new Kubelet({
          client,
          nodeName,
          runtime: fixture.parts.runtime,
          images: fixture.parts.images,
          network: fixture.parts.network,
          rootDir,
          podCidr,
          allowPrivileged: false,
          runtimeBinary: runcBinary,
          relistIntervalMs: 500,
          resyncIntervalMs: 3000,
          nodeStatusUpdateIntervalMs: 2000,
          leaseRenewIntervalMs: 2000,
          onError: (err) => process.stderr.write(`kubelet ${nodeName}: ${err instanceof Error ? err.message : String(err)}\n`),
          ...extra,
        });
        fixture.kubelet = k;
        await k.start();
        return k;
      },
      async stopKubelet() {
        const k = fixture.kubelet;
        fixture.kubelet = undefined;
        await k?.stop();
      },
      async createPod(pod) {
        const body = {
          apiVersion: 'v1',
          kind: 'Pod',
          ...pod,
          metadata: { namespace: 'default', ...pod.metadata },
          spec: { nodeName, terminationGracePeriodSeconds: 5, ...pod.spec },
        };
        return client.create<Pod>({ group: '', version: 'v1', plural: 'pods', namespace: body.metadata.namespace }, body as Pod);
      },
      async getPod(name, namespace = 'default') {
        try {
          return await client.get<Pod>({ group: '', version: 'v1', plural: 'pods', namespace, name });
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      async waitForPod(name, what, check, timeoutMs = 90_000) {
        let last: Pod | undefined;
        try {
          return await eventually(what, async () => {
            last = await fixture.getPod(name);
            return last ? check(last) : undefined;
          }, timeoutMs);
        } catch (err) {
          const events = await fixture.events(name).catch(() => []);
          throw new Error(`${(err as Error).message}\npod status: ${JSON.stringify(last?.status, null, 1)}\nevents:\n${events.join('\n')}`);
        }
      },
      async events(podName, namespace = 'default') {
        const list = await client.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string }; firstTimestamp?: string }>(
          { group: '', version: 'v1', plural: 'events', namespace },
        );
        return list.items
          .filter((e) => e.involvedObject?.name === podName)
          .sort((a, b) => (a.firstTimestamp ?? '').localeCompare(b.firstTimestamp ?? ''))
          .map((e) => `${e.reason}: ${e.message}`);
      },
      async leftovers() {
        const left: string[] = [];
        left.push(...(await mountsUnder(rootDir)).map((m) => `mount ${m}`));
        const runc = new Runc(runcBinary, join(rootDir, 'runtime', 'runc'));
        left.push(...(await runc.list().catch(() => [])).map((c) => `runc container ${c.id} (${c.status})`));
        for (const dir of await cgroupLeftovers(cgroupParent)) {
          const children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
          left.push(...children.map((c) => `cgroup ${dir}/${c.name}`));
        }
        const ids = await readdir(join(rootDir, 'runtime', 'sandboxes')).catch(() => [] as string[]);
        left.push(...ids.map((id) => `sandbox record ${id}`));
        left.push(...(await netnsNames()).filter((n) => ids.some((id) => n === `pier-${id}`)).map((n) => `netns ${n}`));
        left.push(...(await shimProcesses(rootDir)).map((p) => `process ${p}`));
        left.push(...(await bridgePorts(bridgeName)).map((p) => `bridge port ${p}`));
        left.push(...(await readdir(join(rootDir, 'pods')).catch(() => [] as string[])).map((p) => `pod dir ${p}`));
        return left;
      },
      async teardown() {
        await fixture.stopKubelet().catch(() => undefined);
        // Fresh parts: an agent may have changed the state on disk since fixture.parts loaded it.
        const { runtime, network } = makeParts();
        const sandboxIds = await readdir(join(rootDir, 'runtime', 'sandboxes')).catch(() => [] as string[]);
        for (const s of await runtime.listPodSandbox().catch(() => [])) await runtime.removePodSandbox(s.id).catch(() => undefined);
        const runc = new Runc(runcBinary, join(rootDir, 'runtime', 'runc'));
        for (const c of await runc.list().catch(() => [])) {
          await runc.kill(c.id, 'SIGKILL').catch(() => undefined);
          await runc.delete(c.id, true).catch(() => undefined);
        }
        for (const m of (await mountsUnder(rootDir)).sort((a, b) => b.length - a.length)) await trySh('umount', ['-l', m]);
        await removeCgroup(cgroupParent).catch(() => undefined);
        for (const n of await netnsNames().catch(() => [] as string[])) {
          if (sandboxIds.some((id) => n === `pier-${id}`)) await trySh('ip', ['netns', 'delete', n]);
        }
        await network.cleanup().catch(() => undefined);
        if (await linkExists(bridgeName)) await trySh('ip', ['link', 'delete', bridgeName]);
        client.close();
        await cluster?.stop().catch(() => undefined);
        await rm(rootDir, { recursive: true, force: true });
      },
    };
    return fixture;
  } catch (err) {
    await cluster?.stop().catch(() => undefined);
    if (existsSync(rootDir)) await rm(rootDir, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a container's CRI log file (its lines' content only). */
export function logContent(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ').slice(3).join(' '))
    .join('\n');
}
