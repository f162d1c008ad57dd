/**
 * Runs network configuration lists the way CNI 1.0 requires of a runtime
 * (SPEC.md "Network Configuration Lists"), as libcni's CNIConfig does:
 * `name`/`cniVersion` copied into every plugin, `runtimeConfig` only for
 * declared capabilities, `prevResult` chained on ADD, the cached ADD result
 * as `prevResult` on CHECK and DEL, DEL in reverse order.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CniErrorCode, CniError } from './cni-error.ts';
import { addPlugin, execPlugin } from './cni-plugin.ts';
import type { CniResult, NetworkConfig, NetworkConfigList, RuntimeConf } from './cni-types.ts';
import { compareCniVersions } from './cni-version.ts';

export interface CniConfigOptions {
  /** Where plugin binaries are looked up, in order. */
  pluginDirs: readonly string[];
  /** Where ADD results are cached for CHECK and DEL (libcni: /var/lib/cni/results). */
  cacheDir: string;
  /** Per-plugin-call time limit. */
  timeoutMs?: number;
}

/** The record kept per attachment between ADD and DEL. */
interface CachedAttachment {
  networkName: string;
  containerId: string;
  ifName: string;
  cniVersion: string;
  result: CniResult;
}

export class CniConfig {
  readonly #pluginDirs: readonly string[];
  /** Where ADD results are cached. */
  readonly cacheDir: string;
  readonly #timeoutMs: number | undefined;

  constructor(options: CniConfigOptions) {
    this.#pluginDirs = options.pluginDirs;
    this.cacheDir = options.cacheDir;
    this.#timeoutMs = options.timeoutMs;
  }

  /** CNI ADD over the list; returns (and caches) the last plugin's Result. */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf, signal?: AbortSignal): Promise<CniResult> {
    let prevResult: CniResult | undefined;
    for (const plugin of list.plugins) {
      prevResult = await addPlugin({
        type: plugin.type,
        config: pluginConfig(list, plugin, rt, prevResult),
        runtime: rt,
        ...this.#callOptions(signal),
      });
    }
    if (!prevResult) throw new CniError('-', 'ADD', CniErrorCode.InvalidNetworkConfig, `network ${list.name} has no plugins`);
    await this.#writeCache(list, rt, prevResult);
    return prevResult;
  }

  /**
   * CNI CHECK over the list against the cached ADD result. Lists older than
   * 0.4.0 or with disableCheck are not checked, as the spec demands.
   */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, signal?: AbortSignal): Promise<void> {
    if (list.disableCheck || compareCniVersions(list.cniVersion, '0.4.0') < 0) return;
    const cached = await this.getCachedResult(list.name, rt);
    if (!cached) {
      throw new CniError('-', 'CHECK', CniErrorCode.ContainerUnknown, `no cached result for ${list.name}/${rt.containerId}/${rt.ifName}`);
    }
    for (const plugin of list.plugins) {
      await execPlugin({
        type: plugin.type,
        command: 'CHECK',
        config: pluginConfig(list, plugin, rt, cached),
        runtime: rt,
        ...this.#callOptions(signal),
      });
    }
  }

  /**
   * CNI DEL over the list in reverse order, then forgets the cached result.
   * Plugins must tolerate DEL for attachments they never made, so this is
   * safe to repeat.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, signal?: AbortSignal): Promise<void> {
    // prevResult on DEL arrived with 0.4.0; older plugins would reject it.
    const cached = compareCniVersions(list.cniVersion, '0.4.0') >= 0 ? await this.getCachedResult(list.name, rt) : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      await execPlugin({
        type: plugin.type,
        command: 'DEL',
        config: pluginConfig(list, plugin, rt, cached),
        runtime: rt,
        ...this.#callOptions(signal),
      });
    }
    await rm(this.#cachePath(list.name, rt), { force: true });
  }

  /** The Result cached by the last successful ADD of this attachment, if any. */
  async getCachedResult(networkName: string, rt: Pick<RuntimeConf, 'containerId' | 'ifName'>): Promise<CniResult | undefined> {
    return (await this.#readCache(networkName, rt))?.result;
  }

  async #readCache(networkName: string, rt: Pick<RuntimeConf, 'containerId' | 'ifName'>): Promise<CachedAttachment | undefined> {
    let text: string;
    try {
      text = await readFile(this.#cachePath(networkName, rt), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return JSON.parse(text) as CachedAttachment;
  }

  /** Container IDs with a cached attachment on this network. */
  async cachedContainerIds(networkName: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.cacheDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const ids: string[] = [];
    for (const name of names) {
      if (!name.startsWith(`${networkName}-`) || !name.endsWith('.json')) continue;
      try {
        const cached = JSON.parse(await readFile(join(this.cacheDir, name), 'utf8')) as CachedAttachment;
        if (cached.networkName === networkName) ids.push(cached.containerId);
      } catch {
        // a torn or foreign file is not an attachment
      }
    }
    return ids;
  }

  #callOptions(signal: AbortSignal | undefined): { pluginDirs: readonly string[]; signal?: AbortSignal; timeoutMs?: number } {
    return {
      pluginDirs: this.#pluginDirs,
      ...(signal ? { signal } : {}),
      ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}),
    };
  }

  #cachePath(networkName: string, rt: Pick<RuntimeConf, 'containerId' | 'ifName'>): string {
    // libcni's naming: <network>-<container>-<ifname>.
    return join(this.cacheDir, `${networkName}-${rt.containerId}-${rt.ifName}.json`);
  }

  async #writeCache(list: NetworkConfigList, rt: RuntimeConf, result: CniResult): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    const record: CachedAttachment = {
      networkName: list.name,
      containerId: rt.containerId,
      ifName: rt.ifName,
      cniVersion: list.cniVersion,
      result,
    };
    const path = this.#cachePath(list.name, rt);
    // Write then rename, so a crash never leaves a half-written result for DEL.
    await writeFile(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
}

/** The stdin of one plugin in a list (libcni buildOneConfig + injectRuntimeConfig). */
export function pluginConfig(
  list: NetworkConfigList,
  plugin: NetworkConfig,
  rt: RuntimeConf,
  prevResult: CniResult | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled && rt.capabilityArgs[capability] !== undefined) runtimeConfig[capability] = rt.capabilityArgs[capability];
  }
  if (Object.keys(runtimeConfig).length > 0) config.runtimeConfig = runtimeConfig;
  if (prevResult) config.prevResult = prevResult;
  return config;
}
