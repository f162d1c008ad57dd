/**
 * A StreamingRuntime for tests that runs real host processes: exec spawns
 * the command (under util-linux `script` for a tty), attach serves a stream
 * the test writes, portForward dials 127.0.0.1:port on the host, and logs
 * are CRI-format files the test writes. The real runtime replaces it in the
 * agent; the server cannot tell the difference at its interface.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import type { StreamOptions, StreamingContainer, StreamingRuntime, StreamingSession } from '../../../agent/server/streaming-runtime.ts';

export interface HostContainer extends StreamingContainer {
  namespace: string;
  pod: string;
  name: string;
  /** What attach connects to: the test writes the container's "output" here. */
  attachOutput: PassThrough;
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class HostStreamingRuntime implements StreamingRuntime {
  readonly containers: HostContainer[] = [];
  readonly sandboxes = new Map<string, string>();
  readonly resizes: { containerId: string; width: number; height: number }[] = [];
  readonly execs: { containerId: string; cmd: string[]; opts: StreamOptions }[] = [];
  /** How many times the server asked whether a container runs (a follow polls this). */
  runningChecks = 0;
  private readonly children = new Set<ReturnType<typeof spawn>>();

  addContainer(namespace: string, pod: string, name: string, logPath: string, extra: Partial<StreamingContainer> = {}): HostContainer {
    const c: HostContainer = {
      namespace,
      pod,
      name,
      containerId: `host-${namespace}-${pod}-${name}`,
      logPath,
      running: true,
      attachOutput: new PassThrough(),
      ...extra,
    };
    this.containers.push(c);
    this.sandboxes.set(`${namespace}/${pod}`, `sandbox-${namespace}-${pod}`);
    return c;
  }

  async findContainer(namespace: string, podName: string, containerName: string | undefined): Promise<StreamingContainer | undefined> {
    this.runningChecks++;
    const c = this.containers.find((x) => x.namespace === namespace && x.pod === podName && (containerName === undefined || x.name === containerName));
    if (!c) return undefined;
    const found: StreamingContainer = { containerId: c.containerId, logPath: c.logPath, running: c.running };
    if (c.previousLogPath) found.previousLogPath = c.previousLogPath;
    return found;
  }

  async findSandbox(namespace: string, podName: string): Promise<{ sandboxId: string } | undefined> {
    const id = this.sandboxes.get(`${namespace}/${podName}`);
    return id ? { sandboxId: id } : undefined;
  }

  async exec(containerId: string, cmd: string[], opts: StreamOptions): Promise<StreamingSession> {
    this.execs.push({ containerId, cmd, opts });
    // With a tty, `script` gives the command a pty whose other side is our pipes (stderr merges into it).
    const argv = opts.tty ? ['script', '-qfec', cmd.map(shellQuote).join(' '), '/dev/null'] : cmd;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    const exitCode = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        this.children.delete(child);
        resolve(code ?? (signal ? 128 + 9 : 255));
      });
    });
    child.stdin.on('error', () => undefined);
    const session: StreamingSession = {
      stdin: child.stdin,
      stdout: child.stdout,
      resize: (width, height) => {
        this.resizes.push({ containerId, width, height });
      },
      exitCode,
      close: () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      },
    };
    if (!opts.tty) session.stderr = child.stderr;
    else child.stderr.resume();
    return session;
  }

  async attach(containerId: string, _opts: StreamOptions): Promise<StreamingSession> {
    const c = this.containers.find((x) => x.containerId === containerId);
    if (!c) throw new Error(`no container ${containerId}`);
    return { stdout: c.attachOutput, resize: () => undefined };
  }

  async portForward(_sandboxId: string, port: number): Promise<Duplex> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  }

  /** Kills whatever exec started and is still running. */
  stop(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
  }
}
