/**
 * The nftables backend: one `table ip <name>` that belongs to the proxy
 * alone, changed only through whole `nft -f` transactions. Nothing outside
 * the table is touched, so other users of nftables (and iptables-nft,
 * which keeps its own tables) are left alone.
 */
import { CommandError, runCommand } from '../host/run-command.ts';
import { commandIn, type CommandTarget, type ProxyBackend } from './proxy-backend.ts';
import { buildNftablesRuleset, countRules, type NftablesRulesetOptions, type NftRuleset } from './nftables-ruleset.ts';
import { renderNftTransaction, rulesetsEqual } from './nft-transaction.ts';
import type { ServicePortInfo } from './service-port.ts';

export const defaultNftablesTable = 'pier-proxy';

export interface NftablesProxierOptions extends NftablesRulesetOptions, CommandTarget {
  tableName?: string;
}

export class NftablesProxier implements ProxyBackend {
  readonly name = 'nftables';
  readonly #options: NftablesProxierOptions;
  readonly #table: string;
  /** What the kernel holds, as far as we know; undefined forces a rebuild. */
  #applied: NftRuleset | undefined;

  constructor(options: NftablesProxierOptions) {
    this.#options = options;
    this.#table = options.tableName ?? defaultNftablesTable;
  }

  get tableName(): string {
    return this.#table;
  }

  async sync(servicePorts: readonly ServicePortInfo[], full: boolean): Promise<boolean> {
    const desired = buildNftablesRuleset(servicePorts, this.#options);
    if (!full && this.#applied && rulesetsEqual(this.#applied, desired)) return false;
    const script = renderNftTransaction('ip', this.#table, full ? undefined : this.#applied, desired);
    try {
      await this.#nft(['-f', '-'], script);
    } catch (err) {
      // The kernel refused the whole transaction, but our picture of it may
      // be wrong (someone flushed the table): rebuild from scratch next time.
      this.#applied = undefined;
      throw err;
    }
    this.#applied = desired;
    return true;
  }

  rulesCount(): number {
    return this.#applied ? countRules(this.#applied) : 0;
  }

  async cleanup(): Promise<void> {
    this.#applied = undefined;
    // `add` then `delete` in one transaction: deleting succeeds whether or not the table existed.
    await this.#nft(['-f', '-'], `add table ip ${this.#table}\ndelete table ip ${this.#table}\n`);
  }

  async #nft(args: string[], input: string): Promise<string> {
    const [file, argv] = commandIn(this.#options, 'nft', args);
    try {
      return await runCommand(file, argv, { input, timeoutMs: 120_000 });
    } catch (err) {
      if (err instanceof CommandError && err.stderr.length > 2000) {
        throw new CommandError(err.command, err.exitCode, `${err.stderr.slice(0, 2000)}…`);
      }
      throw err;
    }
  }
}
