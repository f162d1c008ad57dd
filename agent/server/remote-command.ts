/**
 * Exec and attach over WebSocket, in the channel.k8s.io framing kubelet's
 * cri/streaming/remotecommand serves: each binary message is one channel
 * byte plus payload (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize).
 * v4 ends with a metav1.Status on channel 3 (`NonZeroExitCode` with an
 * `ExitCode` cause, or Success); v5 adds channel 255, by which the client
 * closes a stream (kubectl closes stdin at EOF with `[255, 0]`).
 */
import type { WebSocket } from 'ws';
import type { Readable } from 'node:stream';
import type { StreamingSession } from './streaming-runtime.ts';

export const remoteCommandProtocolV5 = 'v5.channel.k8s.io';
export const remoteCommandProtocolV4 = 'v4.channel.k8s.io';
/** Protocols offered by preference; kubectl 1.32 offers only v5. */
export const remoteCommandProtocols: readonly string[] = [remoteCommandProtocolV5, remoteCommandProtocolV4];

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The Status kubelet writes on the error channel. */
export function exitStatus(exitCode: number): object {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [exit ${exitCode}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function errorStatus(message: string): object {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500, details: { causes: [{ message }] } };
}

/** Above this many unsent bytes the process's output is paused (the client reads slowly). */
const highWaterMark = 1 << 20;

/**
 * Runs one session over an accepted WebSocket. `start` creates the session
 * (exec or attach); its rejection is reported on the error channel.
 * Resolves when the WebSocket is closed.
 */
export async function serveRemoteCommand(ws: WebSocket, protocol: string, start: () => Promise<StreamingSession>): Promise<void> {
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const send = (channel: number, payload: Buffer, done?: () => void) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true }, () => done?.());
  };
  const finish = (status: object) => {
    send(Channel.error, Buffer.from(JSON.stringify(status)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };

  // Messages that arrive while the process starts are held, not lost.
  const early: Buffer[] = [];
  let onMessage: (data: Buffer) => void = (data) => early.push(data);
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary && buf.length > 0) onMessage(buf);
  });

  let session: StreamingSession;
  try {
    session = await start();
  } catch (err) {
    finish(errorStatus((err as Error).message));
    await closed;
    return;
  }
  void closed.then(() => session.close?.());

  let resizeBuffer = '';
  onMessage = (buf) => {
    const channel = buf[0]!;
    const payload = buf.subarray(1);
    switch (channel) {
      case Channel.stdin:
        if (session.stdin && !session.stdin.writableEnded && !session.stdin.destroyed) session.stdin.write(payload);
        break;
      case Channel.resize: {
        resizeBuffer += payload.toString('utf8');
        // A stream of JSON objects (kubectl sends `{"Width":W,"Height":H}\n`), as kubelet decodes it with a json.Decoder.
        let consumed = 0;
        for (const match of resizeBuffer.matchAll(/\{[^{}]*\}/g)) {
          consumed = match.index + match[0].length;
          try {
            const size = JSON.parse(match[0]) as { Width?: unknown; Height?: unknown };
            if (typeof size.Width === 'number' && typeof size.Height === 'number') {
              void Promise.resolve(session.resize(size.Width, size.Height)).catch(() => undefined);
            }
          } catch {
            // An unparsable size is ignored, as kubelet's handleResizing does.
          }
        }
        resizeBuffer = resizeBuffer.slice(consumed);
        break;
      }
      case Channel.close:
        if (protocol === remoteCommandProtocolV5 && payload[0] === Channel.stdin) session.stdin?.end();
        break;
      default:
        break;
    }
  };
  session.stdin?.on('error', () => undefined);
  for (const buf of early.splice(0)) onMessage(buf);

  const pump = (stream: Readable | undefined, channel: number) =>
    new Promise<void>((resolve) => {
      if (!stream) {
        resolve();
        return;
      }
      stream.on('data', (chunk: Buffer) => {
        send(channel, chunk, () => {
          if (stream.isPaused() && ws.bufferedAmount < highWaterMark) stream.resume();
        });
        if (ws.bufferedAmount >= highWaterMark) stream.pause();
      });
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });

  const output = Promise.all([pump(session.stdout, Channel.stdout), pump(session.stderr, Channel.stderr)]);
  try {
    const code = session.exitCode ? await session.exitCode : 0;
    // The status is the last message: every byte of output goes first.
    await Promise.race([output, closed]);
    finish(exitStatus(code));
  } catch (err) {
    finish(errorStatus((err as Error).message));
  }
  await closed;
}
