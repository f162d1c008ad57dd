/** This machine's names for serving certificates: what other nodes may dial. */
import { hostname, networkInterfaces } from 'node:os';

/** The host name plus every non-loopback, non-link-local interface address. */
export function localServingNames(): string[] {
  const out = [hostname()];
  for (const addrs of Object.values(networkInterfaces())) {
    // Link-local IPv6 needs a zone to dial, which a certificate cannot name.
    for (const a of addrs ?? []) if (!a.internal && !a.address.toLowerCase().startsWith('fe80:')) out.push(a.address);
  }
  return out;
}
