/**
 * What the agent's streaming server needs of the container runtime, kept
 * narrow so the server can be tested against host processes and the real
 * CRI runtime plugged in with a thin adapter (as kubelet's streaming server
 * only needs cri/streaming's Runtime: Exec, Attach, PortForward).
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** A container as the runtime knows it, found from the pod's identity. */
export interface StreamingContainer {
  containerId: string;
  /** The CRI log file of the current instance (`<RFC3339Nano> <stream> <P|F> <content>` lines). */
  logPath: string;
  /** The log file of the previous instance, when the container has restarted. */
  previousLogPath?: string;
  running: boolean;
}

export interface StreamingSandbox {
  sandboxId: string;
}

/** Options of exec and attach, as the request asked for them. */
export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * The process side of an exec or attach session. Streams the request did
 * not ask for may be absent; with a tty there is no stderr.
 */
export interface StreamingSession {
  /** Ending it closes the process's stdin. */
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  /** Sets the terminal size; a no-op without a tty. */
  resize(width: number, height: number): void | Promise<void>;
  /** The exit code once the process has exited; attach sessions may leave it out (success when the streams end). */
  exitCode?: Promise<number>;
  /** Ends the session early (the client went away); for exec this kills the process. */
  close?(): void;
}

/** The container runtime as seen by the streaming server (agent/server/agent-server.ts). */
export interface StreamingRuntime {
  /**
   * Resolves a pod's container; `containerName` undefined means the pod's
   * only (or first) container. Undefined when the runtime has no such
   * container, which the server answers with 404.
   */
  findContainer(namespace: string, podName: string, containerName: string | undefined): Promise<StreamingContainer | undefined>;
  /** The pod's sandbox (its network namespace), undefined when there is none. */
  findSandbox(namespace: string, podName: string): Promise<StreamingSandbox | undefined>;
  /** Runs `cmd` in the container. Rejects when the process cannot be started. */
  exec(containerId: string, cmd: string[], opts: StreamOptions): Promise<StreamingSession>;
  /** Connects to the container's main process stdio. */
  attach(containerId: string, opts: StreamOptions): Promise<StreamingSession>;
  /** Opens one TCP connection to 127.0.0.1:`port` inside the sandbox's network namespace. */
  portForward(sandboxId: string, port: number): Promise<Duplex>;
}
