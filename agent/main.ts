/**
 * The node agent: the runtime (RuncRuntimeService with conmon), the image
 * store, CNI pod networking, the kubelet-style HTTPS server for logs, exec
 * and port-forward, and the kubelet that drives them from the API server.
 * Layout of the root directory:
 *
 *   <root>/runtime   sandboxes and containers (records, bundles, runc state)
 *   <root>/images    the image store
 *   <root>/network   host-local IPAM and cached CNI results
 *   <root>/pods      pods' volumes and container logs
 *   <root>/pki       the server's self-issued serving certificate (as kubelet's --cert-dir)
 *
 * Stopping the agent leaves the pods' containers running; a new agent over
 * the same root directory adopts them.
 *
 * With `clusterNetworking` (issue 6) the agent also makes this node part of a
 * multi-node cluster: host-gateway routes to the other nodes' pod CIDRs
 * (NodeRoutes), the service proxy, and cluster DNS on the pod bridge's
 * gateway address, which the kubelet writes into the pods' resolv.conf.
 */
import { mkdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../client/pki/pki-dir.ts';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { SharedInformerFactory } from '../client/cache/informer-factory.ts';
import { isAlreadyExists, isNotFound } from '../client/rest/api-error.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { ImageStore } from './images/image-store.ts';
import { CriStreamingRuntime } from './kubelet/cri-streaming-runtime.ts';
import { Kubelet, type KubeletOptions } from './kubelet/kubelet.ts';
import { primaryIPv4, type Node } from './kubelet/node-status.ts';
import { nodesPath } from './kubelet/pod-types.ts';
import { CniPodNetwork, type CniPodNetworkOptions } from './network/cni-pod-network.ts';
import { RuncRuntimeService } from './runtime/runc-runtime-service.ts';
import { ClusterDns } from './dns/cluster-dns.ts';
import { NodeRoutes } from './node-routes.ts';
import { ensurePodBridge } from './pod-bridge.ts';
import { preloadImages } from './preload-images.ts';
import { ServiceProxy } from './proxy/service-proxy.ts';
import { ApiServerAuthenticator } from './server/agent-authenticator.ts';
import { AgentServer, defaultAgentPort } from './server/agent-server.ts';

/** The pod CIDR when neither the flag nor the control plane gives one in time (containerd's default bridge range). */
export const defaultPodCidr = '10.88.0.0/24';
export const defaultAgentRootDir = '/var/lib/pier/agent';

export interface AgentFlags {
  nodeName?: string;
  rootDir?: string;
  podCidr?: string;
  runtime?: 'runc' | 'crun';
  allowPrivileged?: boolean;
  /** The server's port; 0 picks a free one. Default 10250. */
  port?: number;
  nodeIP?: string;
  /** cgroupfs parent of the pods' cgroups. Default /pier.slice. */
  cgroupParent?: string;
  /** CNI bridge, network name and plugin directories (tests give unique ones). */
  network?: Pick<CniPodNetworkOptions, 'bridgeName' | 'networkName' | 'pluginDirs' | 'netnsDir'>;
  /** Registries pulled from over plain HTTP besides loopback ones. */
  insecureRegistries?: string[];
  /** Anything else of the kubelet (intervals, back-offs, cluster DNS). */
  kubelet?: Partial<Omit<KubeletOptions, 'client' | 'nodeName' | 'runtime' | 'images' | 'network' | 'rootDir'>>;
  /**
   * Without `podCidr`, how long to wait for the control plane (node-ipam) to
   * give the Node a spec.podCIDR before falling back to defaultPodCidr.
   * Default 60 s.
   */
  podCidrWaitMs?: number;
  /** Image archives (OCI layout or docker save tarballs) imported at start, as k3s's agent/images. */
  imagesDir?: string;
  /** Multi-node networking: routes to other nodes' pods, the service proxy, cluster DNS. */
  clusterNetworking?: ClusterNetworkingFlags;
  onError?: (err: unknown) => void;
}

/** What a node of a multi-node cluster runs besides the kubelet (issue 6). */
export interface ClusterNetworkingFlags {
  /** kube-proxy's --cluster-cidr: ClusterIP traffic from outside it is masqueraded. Default: this node's pod CIDR. */
  clusterCidr?: string;
  proxyBackend?: 'nftables' | 'iptables';
  /** Cluster DNS port on the bridge gateway address; default 53 (pods' resolv.conf cannot name a port). */
  dnsPort?: number;
  clusterDomain?: string;
}

export interface RunningAgent {
  nodeName: string;
  podCidr: string;
  /** The server's bound port. */
  port: number;
  kubelet: Kubelet;
  runtime: RuncRuntimeService;
  images: ImageStore;
  network: CniPodNetwork;
  /** With clusterNetworking. */
  proxy?: ServiceProxy;
  dns?: ClusterDns;
  routes?: NodeRoutes;
  /** Stops the agent; the pods' containers keep running. */
  stop(): Promise<void>;
}

/** spec.podCIDR of an already registered Node. */
async function registeredPodCidr(client: RestClient, nodeName: string): Promise<string | undefined> {
  try {
    return (await client.get<Node>({ ...nodesPath, name: nodeName })).spec?.podCIDR || undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function runAgent(access: ClusterAccess, flags: AgentFlags = {}): Promise<RunningAgent> {
  const nodeName = flags.nodeName ?? hostname().toLowerCase();
  const rootDir = flags.rootDir ?? defaultAgentRootDir;
  await mkdir(rootDir, { recursive: true, mode: 0o700 });
  const client = new RestClient({ ...access, userAgent: `pier-agent/${nodeName}` });
  const cleanups: Array<() => Promise<void>> = [async () => client.close()];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const podCidr = flags.podCidr ?? (await registeredPodCidr(client, nodeName)) ?? (await assignedPodCidr(client, nodeName, flags));
    const images = new ImageStore({ rootDir, ...(flags.insecureRegistries ? { insecureRegistries: flags.insecureRegistries } : {}) });
    if (flags.imagesDir) await preloadImages(images, flags.imagesDir, (err) => reportError(flags, err));
    const network = new CniPodNetwork({ podCidr, dataDir: join(rootDir, 'network'), ...(flags.network ?? {}) });
    const runtimeBinary = flags.runtime === 'crun' ? '/usr/bin/crun' : '/usr/bin/runc';
    const runtime = new RuncRuntimeService({
      rootDir: join(rootDir, 'runtime'),
      runtimeBinary,
      images,
      network,
      allowPrivileged: flags.allowPrivileged ?? false,
      runtimeHandler: flags.runtime ?? 'runc',
      ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
    });
    await runtime.load();

    const nodeIP = flags.nodeIP ?? (await primaryIPv4());
    const pki = ensurePki(join(rootDir, 'pki'), [nodeName, hostname(), ...(nodeIP ? [nodeIP] : [])]);
    let kubelet: Kubelet | undefined;
    const server = new AgentServer({
      nodeName,
      runtime: new CriStreamingRuntime(runtime, (namespace, name) => {
        const pod = kubelet?.podInformer.indexer.getByKey(`${namespace}/${name}`);
        return pod?.spec.containers.map((c) => c.name);
      }),
      authenticator: new ApiServerAuthenticator({ server: access.server, caPem: access.caPem }),
      tls: { key: pki.serving.keyPem, cert: pki.serving.certPem, clientCaPem: access.caPem },
    });
    const port = await server.listen(flags.port ?? defaultAgentPort);
    cleanups.push(() => server.close());

    const cluster = flags.clusterNetworking ? await startClusterNetworking(client, nodeName, nodeIP, network, flags.clusterNetworking, flags) : undefined;
    if (cluster) cleanups.push(cluster.stop);

    kubelet = new Kubelet({
      ...(cluster ? { clusterDns: [network.gateway], ...(flags.clusterNetworking?.clusterDomain ? { clusterDomain: flags.clusterNetworking.clusterDomain } : {}) } : {}),
      ...(flags.kubelet ?? {}),
      client,
      nodeName,
      runtime,
      images,
      network,
      rootDir,
      podCidr,
      allowPrivileged: flags.allowPrivileged ?? false,
      kubeletPort: port,
      runtimeBinary: runtime.runc.binary,
      runtimeName: flags.runtime ?? 'runc',
      ...(nodeIP ? { nodeIP } : {}),
      ...(flags.onError ? { onError: flags.onError } : {}),
    });
    const k = kubelet;
    cleanups.push(() => k.stop());
    await kubelet.start();
    return { nodeName, podCidr, port, kubelet, runtime, images, network, ...(cluster?.parts ?? {}), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function reportError(flags: AgentFlags, err: unknown): void {
  if (flags.onError) flags.onError(err);
  else process.stderr.write(`pier agent: ${err instanceof Error ? err.message : String(err)}\n`);
}

/**
 * spec.podCIDR as the control plane's node-ipam controller assigns it: the
 * Node is created bare first (the kubelet adopts it when it registers), as
 * the allocator only serves Nodes that exist. Falls back to defaultPodCidr
 * when nothing arrives in time (a control plane without node-ipam).
 */
async function assignedPodCidr(client: RestClient, nodeName: string, flags: AgentFlags): Promise<string> {
  try {
    await client.create<Node>(nodesPath, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const deadline = Date.now() + (flags.podCidrWaitMs ?? 60_000);
  while (Date.now() < deadline) {
    const cidr = await registeredPodCidr(client, nodeName);
    if (cidr) return cidr;
    await delay(250);
  }
  reportError(flags, new Error(`node ${nodeName}: no spec.podCIDR assigned by the control plane (is the node-ipam controller running?); using ${defaultPodCidr}`));
  return defaultPodCidr;
}

interface ClusterNetworking {
  parts: { proxy: ServiceProxy; dns: ClusterDns; routes: NodeRoutes };
  stop(): Promise<void>;
}

/**
 * Routes, service proxy and cluster DNS over one informer factory. DNS binds
 * the pod bridge's gateway, so the bridge is brought up first; the call
 * returns once DNS answers, before the kubelet starts any pod.
 */
async function startClusterNetworking(
  client: RestClient,
  nodeName: string,
  nodeIP: string | undefined,
  network: CniPodNetwork,
  options: ClusterNetworkingFlags,
  flags: AgentFlags,
): Promise<ClusterNetworking> {
  const onError = (err: unknown) => reportError(flags, err);
  const factory = new SharedInformerFactory(client, { onError });
  const abort = new AbortController();
  const nodes = factory.informerFor<Node>(nodesPath);
  const routes = new NodeRoutes({ nodeName, nodes, network, onError });
  const proxy = new ServiceProxy({
    client,
    informerFactory: factory,
    nodeName,
    nodeIps: nodeIP ? [nodeIP] : [],
    podCidr: network.podCidr,
    ...(options.clusterCidr ? { clusterCidr: options.clusterCidr } : {}),
    ...(options.proxyBackend ? { backend: options.proxyBackend } : {}),
    onError,
  });
  await ensurePodBridge(network.bridgeName, network.gateway, network.podCidr);
  const dns = new ClusterDns({
    client,
    listen: { address: network.gateway, port: options.dnsPort ?? 53 },
    informerFactory: factory,
    ...(options.clusterDomain ? { clusterDomain: options.clusterDomain } : {}),
    onError,
  });
  const dnsRun = dns.run(abort.signal);
  const loops = [routes.run(abort.signal), proxy.run(abort.signal), dnsRun].map((p) => p.catch(onError));
  factory.start(abort.signal);
  const stop = async () => {
    abort.abort();
    await Promise.all(loops);
    await factory.shutdown();
  };
  try {
    await Promise.race([
      dns.whenListening(),
      dnsRun.then(() => {
        throw new Error('cluster DNS stopped before it listened');
      }),
      delay(60_000, undefined, { ref: false }).then(() => {
        throw new Error('cluster DNS did not start within 60 s (API server unreachable?)');
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { parts: { proxy, dns, routes }, stop };
}
