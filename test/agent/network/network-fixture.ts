/**
 * Shared pieces of the pod-network tests: the prerequisite check (fail with
 * one line, never skip), unique names so parallel runs never collide, and
 * probes of host state (links, namespaces, iptables) for the leftover checks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const cniPluginDirs = ['/usr/lib/cni', '/opt/cni/bin'];

/** Fails (never skips) with one line when something the tests need is missing. */
export function requireCniPrerequisites(): void {
  if (process.getuid?.() !== 0) assert.fail('pod network tests need root (network namespaces, bridges, iptables): run them as root');
  for (const plugin of ['bridge', 'host-local', 'portmap', 'loopback']) {
    if (!cniPluginDirs.some((dir) => executable(join(dir, plugin)))) {
      assert.fail('apt-get install containernetworking-plugins iproute2');
    }
  }
  for (const tool of ['ip', 'nsenter', 'unshare', 'umount', 'iptables-save']) {
    if (!inPath(tool)) assert.fail('apt-get install containernetworking-plugins iproute2');
  }
  if (!executable('/bin/busybox')) assert.fail('apt-get install busybox-static');
}

export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function inPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => executable(join(dir, tool)));
}

/** A short random tag for this test file's names (bridges allow 15 characters). */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Runs a command and returns stdout; throws with stderr on failure. */
export async function sh(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { encoding: 'utf8', timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${[file, ...args].join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Runs a command, returning undefined instead of throwing (for cleanup hooks). */
export async function trySh(file: string, args: readonly string[]): Promise<string | undefined> {
  try {
    return await sh(file, args);
  } catch {
    return undefined;
  }
}

/**
 * A /24 in 10.<second>.X.0 no route on the host already touches, so a run
 * never collides with another run or a real network.
 */
export async function freeSubnet(second: number): Promise<string> {
  const routes = await sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const third = 1 + (randomBytes(1)[0] ?? 0) % 250;
    const prefix = `10.${second}.${third}.`;
    if (!routes.includes(prefix)) return `${prefix}0/24`;
  }
  assert.fail(`no free 10.${second}.x.0/24 subnet on this host`);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await trySh('ip', ['link', 'show', 'dev', name])) !== undefined;
}

/** Interfaces enslaved to `bridge` (our pods' host-side veths). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const text = await trySh('ip', ['-j', 'link', 'show', 'master', bridge]);
  if (!text?.trim()) return [];
  return (JSON.parse(text) as Array<{ ifname: string }>).map((l) => l.ifname);
}

export async function netnsNames(): Promise<string[]> {
  const text = (await trySh('ip', ['-j', 'netns', 'list'])) ?? '';
  if (!text.trim()) return [];
  return (JSON.parse(text) as Array<{ name: string }>).map((n) => n.name);
}

/**
 * iptables lines (all tables) belonging to one CNI attachment: those with its
 * `name: "<net>" id: "<id>"` comment or in its chains, which the bridge and
 * portmap plugins name CNI-<sha512(net+id)> and CNI-DN-<same>.
 */
export async function attachmentIptablesLines(networkName: string, containerId: string): Promise<string[]> {
  const hash = createHash('sha512').update(networkName + containerId).digest('hex').slice(0, 21);
  const dump = await sh('iptables-save', []);
  return dump.split('\n').filter((l) => l.includes(`id: \\"${containerId}\\"`) || l.includes(hash));
}

/** Every iptables line mentioning the network's name (its comments). */
export async function networkIptablesLines(networkName: string): Promise<string[]> {
  const dump = await sh('iptables-save', []);
  return dump.split('\n').filter((l) => l.includes(`name: \\"${networkName}\\"`));
}

/** Polls `probe` until it returns a value or the deadline passes. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const hostportChains = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK'];

/** Whether portmap's host-wide chains exist (they are shared by every CNI user). */
export async function hostportChainsExist(): Promise<boolean> {
  const nat = (await trySh('iptables-save', ['-t', 'nat'])) ?? '';
  return hostportChains.some((c) => nat.includes(`:${c} `));
}

/**
 * Removes portmap's shared chains if nothing but their own plumbing is in
 * them. Tests call it only when the chains were absent before they ran, so a
 * host that had them (another runtime) keeps them.
 */
export async function removeEmptyHostportChains(): Promise<void> {
  const nat = (await trySh('iptables-save', ['-t', 'nat'])) ?? '';
  // Any rule in CNI-HOSTPORT-DNAT other than none means an attachment still uses them.
  if (nat.split('\n').some((l) => l.startsWith('-A CNI-HOSTPORT-DNAT '))) return;
  await trySh('iptables', ['-t', 'nat', '-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
  await trySh('iptables', ['-t', 'nat', '-D', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
  await trySh('iptables', ['-t', 'nat', '-D', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']);
  for (const chain of hostportChains) {
    await trySh('iptables', ['-t', 'nat', '-F', chain]);
    await trySh('iptables', ['-t', 'nat', '-X', chain]);
  }
}
