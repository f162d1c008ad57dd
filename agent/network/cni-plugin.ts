/**
 * Executes one CNI plugin binary per the CNI 1.0 execution protocol
 * (SPEC.md section 2): parameters in CNI_* environment variables, the
 * network configuration on stdin, a Result or an error object on stdout.
 * The counterpart of libcni's pkg/invoke (FindInPath, ExecPluginWithResult).
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError, CniErrorCode } from './cni-error.ts';
import type { CniCommand, CniResult, CniVersionInfo, RuntimeConf } from './cni-types.ts';
import { execCommand } from '../host/run-command.ts';

/** One plugin invocation. */
export interface CniPluginRequest {
  /** The plugin's `type`: the binary's file name. */
  type: string;
  command: CniCommand;
  /** The full per-plugin configuration written to stdin. */
  config: Record<string, unknown>;
  /** Absent only for VERSION. */
  runtime?: RuntimeConf;
  /** Directories searched for the binary, in order; also passed as CNI_PATH. */
  pluginDirs: readonly string[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Finds `type` in the plugin directories, first match wins (libcni FindInPath). */
export async function findPlugin(type: string, pluginDirs: readonly string[]): Promise<string> {
  // A type is a file name, never a path: the config must not pick arbitrary binaries.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(type)) {
    throw new CniError(type, 'ADD', CniErrorCode.InvalidNetworkConfig, `invalid plugin type ${JSON.stringify(type)}`);
  }
  for (const dir of pluginDirs) {
    const candidate = join(dir, type);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`CNI plugin ${type} not found in ${pluginDirs.join(', ')}: apt-get install containernetworking-plugins`);
}

/** The environment of a plugin call: the agent's own, minus stale CNI_* values. */
export function pluginEnvironment(
  command: CniCommand,
  runtime: RuntimeConf | undefined,
  pluginDirs: readonly string[],
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Plugins shell out to iptables/ip, so PATH and the rest must pass through.
  for (const [key, value] of Object.entries(base)) {
    if (!key.startsWith('CNI_') && value !== undefined) env[key] = value;
  }
  env.CNI_COMMAND = command;
  env.CNI_PATH = pluginDirs.join(':');
  if (runtime) {
    env.CNI_CONTAINERID = runtime.containerId;
    env.CNI_NETNS = runtime.netns;
    env.CNI_IFNAME = runtime.ifName;
    env.CNI_ARGS = runtime.args.map(([k, v]) => `${k}=${v}`).join(';');
  }
  return env;
}

/**
 * Runs the plugin. Resolves with the parsed stdout (a Result for ADD, version
 * info for VERSION, undefined for DEL and CHECK); rejects with CniError.
 */
export async function execPlugin(request: CniPluginRequest): Promise<unknown> {
  const { type, command } = request;
  const path = await findPlugin(type, request.pluginDirs);
  const out = await execCommand(path, [], {
    input: JSON.stringify(request.config),
    env: pluginEnvironment(command, request.runtime, request.pluginDirs),
    ...(request.signal ? { signal: request.signal } : {}),
    timeoutMs: request.timeoutMs ?? 120_000,
  }).catch((err: unknown) => {
    throw new CniError(type, command, 0, err instanceof Error ? err.message : String(err), '', err);
  });

  if (out.exitCode !== 0) throw pluginError(type, command, out.stdout, out.stderr, out.exitCode);
  const text = out.stdout.trim();
  if (command === 'DEL' || command === 'CHECK') return undefined;
  if (text === '') {
    throw new CniError(type, command, CniErrorCode.DecodingFailure, 'plugin exited 0 but printed no result');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CniError(type, command, CniErrorCode.DecodingFailure, `unparsable result: ${text.slice(0, 200)}`, '', err);
  }
}

/** Runs `ADD` and checks the output is a Result. */
export async function addPlugin(request: Omit<CniPluginRequest, 'command'>): Promise<CniResult> {
  const raw = await execPlugin({ ...request, command: 'ADD' });
  if (!isResult(raw)) {
    throw new CniError(request.type, 'ADD', CniErrorCode.DecodingFailure, `result is not a CNI Result: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  return raw;
}

/** Asks a plugin which spec versions it speaks (CNI_COMMAND=VERSION). */
export async function pluginVersion(
  type: string,
  pluginDirs: readonly string[],
  signal?: AbortSignal,
): Promise<CniVersionInfo> {
  // SPEC.md: VERSION gets only {"cniVersion"} on stdin and no other parameters.
  const raw = await execPlugin({ type, command: 'VERSION', config: { cniVersion: '1.0.0' }, pluginDirs, ...(signal ? { signal } : {}) });
  if (
    typeof raw !== 'object' || raw === null ||
    typeof (raw as { cniVersion?: unknown }).cniVersion !== 'string' ||
    !Array.isArray((raw as { supportedVersions?: unknown }).supportedVersions)
  ) {
    throw new CniError(type, 'VERSION', CniErrorCode.DecodingFailure, `not version info: ${JSON.stringify(raw)}`);
  }
  return raw as CniVersionInfo;
}

function isResult(raw: unknown): raw is CniResult {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) &&
    typeof (raw as { cniVersion?: unknown }).cniVersion === 'string';
}

/** Turns a non-zero exit into a CniError, preferring the spec's error object on stdout. */
function pluginError(type: string, command: CniCommand, stdout: string, stderr: string, exitCode: number): CniError {
  const text = stdout.trim();
  if (text !== '') {
    try {
      const parsed = JSON.parse(text) as { code?: unknown; msg?: unknown; details?: unknown };
      if (typeof parsed.code === 'number' && typeof parsed.msg === 'string') {
        return new CniError(type, command, parsed.code, parsed.msg, typeof parsed.details === 'string' ? parsed.details : '');
      }
    } catch {
      // not an error object: fall through to raw output
    }
  }
  const why = stderr.trim() || text || `exit status ${exitCode}`;
  return new CniError(type, command, 0, why);
}
