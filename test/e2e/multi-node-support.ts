/**
 * A three-node pier cluster on one machine for the multi-node tests:
 * `pier up --agent false --nodes 3` with every node in a network namespace
 * of its own (cli/node-namespace.ts), a unique prefix and a free host
 * subnet, the busybox test image in DATA_DIR/images. `teardown` removes
 * processes, containers, mounts, cgroups, pod and node namespaces, veths
 * and the bridge even after a failure; the host's routes and packet filter
 * are never touched (all rules live inside the node namespaces).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeCgroup } from '../../agent/runtime/cgroups.ts';
import { mountsUnder } from '../../agent/runtime/mountinfo.ts';
import { Runc } from '../../agent/runtime/runc.ts';
import { NodeNamespaces, type NodeNamespace } from '../../cli/node-namespace.ts';
import { freePort } from '../../cli/ports.ts';
import { processesUnder, requirePrerequisites, runcBinary } from '../agent/runtime/runtime-fixture.ts';
import { requireCniPrerequisites, uniqueSuffix } from '../agent/network/network-fixture.ts';
import { buildBusyboxImage, requireBusyboxStatic, writeOciArchive } from '../support/busybox-image.ts';
import { etcdBinary, kubectl, requireBinary, startPier, type PierProcess } from '../cli/run-pier.ts';
import { eventually } from '../support/wait-for.ts';

const execFileAsync = promisify(execFile);

export const busyboxImage = 'pier/busybox:1.0';

export interface MultiNodeCluster {
  home: string;
  dataDir: string;
  kubeconfig: string;
  prefix: string;
  namespaces: NodeNamespaces;
  nodes: NodeNamespace[];
  pier: PierProcess;
  kubectl(args: string[], opts?: { stdin?: string; timeoutMs?: number; allowFailure?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The `pier join` process of a node. */
  agentPids(node: NodeNamespace): Promise<number[]>;
  teardown(): Promise<void>;
}

export async function sh(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await execFileAsync(file, [...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout;
}

export { eventually } from '../support/wait-for.ts';

/** A /24 in 172.31.0.0/16 no host route covers. */
async function freeNodeSubnet(): Promise<string> {
  const routes = await sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const third = 100 + Math.floor(Math.random() * 150);
    if (!routes.includes(`172.31.${third}.`)) return `172.31.${third}.0/24`;
  }
  throw new Error('no free 172.31.x.0/24 for the node bridge');
}

async function pidsWithCmdline(fragments: readonly string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (fragments.every((f) => cmdline.includes(f))) pids.push(Number(p));
  }
  return pids;
}

export async function startMultiNodeCluster(t: { after(fn: () => Promise<void> | void): void }, nodeCount = 3): Promise<MultiNodeCluster> {
  requirePrerequisites();
  requireCniPrerequisites();
  requireBusyboxStatic();
  etcdBinary();
  requireBinary(kubectl, 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)');
  requireBinary('/usr/sbin/nft', 'apt-get install nftables');

  const prefix = `mn${uniqueSuffix().slice(0, 4)}`;
  const subnet = await freeNodeSubnet();
  const namespaces = new NodeNamespaces({ prefix, subnet });
  const nodes = Array.from({ length: nodeCount }, (_, i) => namespaces.node(i + 2));
  const home = await mkdtemp(join(tmpdir(), 'pier-mn-'));
  const dataDir = join(home, 'data');
  const kubeconfig = join(dataDir, 'kubeconfig');
  let pier: PierProcess | undefined;

  const teardown = async () => {
    if (pier && pier.child.exitCode === null && pier.child.signalCode === null) {
      pier.child.kill('SIGTERM');
      const timer = setTimeout(() => pier?.child.kill('SIGKILL'), 20_000);
      await pier.exited;
      clearTimeout(timer);
    }
    // Node agents left behind (pier up killed hard), then containers and their shims.
    for (const pid of await pidsWithCmdline([dataDir])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const sandboxIds: string[] = [];
    // Every node that ran, including ones a test joined itself.
    const nodeDirs = (await readdir(join(dataDir, 'nodes'), { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const name of new Set([...nodes.map((n) => n.name), ...nodeDirs])) {
      const node = { name };
      const rootDir = join(dataDir, 'nodes', node.name);
      sandboxIds.push(...(await readdir(join(rootDir, 'runtime', 'sandboxes')).catch(() => [] as string[])));
      const runc = new Runc(runcBinary, join(rootDir, 'runtime', 'runc'));
      for (const c of await runc.list().catch(() => [])) {
        await runc.kill(c.id, 'SIGKILL').catch(() => undefined);
        await runc.delete(c.id, true).catch(() => undefined);
      }
      const cgroupParent = `/${node.name}.slice`;
      for (const pid of await processesUnder(cgroupParent)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await eventually(`processes in ${cgroupParent} to exit`, async () => (await processesUnder(cgroupParent)).length === 0, 15_000).catch(() => undefined);
      await removeCgroup(cgroupParent).catch(() => undefined);
    }
    for (const m of (await mountsUnder(home).catch(() => [] as string[])).sort((a, b) => b.length - a.length)) {
      await sh('umount', ['-l', m]).catch(() => undefined);
    }
    const netns = (await sh('ip', ['netns', 'list']).catch(() => '')).split('\n').map((l) => l.split(' ')[0] ?? '');
    for (const id of sandboxIds) if (netns.includes(`pier-${id}`)) await sh('ip', ['netns', 'delete', `pier-${id}`]).catch(() => undefined);
    // The node namespaces take their pod bridges, routes and nft tables with them.
    await namespaces.removeAll();
    await rm(home, { recursive: true, force: true });
  };
  t.after(teardown);

  const imagesDir = join(dataDir, 'images');
  await mkdir(imagesDir, { recursive: true });
  const built = await buildBusyboxImage(join(home, 'image-build'));
  await writeOciArchive(built.layoutDir, join(imagesDir, 'busybox.tar'));
  await rm(join(home, 'image-build'), { recursive: true, force: true });

  const port = await freePort('0.0.0.0');
  pier = startPier(
    [
      'up', '--data-dir', dataDir, '--port', String(port), '--agent', 'false', '--nodes', String(nodeCount),
      '--node-prefix', prefix, '--node-subnet', subnet,
      '--node-monitor-grace-period', '20s', '--default-unreachable-toleration-seconds', '2',
    ],
    home,
  );
  await pier.waitForOutput(/Press Ctrl-C to stop\.\n/, 400_000);
  const p = pier;

  const cluster: MultiNodeCluster = {
    home,
    dataDir,
    kubeconfig,
    prefix,
    namespaces,
    nodes,
    pier: p,
    async kubectl(args, opts = {}) {
      try {
        const child = execFileAsync(kubectl, ['--kubeconfig', kubeconfig, ...args], {
          env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
          timeout: opts.timeoutMs ?? 60_000,
          maxBuffer: 64 << 20,
        });
        if (opts.stdin !== undefined) {
          child.child.stdin?.end(opts.stdin);
        }
        const { stdout, stderr } = await child;
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        const res = { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
        if (!opts.allowFailure) assert.fail(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
        return res;
      }
    },
    agentPids: (node) => pidsWithCmdline(['join', '--node-name', node.name]).then((pids) => pids.filter((pid) => existsSync(`/proc/${pid}`))),
    teardown,
  };
  return cluster;
}
