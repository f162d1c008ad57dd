/**
 * A RuncRuntimeService over real runc, conmon, overlayfs and netns, in a
 * temp rootDir with a unique cgroup parent and netns prefix, plus the checks
 * that a test left nothing behind and a teardown that removes everything
 * even when the test failed half-way.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ContainerConfig, PodSandboxConfig } from '../../../agent/cri/api.ts';
import { cgroupLeftovers, removeCgroup } from '../../../agent/runtime/cgroups.ts';
import { mountsUnder } from '../../../agent/runtime/mountinfo.ts';
import { RuncRuntimeService } from '../../../agent/runtime/runc-runtime-service.ts';
import { Runc } from '../../../agent/runtime/runc.ts';
import { buildBusyboxRootfs } from '../../support/busybox-rootfs.ts';
import { TestImageProvider } from './test-image-provider.ts';
import { TestPodNetwork } from './test-pod-network.ts';
import { trySh } from '../network/network-fixture.ts';

export const runcBinary = existsSync('/usr/bin/runc') ? '/usr/bin/runc' : '/usr/sbin/runc';

/** Fails with one line naming what to install (tests never skip). */
export function requirePrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('runtime tests need root (run them as root)');
  if (!existsSync(runcBinary)) throw new Error('runc is missing: apt-get install runc');
  if (!existsSync('/usr/bin/conmon')) throw new Error('conmon is missing: apt-get install conmon');
  if (!existsSync('/usr/bin/socat')) throw new Error('socat is missing: apt-get install socat');
  for (const tool of ['ip', 'nsenter', 'script', 'mount']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`${tool} is missing: apt-get install ${tool === 'ip' ? 'iproute2' : 'util-linux'}`);
    }
  }
}

export interface AgentOptions {
  stateDir: string;
  runtimeRoot: string;
  runtimeBinary: string;
  lowerDir: string;
  layersDir: string;
  netnsPrefix: string;
  cgroupParent: string;
}

/** The service an agent with these options runs (the test's, or a separate process's). */
export function makeRuntimeService(o: AgentOptions): { runtime: RuncRuntimeService; images: TestImageProvider; network: TestPodNetwork } {
  const images = new TestImageProvider(o.lowerDir, o.layersDir);
  const network = new TestPodNetwork(o.netnsPrefix);
  const runtime = new RuncRuntimeService({
    rootDir: o.stateDir,
    runtimeRoot: o.runtimeRoot,
    runtimeBinary: o.runtimeBinary,
    images,
    network,
    cgroupParent: o.cgroupParent,
    allowPrivileged: false,
  });
  return { runtime, images, network };
}

export interface RuntimeFixture {
  runtime: RuncRuntimeService;
  images: TestImageProvider;
  network: TestPodNetwork;
  rootDir: string;
  runtimeRoot: string;
  cgroupParent: string;
  /** What another process needs to build the same service (see agent-process.ts). */
  agentOptions: AgentOptions;
  /** A new service over the same rootDir (an agent restart). */
  restart(): RuncRuntimeService;
  sandboxConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  containerConfig(name: string, command: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
  /** What is left on the host: mounts, runc containers, cgroups, netns. */
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
}

export async function startRuntimeFixture(): Promise<RuntimeFixture> {
  requirePrerequisites();
  const tag = randomBytes(4).toString('hex');
  const rootDir = await mkdtemp(join(tmpdir(), `pier-rt-${tag}-`));
  const lower = await buildBusyboxRootfs(join(rootDir, 'image-rootfs'));
  const cgroupParent = `/pier-test-${tag}`;
  const runtimeRoot = join(rootDir, 'runc-root');
  const agentOptions: AgentOptions = {
    stateDir: join(rootDir, 'state'),
    runtimeRoot,
    runtimeBinary: runcBinary,
    lowerDir: lower,
    layersDir: join(rootDir, 'layers'),
    netnsPrefix: `pier-t-${tag}`,
    cgroupParent,
  };
  const { runtime, images, network } = makeRuntimeService(agentOptions);
  const make = (): RuncRuntimeService =>
    new RuncRuntimeService({
      rootDir: agentOptions.stateDir,
      runtimeRoot,
      runtimeBinary: runcBinary,
      images,
      network,
      cgroupParent,
      allowPrivileged: false,
    });
  const fixture: RuntimeFixture = {
    runtime,
    images,
    network,
    rootDir,
    runtimeRoot,
    cgroupParent,
    agentOptions,
    restart: () => (fixture.runtime = make()),
    sandboxConfig: (name, extra = {}) => ({
      metadata: { name, uid: `${tag}-${name}`, namespace: 'default', attempt: 0 },
      hostname: name,
      logDirectory: join(rootDir, 'logs', name),
      labels: { app: name },
      ...extra,
    }),
    containerConfig: (name, command, extra = {}) => ({
      metadata: { name, attempt: 0 },
      image: { image: 'busybox' },
      command,
      logPath: `${name}/0.log`,
      labels: { container: name },
      ...extra,
    }),
    leftovers: async () => {
      const left: string[] = [];
      left.push(...(await mountsUnder(rootDir)).map((m) => `mount ${m}`));
      const runc = new Runc(runcBinary, runtimeRoot);
      left.push(...(await runc.list().catch(() => [])).map((c) => `runc container ${c.id} (${c.status})`));
      // The fixture's own parent stays until teardown; pod and container cgroups must not.
      for (const dir of await cgroupLeftovers(cgroupParent)) {
        const children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
        left.push(...children.map((c) => `cgroup ${dir}/${c.name}`));
      }
      left.push(...(await network.leftovers()).map((n) => `netns ${n}`));
      left.push(...(await shimProcesses(rootDir)).map((p) => `process ${p}`));
      return left;
    },
    teardown: async () => {
      // The service's own removal first; then brute force for whatever a failed test left.
      for (const s of await fixture.runtime.listPodSandbox().catch(() => [])) {
        await fixture.runtime.removePodSandbox(s.id).catch(() => {});
      }
      const runc = new Runc(runcBinary, runtimeRoot);
      for (const c of await runc.list().catch(() => [])) {
        await runc.kill(c.id, 'SIGKILL').catch(() => {});
        await runc.delete(c.id, true).catch(() => {});
      }
      for (const m of (await mountsUnder(rootDir)).sort((a, b) => b.length - a.length)) await trySh('umount', ['-l', m]);
      await removeCgroup(cgroupParent).catch(() => {});
      for (const n of await network.leftovers().catch(() => [])) {
        await trySh('ip', ['netns', 'del', n]);
      }
      await rm(rootDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 60000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function readLog(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Host processes whose cgroup lies under the fixture's parent. */
export async function processesUnder(cgroupParent: string): Promise<number[]> {
  const pids: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cg = await readFile(`/proc/${p}/cgroup`, 'utf8').catch(() => '');
    if (cg.includes(`${cgroupParent}/`)) pids.push(Number(p));
  }
  return pids;
}

/** Live (non-zombie) processes whose command line mentions `dir`: conmons, relays, runc execs. */
export async function shimProcesses(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (!cmdline.includes(dir)) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    if (/^ Z /.test(stat.slice(stat.lastIndexOf(')') + 1))) continue;
    out.push(`${p} ${cmdline.trim()}`);
  }
  return out;
}
