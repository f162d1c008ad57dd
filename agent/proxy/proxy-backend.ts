/**
 * What the service proxy asks of a packet-filter backend: make the kernel's
 * rules match a list of service ports, and remove them again.
 */
import type { ServicePortInfo } from './service-port.ts';

export interface ProxyBackend {
  readonly name: 'nftables' | 'iptables';
  /**
   * Brings the rules in line with `servicePorts`. Writes nothing when they
   * already match what was last applied, unless `full` asks for a rebuild.
   * Resolves true when rules were written.
   */
  sync(servicePorts: readonly ServicePortInfo[], full: boolean): Promise<boolean>;
  /** Rules currently programmed by this backend (per its last successful sync). */
  rulesCount(): number;
  /** Removes everything this backend created. Idempotent. */
  cleanup(): Promise<void>;
}

/** Where the backend's commands run: the host, or a network namespace (tests, or a node that is one). */
export interface CommandTarget {
  /** A network namespace file (e.g. /run/netns/x); commands run through `nsenter --net=`. */
  netnsPath?: string;
}

export function commandIn(target: CommandTarget, file: string, args: readonly string[]): [string, string[]] {
  return target.netnsPath ? ['nsenter', [`--net=${target.netnsPath}`, '--', file, ...args]] : [file, [...args]];
}
