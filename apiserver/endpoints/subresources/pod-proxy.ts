/**
 * pods/log, pods/exec, pods/attach and pods/portforward: the API server finds
 * the pod's node and proxies the request to that node's agent (kubelet's
 * paths on the Node's InternalIP and status.daemonEndpoints.kubeletEndpoint
 * port), as kube-apiserver's pod registry LogLocation/ExecLocation/
 * PortForwardLocation plus its UpgradeAwareHandler. Logs are an ordinary
 * streamed GET; the others are connection upgrades (WebSocket, or SPDY/3.1
 * on kubectl's retry): the upgrade is repeated against the agent, the 101
 * answer is passed back, and the two connections are spliced.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../../client/api/meta.ts';
import type { TokenAuthenticator } from '../../authn/token-authenticator.ts';
import { newBadRequest, newUnauthorized, StatusError } from '../../errors/status-error.ts';
import type { GenericStore } from '../../registry/generic-store.ts';
import { parseRequestInfo } from '../request-info.ts';

/** The pod subresources served by proxying to the node agent. */
export const podProxySubresources: ReadonlySet<string> = new Set(['log', 'exec', 'attach', 'portforward']);

/** kubelet's default port, used when the Node does not report status.daemonEndpoints.kubeletEndpoint. */
export const defaultKubeletPort = 10250;

/**
 * How the API server talks to agents (kube-apiserver's --kubelet-client-certificate,
 * --kubelet-client-key and --kubelet-certificate-authority).
 */
export interface KubeletClientConfig {
  /** Client certificate and key presented to agents. Without them the caller's bearer token is passed on. */
  certPem?: string;
  keyPem?: string;
  /** CA that signed the agents' serving certificates; without it they are not verified (kube-apiserver's default too). */
  caPem?: string;
}

interface Location {
  host: string;
  port: number;
  /** Path and query on the agent. */
  path: string;
}

const notFound = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

