/**
 * A PodNetwork for runtime tests: a real network namespace (`ip netns add`)
 * with only loopback up, and a made-up pod IP on lo so /etc/hosts has one.
 * Real CNI wiring is tested with agent/network.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import type { PodNetwork, PodNetworkSandbox, PodNetworkStatus } from '../../../agent/cri/pod-network.ts';

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ip', args, (err, stdout, stderr) => (err ? reject(new Error(`ip ${args.join(' ')}: ${String(stderr).trim()}`)) : resolve(String(stdout)))),
  );
}

export class TestPodNetwork implements PodNetwork {
  /** Unique per test run, so parallel tests never share a namespace name. */
  readonly prefix: string;
  readonly created = new Set<string>();
  private next = 1;
  private readonly addresses = new Map<string, string>();

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  async createNetns(sandboxId: string): Promise<string> {
    const name = `${this.prefix}-${sandboxId.slice(0, 8)}`;
    await ip(['netns', 'add', name]);
    this.created.add(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return `/run/netns/${name}`;
  }

  async removeNetns(netnsPath: string): Promise<void> {
    const name = basename(netnsPath);
    if (await access(netnsPath).then(() => true, () => false)) await ip(['netns', 'del', name]);
    this.created.delete(name);
  }

  async setUp(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus> {
    const n = this.next++;
    const addr = `10.253.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    await ip(['-n', basename(sandbox.netnsPath), 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
    this.addresses.set(sandbox.id, addr);
    return { ip: addr, ips: [addr] };
  }

  async tearDown(sandbox: PodNetworkSandbox): Promise<void> {
    this.addresses.delete(sandbox.id);
  }

  async status(sandbox: PodNetworkSandbox): Promise<PodNetworkStatus | undefined> {
    const addr = this.addresses.get(sandbox.id);
    return addr ? { ip: addr, ips: [addr] } : undefined;
  }

  /** Namespaces of this prefix that still exist (for leak checks). */
  async leftovers(): Promise<string[]> {
    const out = await ip(['netns', 'list']);
    return out
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${this.prefix}-`));
  }
}
