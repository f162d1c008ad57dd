/**
 * The portforward.k8s.io protocol over SPDY, as kubelet's
 * cri/streaming/portforward httpStreamHandler: the client opens an `error`
 * and a `data` stream per connection, both carrying `port` and `requestid`
 * headers; once both are there the agent connects to the port inside the
 * pod's network namespace and copies bytes between that connection and the
 * data stream. Failures are written as text to the error stream. Both
 * streams get FIN when the connection is done, which is what makes kubectl
 * finish the local connection.
 */
import type { Duplex } from 'node:stream';
import { SpdyConnection, type SpdyStream } from './spdy/spdy-connection.ts';

export const portForwardProtocol = 'portforward.k8s.io';

/** Opens one connection to a port of the pod (StreamingRuntime.portForward bound to the sandbox). */
export type PortDialer = (port: number) => Promise<Duplex>;

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** How long a lone error or data stream waits for its partner (kubelet: streamCreationTimeout, 30 s). */
const pairTimeoutMs = 30_000;

/**
 * Serves port-forward on a byte stream that carries SPDY frames. `podLabel`
 * names the pod in error messages. Resolves when the transport closes.
 */
export function servePortForward(transport: Duplex, dial: PortDialer, podLabel: string, allowedPorts?: (port: number) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const pairs = new Map<string, StreamPair>();
    const live = new Set<Duplex>();
    new SpdyConnection(transport, {
      onStream(stream) {
        const type = stream.header('streamtype');
        const requestId = stream.header('requestid') ?? String(stream.id);
        if (type !== 'error' && type !== 'data') {
          stream.reset();
          return;
        }
        // Old clients without requestid pair by stream id: the data stream is the error stream's id + 2.
        const key = stream.header('requestid') !== undefined ? requestId : String(type === 'data' ? stream.id - 2 : stream.id);
        let pair = pairs.get(key);
        if (!pair) {
          pair = {
            timer: setTimeout(() => {
              pairs.delete(key);
              pair!.error?.reset();
              pair!.data?.reset();
            }, pairTimeoutMs),
          };
          pair.timer.unref();
          pairs.set(key, pair);
        }
        if (pair[type]) {
          stream.reset();
          return;
        }
        pair[type] = stream;
        if (pair.error && pair.data) {
          clearTimeout(pair.timer);
          pairs.delete(key);
          void forward(pair.error, pair.data);
        }
      },
      onClose() {
        for (const pair of pairs.values()) clearTimeout(pair.timer);
        pairs.clear();
        for (const socket of live) socket.destroy();
        resolve();
      },
    });

    async function forward(errorStream: SpdyStream, dataStream: SpdyStream): Promise<void> {
      errorStream.on('error', () => undefined);
      dataStream.on('error', () => undefined);
      // The client half-closes the error stream at once; reading it keeps the stream flowing.
      errorStream.resume();
      const portText = dataStream.header('port') ?? '';
      const port = Number(portText);
      const fail = (message: string) => {
        errorStream.end(message);
        dataStream.end();
      };
      if (!/^\d+$/.test(portText) || port <= 0 || port > 65535) {
        fail(`invalid port ${JSON.stringify(portText)}`);
        return;
      }
      if (allowedPorts && !allowedPorts(port)) {
        fail(`port ${port} is not allowed for pod ${podLabel}`);
        return;
      }
      let socket: Duplex;
      try {
        socket = await dial(port);
      } catch (err) {
        fail(`error forwarding port ${port} to pod ${podLabel}: ${(err as Error).message}`);
        return;
      }
      live.add(socket);
      let failure: string | undefined;
      socket.on('error', (err) => (failure ??= `error forwarding port ${port} to pod ${podLabel}: ${err.message}`));
      socket.on('data', (chunk: Buffer) => {
        if (!dataStream.write(chunk)) {
          socket.pause();
          dataStream.once('drain', () => socket.resume());
        }
      });
      dataStream.on('data', (chunk: Buffer) => {
        if (!socket.destroyed && !socket.write(chunk)) {
          dataStream.pause();
          socket.once('drain', () => dataStream.resume());
        }
      });
      // The client's FIN on the data stream half-closes the pod connection; the pod's answer may still come.
      dataStream.on('end', () => {
        if (!socket.destroyed) socket.end();
      });
      dataStream.on('close', () => {
        if (!socket.destroyed) socket.destroy();
      });
      socket.once('close', () => {
        live.delete(socket);
        if (failure) errorStream.write(failure);
        if (!dataStream.writableEnded && !dataStream.destroyed) dataStream.end();
        if (!errorStream.writableEnded && !errorStream.destroyed) errorStream.end();
      });
      // The pod closed its side: FIN the data stream so kubectl's remote-to-local copy ends.
      socket.on('end', () => {
        if (!dataStream.writableEnded && !dataStream.destroyed) dataStream.end();
      });
    }
  });
}
