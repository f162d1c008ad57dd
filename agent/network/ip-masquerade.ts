/**
 * The bridge plugin's ipMasq rules, removed without the plugin. Its DEL finds
 * the pod's addresses on the interface inside the namespace; once the
 * namespace is gone (a crash between removeNetns and tearDown, or a runtime
 * that removed it first) the plugin frees the IP but leaves the NAT chain.
 * This undoes the same rules from the cached ADD result instead, mirroring
 * containernetworking/plugins pkg/ip TeardownIPMasq and pkg/utils naming.
 */
import { createHash } from 'node:crypto';
import { CommandError, runCommand } from '../host/run-command.ts';

/** pkg/utils FormatChainName: "CNI-" + the first 24 hex digits of sha512(name+id). */
export function cniChainName(networkName: string, containerId: string): string {
  return `CNI-${createHash('sha512').update(networkName + containerId).digest('hex').slice(0, 24)}`;
}

/** pkg/utils FormatComment. */
export function cniComment(networkName: string, containerId: string): string {
  return `name: "${networkName}" id: "${containerId}"`;
}

/** Deletes the POSTROUTING jumps for `podIps` and the attachment's masquerade chain. Idempotent. */
export async function teardownIpMasq(networkName: string, containerId: string, podIps: readonly string[]): Promise<void> {
  const chain = cniChainName(networkName, containerId);
  const comment = cniComment(networkName, containerId);
  for (const ip of podIps.filter((a) => !a.includes(':'))) {
    // Both spellings the plugin has used for the source (bare IP, then CIDR).
    for (const source of [ip, `${ip}/32`]) {
      await ignoreMissing(runCommand('iptables', ['-w', '-t', 'nat', '-D', 'POSTROUTING', '-s', source, '-j', chain, '-m', 'comment', '--comment', comment]));
    }
  }
  await ignoreMissing(runCommand('iptables', ['-w', '-t', 'nat', '-F', chain]));
  await ignoreMissing(runCommand('iptables', ['-w', '-t', 'nat', '-X', chain]));
}

async function ignoreMissing(run: Promise<unknown>): Promise<void> {
  try {
    await run;
  } catch (err) {
    if (err instanceof CommandError && /does not exist|no chain|bad rule|not found/i.test(err.stderr)) return;
    throw err;
  }
}
