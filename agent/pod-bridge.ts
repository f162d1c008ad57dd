/**
 * Brings the pods' bridge up with its gateway address before the first pod
 * does, as the bridge plugin would on its first ADD (same name, same
 * address, so the plugin adopts it). Cluster DNS listens on that address,
 * and must be there before the first pod asks it anything.
 */
import { parseIpv4Cidr } from './network/ipv4-cidr.ts';
import { CommandError, runCommand } from './host/run-command.ts';

export async function ensurePodBridge(bridgeName: string, gateway: string, podCidr: string): Promise<void> {
  const { prefix } = parseIpv4Cidr(podCidr);
  let kind: string | undefined;
  try {
    const [link] = JSON.parse(await runCommand('ip', ['-j', '-d', 'link', 'show', 'dev', bridgeName])) as Array<{ linkinfo?: { info_kind?: string } }>;
    kind = link?.linkinfo?.info_kind ?? '';
  } catch (err) {
    if (!(err instanceof CommandError && /does not exist|cannot find device/i.test(err.stderr))) throw err;
  }
  if (kind === undefined) {
    await runCommand('ip', ['link', 'add', bridgeName, 'type', 'bridge']).catch((err: unknown) => {
      if (!(err instanceof CommandError && /exists/i.test(err.stderr))) throw err;
    });
  } else if (kind !== 'bridge') {
    throw new Error(`${bridgeName} exists but is not a bridge`);
  }
  const addrs = JSON.parse(await runCommand('ip', ['-j', '-4', 'addr', 'show', 'dev', bridgeName])) as Array<{ addr_info?: Array<{ local?: string }> }>;
  if (!addrs.some((l) => l.addr_info?.some((a) => a.local === gateway))) {
    await runCommand('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', bridgeName]);
  }
  await runCommand('ip', ['link', 'set', bridgeName, 'up']);
}
