/**
 * The per-container shim: Debian's conmon (CRI-O's and podman's monitor). It
 * runs `runc create`, double-forks so it outlives the agent, holds the
 * container's stdio, writes the CRI log (`<RFC3339Nano> stdout|stderr F|P <line>`)
 * and, when the container exits, its exit code into `exitDir/<id>`.
 *
 * conmon reports the result of `runc create` on a sync pipe passed as fd 3
 * (`_OCI_SYNCPIPE`): `{"data": <pid>}`, or a negative `data` with `message`.
 *
 * For attach, conmon listens on a SOCK_SEQPACKET socket `attach` in the
 * bundle, reachable through the symlink `<socket-dir-path>/<-u id>` (kept
 * short for sun_path), and reads window sizes from the `ctl` FIFO in the
 * bundle (conmon src/conn_sock.c, src/ctrl.c).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ConmonOptions {
  conmonBinary: string;
  containerId: string;
  containerName: string;
  runtimeBinary: string;
  runtimeRoot: string;
  bundle: string;
  /** Written by runc: the container's init pid. */
  containerPidFile: string;
  conmonPidFile: string;
  logPath: string;
  logSizeMax?: number;
  exitDir: string;
  socketDir: string;
  /** conmon leaves an `oom` file here when the kernel OOM-kills the container. */
  persistDir: string;
  /** conmon's own diagnostics (it must not write to a pipe the agent may have closed). */
  conmonLogFile: string;
  stdin: boolean;
  /**
   * Keep the container's stdin open when an attach client disconnects
   * (`--leave-stdin-open`); without it conmon closes stdin at the first
   * disconnect, which is CRI's stdinOnce.
   */
  leaveStdinOpen?: boolean;
  tty: boolean;
  timeoutMs?: number;
}

export function conmonArgs(o: ConmonOptions): string[] {
  const args = [
    '--api-version', '1',
    '-c', o.containerId,
    '-u', o.containerId,
    '-n', o.containerName,
    '-r', o.runtimeBinary,
    '--runtime-arg', `--root=${o.runtimeRoot}`,
    '-b', o.bundle,
    '-p', o.containerPidFile,
    '-P', o.conmonPidFile,
    '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '--persist-dir', o.persistDir,
    '--log-level', 'info',
  ];
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.stdin) args.push('-i');
  if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (o.tty) args.push('-t');
  return args;
}

/** Runs conmon, which creates the container; resolves with the container's init pid. */
export async function createWithConmon(o: ConmonOptions): Promise<number> {
  // conmon exits silently, closing the sync pipe, when one of these is missing.
  for (const dir of [o.socketDir, o.exitDir, o.persistDir]) await mkdir(dir, { recursive: true });
  const log = await open(o.conmonLogFile, 'a');
  try {
    const child = spawn(o.conmonBinary, conmonArgs(o), {
      // conmon drops an `oom` marker in its working directory as well as the persist dir: keep it out of the caller's.
      cwd: o.persistDir,
      stdio: ['ignore', log.fd, log.fd, 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
    });
    const sync = child.stdio[3];
    if (!sync) throw new Error('conmon: no sync pipe');
    const result = await new Promise<{ data: number; message?: string }>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`conmon: no answer on the sync pipe within ${o.timeoutMs ?? 60000} ms`)), o.timeoutMs ?? 60000);
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        fn();
      };
      child.once('error', (err) => done(() => reject(err)));
      sync.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const end = buf.indexOf('}');
        if (end < 0) return;
        try {
          const parsed = JSON.parse(buf.slice(0, end + 1)) as { data: number; message?: string };
          done(() => resolve(parsed));
        } catch (err) {
          done(() => reject(new Error(`conmon: bad sync message ${JSON.stringify(buf)}`, { cause: err })));
        }
      });
      sync.on('end', () => done(() => reject(new Error('conmon: sync pipe closed without a pid'))));
    });
    // conmon keeps its end; the agent must not hold the container's shim to itself.
    sync.destroy();
    child.unref();
    if (result.data < 0) {
      throw new Error(`conmon: runtime create failed: ${result.message ?? ''} ${(await readFile(o.conmonLogFile, 'utf8').catch(() => '')).trim()}`.trim());
    }
    return result.data;
  } catch (err) {
    const diag = (await readFile(o.conmonLogFile, 'utf8').catch(() => '')).trim();
    if (err instanceof Error && diag && !err.message.includes(diag)) err.message += ` (conmon: ${diag})`;
    throw err;
  } finally {
    await log.close();
  }
}

/** Longest unix socket path (Linux sockaddr_un.sun_path, including its NUL). */
const sunPathSize = 108;

/**
 * The symlink conmon makes from `<socketDir>/<id>` to the bundle. conmon
 * drops the last character when the link's path is exactly sun_path minus
 * one long, so the link does not collide with a socket path of that length
 * (socket_parent_dir in src/conn_sock.c).
 */
export function conmonSocketLink(socketDir: string, containerId: string): string {
  const link = join(socketDir, containerId);
  return link.length === sunPathSize - 1 ? link.slice(0, sunPathSize - 2) : link;
}

/** The name of conmon's attach socket inside the directory {@link conmonSocketLink} points to. */
export const conmonAttachSocketName = 'attach';

/** conmon's control FIFO, which takes `<type> <height> <width>\n` lines (src/ctrl.c ctrl_cb). */
export function conmonControlFifo(bundle: string): string {
  return join(bundle, 'ctl');
}

/** conmon's control message type for a terminal resize (WIN_RESIZE_EVENT in src/config.h). */
const windowResizeEvent = 1;

/** The control line that resizes the container's terminal, as podman writes it. */
export function windowResizeMessage(width: number, height: number): string {
  return `${windowResizeEvent} ${Math.trunc(height)} ${Math.trunc(width)}\n`;
}

/**
 * Resizes the container's terminal through conmon's control FIFO. The FIFO
 * is opened non-blocking: with conmon gone there is no reader and the open
 * fails (ENXIO) instead of waiting for one forever.
 */
export async function resizeConmonTerminal(bundle: string, width: number, height: number): Promise<void> {
  const fifo = await open(conmonControlFifo(bundle), constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fifo.write(windowResizeMessage(width, height));
  } finally {
    await fifo.close();
  }
}
