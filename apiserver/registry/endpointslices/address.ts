/**
 * Endpoint address rules of discovery validation: IsValidIPv4Address /
 * IsValidIPv6Address, ValidateEndpointIP (no unspecified, loopback or
 * link-local addresses) and IsFullyQualifiedDomainName, with kube's messages.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isDNS1123Label, isDNS1123Subdomain } from '../validation/dns.ts';

function blockList(v4: readonly [string, number][], v6: readonly [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const loopback = blockList([['127.0.0.0', 8]], [['::1', 128]]);
const linkLocalUnicast = blockList([['169.254.0.0', 16]], [['fe80::', 10]]);
const linkLocalMulticast = blockList([['224.0.0.0', 24]], [['ff02::', 16]]);

/** Messages for `address` as an endpoint of `family` (none when valid). */
export function endpointIPErrors(address: string, family: 'IPv4' | 'IPv6'): string[] {
  const valid = family === 'IPv4' ? isIPv4(address) : isIPv6(address);
  if (!valid) return [`must be a valid ${family} address`];
  const type = family === 'IPv4' ? 'ipv4' : 'ipv6';
  const errs: string[] = [];
  if (address === '0.0.0.0' || /^[0:]+$/.test(address)) errs.push(`may not be unspecified (${address})`);
  if (loopback.check(address, type)) errs.push('may not be in the loopback range (127.0.0.0/8, ::1/128)');
  if (linkLocalUnicast.check(address, type)) errs.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
  if (linkLocalMulticast.check(address, type)) errs.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  return errs;
}

/** IsFullyQualifiedDomainName: `[value, message]` pairs, since kube reports the offending label as the value. */
export function fqdnErrors(name: string): [string, string][] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const subdomain = isDNS1123Subdomain(trimmed);
  if (subdomain.length > 0) return subdomain.map((m) => [trimmed, m]);
  const labels = trimmed.split('.');
  if (labels.length < 2) return [[trimmed, 'should be a domain with at least two segments separated by dots']];
  return labels.flatMap((label) => isDNS1123Label(label).map((m): [string, string] => [label, m]));
}
