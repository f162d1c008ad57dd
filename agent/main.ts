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
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../client/pki/pki-dir.ts';
import type { ClusterAccess } from '../client/kubeconfig.ts';
import { isNotFound } from '../client/rest/api-error.ts';
import { RestClient } from '../client/rest/rest-client.ts';
import { ImageStore } from './images/image-store.ts';
import { CriStreamingRuntime } from './kubelet/cri-streaming-runtime.ts';
import { Kubelet, type KubeletOptions } from './kubelet/kubelet.ts';
import { primaryIPv4, type Node } from './kubelet/node-status.ts';
import { nodesPath } from './kubelet/pod-types.ts';
import { CniPodNetwork, type CniPodNetworkOptions } from './network/cni-pod-network.ts';
import { RuncRuntimeService } from './runtime/runc-runtime-service.ts';
import { ApiServerAuthenticator } from './server/agent-authenticator.ts';
import { AgentServer, defaultAgentPort } from './server/agent-server.ts';

/** The pod CIDR when neither the flag nor the Node gives one (containerd's default bridge range). */
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
  onError?: (err: unknown) => void;
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
    const podCidr = flags.podCidr ?? (await registeredPodCidr(client, nodeName)) ?? defaultPodCidr;
    const images = new ImageStore({ rootDir, ...(flags.insecureRegistries ? { insecureRegistries: flags.insecureRegistries } : {}) });
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

    kubelet = new Kubelet({
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
    return { nodeName, podCidr, port, kubelet, runtime, images, network, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
