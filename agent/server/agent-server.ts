/**
 * The agent's HTTPS server, on kubelet's paths and port (10250 by default):
 * `/containerLogs/{ns}/{pod}/{container}`, `/exec/{ns}/{pod}/{container}`,
 * `/attach/{ns}/{pod}/{container}`, `/portForward/{ns}/{pod}` and
 * `/healthz`. Exec and attach speak channel.k8s.io over WebSocket;
 * port-forward speaks SPDY/3.1, either tunnelled in a WebSocket
 * (`SPDY/3.1+portforward.k8s.io`, what kubectl 1.32 tries first) or over a
 * plain `Upgrade: SPDY/3.1` connection. Every request but /healthz must be
 * authenticated and authorized (agent-authenticator.ts), as kubelet's
 * authn/authz filter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { AgentAuthenticator, AgentUser } from './agent-authenticator.ts';
import { type ContainerLogOptions, writeContainerLogs } from './container-logs.ts';
import { portForwardProtocol, servePortForward } from './port-forward.ts';
import { remoteCommandProtocols, serveRemoteCommand } from './remote-command.ts';
import type { StreamOptions, StreamingRuntime, StreamingSession } from './streaming-runtime.ts';

/** kubelet's default `--port`. */
export const defaultAgentPort = 10250;

/** The WebSocket subprotocol of kubectl's tunnelled port-forward. */
export const portForwardTunnelProtocol = `SPDY/3.1+${portForwardProtocol}`;

export interface AgentServerOptions {
  /** This node's name: the `nodes/proxy` object callers are authorized against. */
  nodeName: string;
  runtime: StreamingRuntime;
  authenticator: AgentAuthenticator;
  /** Serving key pair (PEM); `clientCaPem` makes the server ask for client certificates chained to it. */
  tls: { key: string; cert: string; clientCaPem?: string };
}

/** A failure answered as a metav1.Status, which the API server passes on to kubectl verbatim. */
export class AgentError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

const reasonPhrase: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  return new AgentError(500, 'InternalError', (err as Error)?.message ?? String(err));
}

/** Writes an HTTP error on a socket that was about to be upgraded. */
function rejectUpgrade(socket: Duplex, err: AgentError): void {
  const body = statusBody(err.code, err.reason, err.message);
  if (!socket.writable) return;
  socket.end(
    `HTTP/1.1 ${err.code} ${reasonPhrase[err.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

type Route =
  | { kind: 'healthz' }
  | { kind: 'containerLogs'; namespace: string; pod: string; container: string }
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string };

function route(path: string): Route | undefined {
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const [head, ...rest] = parts;
  if (head === 'healthz' && rest.length === 0) return { kind: 'healthz' };
  if ((head === 'containerLogs' || head === 'exec' || head === 'attach') && rest.length === 3) {
    return { kind: head, namespace: rest[0]!, pod: rest[1]!, container: rest[2]! };
  }
  // kubelet also serves /exec/{ns}/{pod}/{uid}/{container}; the uid is not needed to find the container here.
  if ((head === 'exec' || head === 'attach') && rest.length === 4) return { kind: head, namespace: rest[0]!, pod: rest[1]!, container: rest[3]! };
  if (head === 'portForward' && (rest.length === 2 || rest.length === 3)) return { kind: 'portForward', namespace: rest[0]!, pod: rest[1]! };
  return undefined;
}

function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

function queryNonNegativeInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new AgentError(400, 'BadRequest', `${name}: invalid value ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < 0) throw new AgentError(400, 'BadRequest', `${name}: must be greater than or equal to 0`);
  return n;
}

/** The method → verb mapping of kubelet's authorizer attributes. */
function verbOf(method: string | undefined): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