function statusResponse(err: StatusError): string {
  const body = JSON.stringify(err.toStatus());
  return `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function containerNames(pod: KubeObject, field: 'containers' | 'initContainers' | 'ephemeralContainers'): string[] {
  const list = (pod.spec as Record<string, unknown> | undefined)?.[field];
  return Array.isArray(list) ? list.map((c) => String((c as { name?: unknown }).name ?? '')) : [];
}

/** The container a request means, validated as pod/strategy.go does. */
function resolveContainer(pod: KubeObject, requested: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const containers = containerNames(pod, 'containers');
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    const init = containerNames(pod, 'initContainers');
    const ephemeral = containerNames(pod, 'ephemeralContainers');
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length > 0) message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw newBadRequest(message);
  }
  const all = [...containers, ...containerNames(pod, 'initContainers'), ...containerNames(pod, 'ephemeralContainers')];
  if (!all.includes(requested)) throw newBadRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

function truthy(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

/** Proxies the pod subresources that live on the node agent. */
export class PodProxy {
  private readonly pods: GenericStore;
  private readonly nodes: GenericStore;
  private readonly authenticator: TokenAuthenticator;
  private readonly client: KubeletClientConfig;
  private readonly sockets = new Set<Duplex>();

  constructor(pods: GenericStore, nodes: GenericStore, authenticator: TokenAuthenticator, client: KubeletClientConfig = {}) {
    this.pods = pods;
    this.nodes = nodes;
    this.authenticator = authenticator;
    this.client = client;
  }

  /** Ends every spliced connection (server shutdown). */
  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Finds the agent location for a subresource request; `query` is the client's query. */
  async locate(namespace: string, name: string, subresource: string, query: URLSearchParams): Promise<Location> {
    const pod = await this.pods.get(namespace, name);
    const params = new URLSearchParams();
    let container: string | undefined;
    if (subresource !== 'portforward') container = resolveContainer(pod, query.get('container') ?? undefined);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw newBadRequest(`pod ${name} does not have a host assigned`);
    const node = await this.nodes.get(undefined, nodeName);
    const status = node.status as
      | { addresses?: { type?: string; address?: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } }
      | undefined;
    const addresses = status?.addresses ?? [];
    const address = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses.find((a) => a.type === 'Hostname')?.address;
    if (!address) {
      throw new StatusError(500, 'InternalError', `no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
    }
    const configuredPort = status?.daemonEndpoints?.kubeletEndpoint?.Port;
    const port = typeof configuredPort === 'number' && configuredPort > 0 ? configuredPort : defaultKubeletPort;
    const segment = encodeURIComponent;
    let path: string;
    switch (subresource) {
      case 'log':
        path = `/containerLogs/${segment(namespace)}/${segment(name)}/${segment(container!)}`;
        for (const key of ['follow', 'previous', 'timestamps']) if (truthy(query.get(key) ?? undefined)) params.set(key, 'true');
        for (const key of ['sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']) {
          const v = query.get(key);
          if (v !== null && v !== '') params.set(key, v);
        }
        break;
      case 'exec':
      case 'attach': {
        path = `/${subresource}/${segment(namespace)}/${segment(name)}/${segment(container!)}`;
        // The agent parameters of kube's streamParams: input/output/error/tty.
        const flags: [string, string][] = [['stdin', 'input'], ['stdout', 'output'], ['stderr', 'error'], ['tty', 'tty']];
        for (const [from, to] of flags) if (truthy(query.get(from) ?? undefined)) params.set(to, '1');
        if (subresource === 'exec') {
          const command = query.getAll('command');
          if (command.length === 0) throw newBadRequest('you must specify at least one command for the container');
          for (const c of command) params.append('command', c);
        }
        break;
      }
      case 'portforward':
        path = `/portForward/${segment(namespace)}/${segment(name)}`;
        for (const p of query.getAll('ports')) params.append('ports', p);
        break;
      default:
        throw notFound();
    }
    const search = params.toString();
    return { host: address, port, path: search ? `${path}?${search}` : path };
  }

  private requestOptions(location: Location, callerAuthorization: string | undefined): RequestOptions {
    const headers: Record<string, string> = {};
    const useCertificate = Boolean(this.client.certPem && this.client.keyPem);
    if (!useCertificate && callerAuthorization) headers.authorization = callerAuthorization;
    return {
      host: location.host,
      port: location.port,
      path: location.path,
      ...(useCertificate ? { cert: this.client.certPem, key: this.client.keyPem } : {}),
      ...(this.client.caPem ? { ca: this.client.caPem } : { rejectUnauthorized: false }),
      headers,
      agent: false,
    };
  }

  /** GET pods/{name}/log: streams the agent's text/plain answer (following it while the agent does). */
  async serveLog(namespace: string, name: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', `${request.method} is not supported on resources of kind "pods/log"`, { kind: 'pods/log' });
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const location = await this.locate(namespace, name, 'log', query);
    const upstream = httpsRequest({ ...this.requestOptions(location, request.headers.authorization), method: 'GET' });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', (err) => reject(new StatusError(500, 'InternalError', `Get "https://${location.host}:${location.port}${location.path}": ${err.message}`)));
      upstream.end();
    });
    if (response.statusCode !== 200) {
      const body = await readBody(response);
      throw agentError(response.statusCode ?? 500, body);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': response.headers['content-type'] ?? 'text/plain', 'cache-control': 'no-cache' });
    raw.flushHeaders();
    // A follow ends when the agent ends it (the container stopped) or kubectl goes away.
    raw.once('close', () => response.destroy());
    response.on('error', () => raw.destroy());
    response.pipe(raw);
  }

  /**
   * The server's 'upgrade' listener: exec, attach and portforward. Any other
   * upgrade is answered 404. Callers authenticate with a bearer token, as on
   * every other route.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    this.upgrade(req, socket, head).catch((err: unknown) => {
      const status = err instanceof StatusError ? err : new StatusError(500, 'InternalError', (err as Error)?.message ?? String(err));
      if (socket.writable) socket.end(statusResponse(status));
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token || !this.authenticator.authenticate(token)) throw newUnauthorized();
    const url = new URL(req.url ?? '/', 'https://apiserver.invalid');
    const parsed = parseRequestInfo(req.method ?? 'GET', url.pathname, false);
    if (parsed.kind !== 'resource') throw notFound();
    const info = parsed.info;
    if (info.group !== '' || info.version !== 'v1' || info.resource !== 'pods' || !info.namespace || !info.name) throw notFound();
    if (!info.subresource || !podProxySubresources.has(info.subresource) || info.subresource === 'log') throw notFound();
    const location = await this.locate(info.namespace, info.name, info.subresource, url.searchParams);

    const options = this.requestOptions(location, header);
    // Only what the upgrade handshake needs is passed on; the caller's other headers stay here.
    for (const name of ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version', 'user-agent']) {
      const value = req.headers[name];
      if (value !== undefined) (options.headers as Record<string, string>)[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const upstream = httpsRequest({ ...options, method: req.method ?? 'GET' });
    await new Promise<void>((resolve, reject) => {
      upstream.once('upgrade', (res: IncomingMessage, agentSocket: Duplex, agentHead: Buffer) => {
        const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (agentHead.length > 0) socket.write(agentHead);
        if (head.length > 0) agentSocket.write(head);
        this.splice(socket, agentSocket);
        resolve();
      });
      upstream.once('response', (res: IncomingMessage) => {
        readBody(res).then((body) => reject(agentError(res.statusCode ?? 500, body)), reject);
      });
      upstream.once('error', (err) => reject(new StatusError(500, 'InternalError', `error dialing backend: ${err.message}`)));
      upstream.end();
    });
  }

  private splice(client: Duplex, agent: Duplex): void {
    this.sockets.add(client);
    this.sockets.add(agent);
    agent.on('error', () => undefined);
    client.pipe(agent);
    agent.pipe(client);
    const teardown = () => {
      this.sockets.delete(client);
      this.sockets.delete(agent);
      client.destroy();
      agent.destroy();
    };
    client.once('close', teardown);
    agent.once('close', teardown);
  }
}

function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      // An error body is small; anything bigger is cut rather than buffered.
      if (size < 64 * 1024) chunks.push(c);
      size += c.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
  });
}

/** The agent's error as a StatusError: its own Status when it sent one, else its text wrapped. */
function agentError(code: number, body: Buffer): StatusError {
  try {
    const status = JSON.parse(body.toString('utf8')) as { kind?: string; message?: string; reason?: string; code?: number; details?: object };
    if (status.kind === 'Status' && typeof status.message === 'string') {
      return new StatusError(status.code ?? code, (status.reason ?? 'InternalError') as StatusError['reason'], status.message, status.details);
    }
  } catch {
    // not JSON
  }
  const text = body.toString('utf8').trim() || `the node agent answered ${code}`;
  return new StatusError(code >= 400 ? code : 500, code === 400 ? 'BadRequest' : code === 404 ? 'NotFound' : 'InternalError', text);
}
