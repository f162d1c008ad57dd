/**
 * The per-pod /etc files every container of a sandbox bind-mounts: hostname,
 * hosts (localhost and the pod IP → hostname) and resolv.conf (from the CRI
 * DNSConfig, else the node's).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DNSConfig, Mount } from '../cri/api.ts';

export function hostsFile(hostname: string, ips: string[]): string {
  const lines = [
    '# Managed by pier.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of ips) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

export function resolvConf(dns: DNSConfig): string {
  const lines: string[] = [];
  if (dns.searches?.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers ?? []) lines.push(`nameserver ${s}`);
  if (dns.options?.length) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export async function writeSandboxFiles(
  dir: string,
  hostname: string,
  ips: string[],
  dns: DNSConfig | undefined,
): Promise<void> {
  await writeFile(join(dir, 'hostname'), `${hostname}\n`);
  await writeFile(join(dir, 'hosts'), hostsFile(hostname, ips));
  const resolv =
    dns && (dns.servers?.length || dns.searches?.length || dns.options?.length)
      ? resolvConf(dns)
      : await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await writeFile(join(dir, 'resolv.conf'), resolv);
}

/** The mounts of the sandbox files, except where the container mounts something itself. */
export function sandboxFileMounts(dir: string, containerMounts: Mount[], readonly: boolean): Mount[] {
  const taken = new Set(containerMounts.map((m) => m.containerPath));
  return [
    ['hostname', '/etc/hostname'],
    ['hosts', '/etc/hosts'],
    ['resolv.conf', '/etc/resolv.conf'],
  ]
    .filter(([, target]) => !taken.has(target!))
    .map(([file, target]) => ({ containerPath: target!, hostPath: join(dir, file!), readonly }));
}