function headerList(req: IncomingMessage, name: string): string[] {
  const value = req.headers[name];
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

export class AgentServer {
  readonly server: Server;
  private readonly options: AgentServerOptions;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly aborts = new Set<AbortController>();
  /** Upgrades whose WebSocket subprotocol `ws` cannot parse (it contains '/'), echoed by hand. */
  private readonly rawProtocols = new WeakMap<IncomingMessage, string>();

  constructor(options: AgentServerOptions) {
    this.options = options;
    this.server = createServer({
      key: options.tls.key,
      cert: options.tls.cert,
      ...(options.tls.clientCaPem ? { ca: options.tls.clientCaPem, requestCert: true, rejectUnauthorized: false } : {}),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: 16 * 1024 * 1024,
      handleProtocols: (protocols) => {
        for (const p of remoteCommandProtocols) if (protocols.has(p)) return p;
        return false;
      },
    });
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const raw = this.rawProtocols.get(req);
      if (raw) headers.push(`Sec-WebSocket-Protocol: ${raw}`);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handleRequest(req, res).catch((err: unknown) => this.sendError(res, toAgentError(err)));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      this.handleUpgrade(req, socket, head).catch((err: unknown) => rejectUpgrade(socket, toAgentError(err)));
    });
  }

  /** Listens; resolves with the bound port. */
  listen(port: number = defaultAgentPort, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Stops listening and ends every open stream. */
  async close(): Promise<void> {
    for (const abort of this.aborts) abort.abort();
    for (const client of this.wss.clients) client.terminate();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    await closed;
  }

  private sendError(res: ServerResponse, err: AgentError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = statusBody(err.code, err.reason, err.message);
    res.writeHead(err.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  /** Authenticates and authorizes; throws 401/403. */
  private async admit(req: IncomingMessage): Promise<AgentUser> {
    const user = await this.options.authenticator.authenticate(req);
    if (!user) throw new AgentError(401, 'Unauthorized', 'Unauthorized');
    const attributes = { verb: verbOf(req.method), resource: 'nodes' as const, subresource: 'proxy', name: this.options.nodeName };
    const decision = await this.options.authenticator.authorize(req, user, attributes);
    if (!decision.allowed) {
      throw new AgentError(
        403,
        'Forbidden',
        `Forbidden (user=${user.username}, verb=${attributes.verb}, resource=nodes, subresource=proxy)${decision.reason ? `: ${decision.reason}` : ''}`,
      );
    }
    return user;
  }

  private parse(req: IncomingMessage): { route: Route | undefined; query: URLSearchParams } {
    const url = new URL(req.url ?? '/', 'https://agent.invalid');
    return { route: route(url.pathname), query: url.searchParams };
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { route: r, query } = this.parse(req);
    if (r?.kind === 'healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    await this.admit(req);
    if (!r) throw new AgentError(404, 'NotFound', `the server could not find the requested resource`);
    if (r.kind !== 'containerLogs') {
      throw new AgentError(400, 'BadRequest', 'Upgrade request required');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new AgentError(405, 'MethodNotAllowed', `${req.method} is not allowed`);
    await this.serveContainerLogs(r, query, req, res);
  }

  private async serveContainerLogs(
    r: { namespace: string; pod: string; container: string },
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const container = await this.options.runtime.findContainer(r.namespace, r.pod, r.container);
    if (!container) throw new AgentError(404, 'NotFound', `container "${r.container}" in pod "${r.pod}" is not available`);
    const previous = queryBool(query, 'previous');
    const path = previous ? container.previousLogPath : container.logPath;
    if (!path) throw new AgentError(400, 'BadRequest', `previous terminated container "${r.container}" in pod "${r.pod}" not found`);
    const options: ContainerLogOptions = {
      // The previous instance has exited, so there is nothing to follow.
      follow: queryBool(query, 'follow') && !previous,
      timestamps: queryBool(query, 'timestamps'),
    };
    const tailLines = queryNonNegativeInt(query, 'tailLines');
    if (tailLines !== undefined) options.tailLines = tailLines;
    const limitBytes = queryNonNegativeInt(query, 'limitBytes');
    if (limitBytes !== undefined) {
      if (limitBytes < 1) throw new AgentError(400, 'BadRequest', 'limitBytes: must be greater than 0');
      options.limitBytes = limitBytes;
    }
    const sinceSeconds = queryNonNegativeInt(query, 'sinceSeconds');
    const sinceTime = query.get('sinceTime');
    if (sinceSeconds !== undefined && sinceTime) throw new AgentError(400, 'BadRequest', 'at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (sinceSeconds !== undefined) options.since = new Date(Date.now() - sinceSeconds * 1000);
    if (sinceTime) {
      const t = Date.parse(sinceTime);
      if (Number.isNaN(t)) throw new AgentError(400, 'BadRequest', `sinceTime: invalid value ${JSON.stringify(sinceTime)}`);
      options.since = new Date(t);
    }

    const abort = new AbortController();
    this.aborts.add(abort);
    const onClose = () => abort.abort();
    res.once('close', onClose);
    req.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      // Headers go out at once, so a follow with no lines yet still starts kubectl's stream.
      res.flushHeaders();
      const runtime = this.options.runtime;
      await writeContainerLogs(path, options, res, {
        signal: abort.signal,
        running: async () => (await runtime.findContainer(r.namespace, r.pod, r.container))?.running ?? false,
      });
      res.end();
    } catch (err) {
      if (!res.headersSent) throw err;
      res.destroy(err as Error);
    } finally {
      this.aborts.delete(abort);
      res.off('close', onClose);
    }
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { route: r, query } = this.parse(req);
    await this.admit(req);
    if (!r || r.kind === 'healthz' || r.kind === 'containerLogs') throw new AgentError(404, 'NotFound', 'the server could not find the requested resource');
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (r.kind === 'portForward') {
      const sandbox = await this.options.runtime.findSandbox(r.namespace, r.pod);
      if (!sandbox) throw new AgentError(404, 'NotFound', `pod "${r.pod}" in namespace "${r.namespace}" has no sandbox`);
      const podLabel = `${r.namespace}/${r.pod}`;
      const dial = (port: number) => this.options.runtime.portForward(sandbox.sandboxId, port);
      if (upgrade === 'websocket') {
        if (!offeredProtocols(req).includes(portForwardTunnelProtocol)) {
          throw new AgentError(400, 'BadRequest', `unable to upgrade: no supported port-forward protocol offered (want ${portForwardTunnelProtocol})`);
        }
        // `ws` rejects subprotocols with '/', so the header is hidden from it and written back in the 'headers' event.
        delete req.headers['sec-websocket-protocol'];
        this.rawProtocols.set(req, portForwardTunnelProtocol);
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          stream.on('error', () => undefined);
          void servePortForward(stream, dial, podLabel);
        });
        return;
      }
      if (upgrade === 'spdy/3.1') {
        if (!headerList(req, 'x-stream-protocol-version').includes(portForwardProtocol)) {
          throw new AgentError(400, 'BadRequest', `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(headerList(req, 'x-stream-protocol-version'))}, server supports ["${portForwardProtocol}"]`);
        }
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${portForwardProtocol}\r\n\r\n`,
        );
        if (head.length > 0) socket.unshift(head);
        void servePortForward(socket, dial, podLabel);
        return;
      }
      throw new AgentError(400, 'BadRequest', 'unable to upgrade: missing upgrade headers in request');
    }

    // exec and attach
    const opts: StreamOptions = {
      tty: queryBool(query, 'tty'),
      stdin: queryBool(query, 'input') || queryBool(query, 'stdin'),
      stdout: queryBool(query, 'output') || queryBool(query, 'stdout'),
      stderr: queryBool(query, 'error') || queryBool(query, 'stderr'),
    };
    // A terminal merges stderr into stdout (kubelet ignores stderr with tty).
    if (opts.tty) opts.stderr = false;
    if (!opts.stdin && !opts.stdout && !opts.stderr) throw new AgentError(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
    const command = query.getAll('command');
    if (r.kind === 'exec' && command.length === 0) throw new AgentError(400, 'BadRequest', 'you must specify at least one command for the container');
    const container = await this.options.runtime.findContainer(r.namespace, r.pod, r.container);
    if (!container) throw new AgentError(404, 'NotFound', `container "${r.container}" in pod "${r.pod}" is not available`);
    if (!container.running) throw new AgentError(400, 'BadRequest', `container ${r.container} is not running`);
    if (upgrade !== 'websocket') {
      // kubectl retries over SPDY only after a WebSocket failure; this agent speaks only WebSocket for exec/attach.
      throw new AgentError(400, 'BadRequest', 'unable to upgrade: exec and attach are served over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only');
    }
    const offered = offeredProtocols(req);
    const protocol = remoteCommandProtocols.find((p) => offered.includes(p));
    if (!protocol) {
      throw new AgentError(400, 'BadRequest', `unable to upgrade: no supported protocol offered: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(remoteCommandProtocols)}`);
    }
    const runtime = this.options.runtime;
    const start = async (): Promise<StreamingSession> => {
      const session = r.kind === 'exec' ? await runtime.exec(container.containerId, command, opts) : await runtime.attach(container.containerId, opts);
      return requestedStreams(session, opts);
    };
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      void serveRemoteCommand(ws, protocol, start);
    });
  }
}

/** Keeps only the streams the client asked for; the others are drained so the process never blocks on them. */
function requestedStreams(session: StreamingSession, opts: StreamOptions): StreamingSession {
  // Built afresh rather than spread: a runtime's session may keep its methods on a prototype.
  const out: StreamingSession = { resize: (width, height) => session.resize(width, height) };
  if (session.exitCode) out.exitCode = session.exitCode;
  if (session.close) out.close = () => session.close?.();
  if (session.stdout) {
    if (opts.stdout) out.stdout = session.stdout;
    else session.stdout.resume();
  }
  if (session.stderr) {
    if (opts.stderr) out.stderr = session.stderr;
    else session.stderr.resume();
  }
  if (session.stdin) {
    if (opts.stdin) out.stdin = session.stdin;
    else session.stdin.end();
  }
  return out;
}
