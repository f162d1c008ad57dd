/**
 * The floor under pod startup: what a bare `runc run -d` of an equivalent
 * bundle costs on this host, with no API server, kubelet, conmon or CNI.
 * Each run does what the agent cannot skip for one container: a fresh
 * network namespace, the image's layers mounted as an overlay with a new
 * writable layer (from the same image store the agent uses), config.json from
 * the agent's own spec builder (same namespaces, masked paths, cgroup), and
 * `runc run -d` of busybox `sleep 3600`. Everything is removed afterwards,
 * also after a failure.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerImageProvider } from '../../agent/cri/image-provider.ts';
import { createNetworkNamespace, removeNetworkNamespace } from '../../agent/network/network-namespace.ts';
import { removeCgroup } from '../../agent/runtime/cgroups.ts';
import { defaultCapabilities, buildContainerSpec } from '../../agent/runtime/oci-spec.ts';
import { Runc } from '../../agent/runtime/runc.ts';

export interface RuncFloorOptions {
  /** Scratch directory for bundles and runc's state (removed by the caller). */
  dir: string;
  images: ContainerImageProvider;
  imageId: string;
  runcBinary: string;
  /** A cgroupfs parent of its own; removed afterwards. */
  cgroupParent: string;
  /** Namespace files go here (not /run/netns, so nothing mixes with real pods). */
  netnsDir: string;
  iterations: number;
  /** Runs started at once (1: one after another). */
  concurrency?: number;
}

export interface RuncFloorResult {
  /** netns + overlay + config.json + `runc run -d`, per run. */
  totalMs: number[];
  /** `runc run -d` alone, per run. */
  runcRunMs: number[];
  /** Fresh netns alone, per run. */
  netnsMs: number[];
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 60_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(),
    );
    child.stdin?.end();
  });
}

/** stdio is /dev/null: given a pipe, `runc run -d` hands it to the container and we would wait for sleep to exit. */
function runDetached(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited ${code}`))));
  });
}

export async function measureRuncFloor(o: RuncFloorOptions): Promise<RuncFloorResult> {
  const runc = new Runc(o.runcBinary, join(o.dir, 'runc'));
  const result: RuncFloorResult = { totalMs: [], runcRunMs: [], netnsMs: [] };
  const once = async (i: number) => {
    const id = `floor-${i}`;
    const bundle = join(o.dir, 'bundles', id);
    const rootfs = join(bundle, 'rootfs');
    let netnsPath: string | undefined;
    let mounted = false;
    try {
      const t0 = performance.now();
      netnsPath = await createNetworkNamespace(id, o.netnsDir);
      const t1 = performance.now();
      const mount = await o.images.prepareRootfs(id, o.imageId);
      await mkdir(rootfs, { recursive: true });
      await run('mount', ['-t', mount.type, '-o', mount.options.join(','), mount.source, rootfs]);
      mounted = true;
      const spec = buildContainerSpec({
        args: ['sleep', '3600'],
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        cwd: '/',
        uid: 0,
        gid: 0,
        terminal: false,
        hostname: id,
        rootfsPath: 'rootfs',
        readonlyRootfs: false,
        netnsPath,
        cgroupsPath: `${o.cgroupParent}/${id}`,
        privileged: false,
        hostCapabilities: defaultCapabilities,
        mounts: [],
      });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      const t2 = performance.now();
      await runDetached(o.runcBinary, runc.argv(['run', '-d', '--bundle', bundle, id]));
      const t3 = performance.now();
      result.totalMs.push(t3 - t0);
      result.runcRunMs.push(t3 - t2);
      result.netnsMs.push(t1 - t0);
    } finally {
      await runc.kill(id, 'SIGKILL').catch(() => undefined);
      await runc.delete(id, true).catch(() => undefined);
      if (mounted) await run('umount', [rootfs]).catch(() => run('umount', ['-l', rootfs]).catch(() => undefined));
      await o.images.removeRootfs(id).catch(() => undefined);
      if (netnsPath) await removeNetworkNamespace(netnsPath).catch(() => undefined);
      await rm(bundle, { recursive: true, force: true });
    }
  };
  const concurrency = Math.max(1, o.concurrency ?? 1);
  for (let first = 0; first < o.iterations; first += concurrency) {
    // A group's runs overlap as the agent's do when pods arrive together; their cleanup is not timed.
    await Promise.all(Array.from({ length: Math.min(concurrency, o.iterations - first) }, (_, k) => once(first + k)));
  }
  await removeCgroup(o.cgroupParent).catch(() => undefined);
  return result;
}
