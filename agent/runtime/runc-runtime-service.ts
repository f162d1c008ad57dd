/**
 * pier's CRI RuntimeService over an OCI runtime (runc or crun), with conmon
 * as the per-container shim.
 *
 * Sandboxes hold no pause process: the pod's network namespace is the
 * bind-mounted netns from PodNetwork.createNetns, and the pod's other shared
 * state (hostname, /etc/hosts, resolv.conf) lives in files every container
 * bind-mounts. Each container gets its own pid, ipc, uts and mount namespaces
 * and joins the sandbox's netns by path.
 *
 * Everything is recorded under rootDir (one JSON per sandbox and per
 * container), and the live state comes from `runc state` and conmon's exit
 * files, so a new service over the same rootDir picks up where an old one
 * left off while the containers keep running under their conmons.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname as nodeHostname } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type {
  AttachRequest,
  Container,
  ContainerConfig,
  ContainerExitReason,
  ContainerFilter,
  ContainerState,
  ContainerStatus,
  ContainerStatusResponse,
  ExecRequest,
  ExecStreams,
  ExecSyncResponse,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxState,
  PodSandboxStatusResponse,
  RuntimeService,
} from '../cri/api.ts';
import { CleanupStack } from '../cri/cleanup-stack.ts';
import { CriError } from '../cri/errors.ts';
import { matchesContainerFilter, matchesPodSandboxFilter } from '../cri/filter.ts';
import type { ContainerImageProvider } from '../cri/image-provider.ts';
import type { PodNetwork, PodNetworkSandbox } from '../cri/pod-network.ts';
import { runCommand } from '../host/run-command.ts';
import { cgroupVersion, oomKilled, removeCgroup, type CgroupVersion } from './cgroups.ts';
import { startAttachSession } from './container-attach.ts';
import { conmonAttachSocketName, conmonSocketLink, createWithConmon, resizeConmonTerminal } from './conmon.ts';
import { resolveContainerUser } from './container-user.ts';
import { startExecSession } from './exec-session.ts';
import { mountsUnder } from './mountinfo.ts';
import { allCapabilities, buildContainerSpec } from './oci-spec.ts';
import { openPortForward } from './port-forward.ts';
import { Runc, execArgs } from './runc.ts';
import { sandboxFileMounts, writeSandboxFiles } from './sandbox-files.ts';
import { RecordStore } from './state-store.ts';

export interface RuncRuntimeServiceOptions {
  /** Where records, bundles and sandbox files live; must persist across agent restarts. */
  rootDir: string;
  /** '/usr/bin/runc' by default ('/usr/sbin/runc' on Debian is tried too); '/usr/bin/crun' works as well. */
  runtimeBinary?: string;
  /** runc's `--root` (its state directory); default `<rootDir>/runc`. */
  runtimeRoot?: string;
  conmonBinary?: string;
  /** Connects attach sessions' stdin to conmon's SOCK_SEQPACKET attach socket; default `/usr/bin/socat`. */
  socatBinary?: string;
  images: ContainerImageProvider;
  network: PodNetwork;
  /** cgroupfs parent of every pod cgroup (`<cgroupParent>/pod<uid>`); default `/pier.slice`. */
  cgroupParent?: string;
  /** Whether privileged containers may be created. */
  allowPrivileged?: boolean;
  /** conmon's --log-size-max; 0 or unset: unlimited. */
  logSizeMax?: number;
  runtimeHandler?: string;
}

/** What the runtime keeps about a sandbox (bigints as decimal strings). */
export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: string;
  state: PodSandboxState;
  /** undefined for host-network sandboxes, or once removed at stop. */
  netnsPath?: string;
  hostNetwork: boolean;
  ips: string[];
  hostname: string;
  cgroupParent: string;
  runtimeHandler: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageRef: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  pid: number;
  logPath: string;
  cgroupsPath: string;
  stopSignal: string;
  tty: boolean;
}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Serializes operations per object ID, so stop/remove/status of one container don't interleave. */
class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => next);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class RuncRuntimeService implements RuntimeService {
  private readonly rootDir: string;
  private runtimeBinary: string;
  private readonly conmonBinary: string;
  private readonly socatBinary: string;
  private readonly images: ContainerImageProvider;
  private readonly network: PodNetwork;
  private readonly cgroupParent: string;
  private readonly allowPrivileged: boolean;
  private readonly logSizeMax: number;
  private readonly runtimeHandler: string;
  readonly runc: Runc;
  private readonly sandboxStore: RecordStore<SandboxRecord>;
  private readonly containerStore: RecordStore<ContainerRecord>;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly lock = new KeyedMutex();
  private loaded: Promise<void> | undefined;
  private hostCaps: string[] | undefined;
  private cgroups: CgroupVersion | undefined;

  constructor(options: RuncRuntimeServiceOptions) {
    this.rootDir = options.rootDir;
    this.runtimeBinary = options.runtimeBinary ?? '/usr/bin/runc';
    this.conmonBinary = options.conmonBinary ?? '/usr/bin/conmon';
    this.socatBinary = options.socatBinary ?? '/usr/bin/socat';
    this.images = options.images;
    this.network = options.network;
    this.cgroupParent = options.cgroupParent ?? '/pier.slice';
    this.allowPrivileged = options.allowPrivileged ?? false;
    this.logSizeMax = options.logSizeMax ?? 0;
    this.runtimeHandler = options.runtimeHandler ?? 'runc';
    this.runc = new Runc(this.runtimeBinary, options.runtimeRoot ?? join(this.rootDir, 'runc'));
    this.sandboxStore = new RecordStore(join(this.rootDir, 'sandboxes'), 'sandbox.json');
    this.containerStore = new RecordStore(join(this.rootDir, 'containers'), 'container.json');
  }

  /** Reads the records of a previous agent. Every RPC calls it first; calling it early surfaces errors early. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      if (!(await exists(this.runtimeBinary)) && this.runtimeBinary === '/usr/bin/runc' && (await exists('/usr/sbin/runc'))) {
        // Debian installs runc in /usr/sbin.
        this.runtimeBinary = '/usr/sbin/runc';
        this.runc.binary = '/usr/sbin/runc';
      }
      for (const bin of [this.runtimeBinary, this.conmonBinary, this.socatBinary]) {
        const pkg = bin.endsWith('conmon') ? 'conmon' : bin.endsWith('socat') ? 'socat' : bin.endsWith('crun') ? 'crun' : 'runc';
        if (!(await exists(bin))) throw new Error(`${bin} is missing: apt-get install ${pkg}`);
      }
      await mkdir(this.rootDir, { recursive: true, mode: 0o700 });
      for (const s of await this.sandboxStore.loadAll()) this.sandboxes.set(s.id, s);
      for (const c of await this.containerStore.loadAll()) this.containers.set(c.id, c);
      const last = Number((await readFile('/proc/sys/kernel/cap_last_cap', 'utf8').catch(() => '40')).trim());
      this.hostCaps = allCapabilities.slice(0, last + 1);
      this.cgroups = await cgroupVersion();
    })();
    return this.loaded;
  }

  /** Which cgroup version the runtime drives (v1 on hybrid hosts, as runc decides). */
  async cgroupVersion(): Promise<CgroupVersion> {
    await this.load();
    return this.cgroups!;
  }

  // ---- sandboxes ------------------------------------------------------------

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string> {
    await this.load();
    if (!config.metadata?.name || !config.metadata.uid || !config.metadata.namespace) {
      throw new CriError('InvalidArgument', 'sandbox metadata needs name, uid and namespace');
    }
    const id = newId();
    const dir = this.sandboxStore.pathOf(id);
    const cleanup = new CleanupStack();
    try {
      await mkdir(dir, { recursive: true });
      cleanup.defer('remove sandbox dir', () => rm(dir, { recursive: true, force: true }));
      const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
      let netnsPath: string | undefined;
      let ips: string[] = [];
      if (!hostNetwork) {
        const path = await this.network.createNetns(id);
        netnsPath = path;
        cleanup.defer('remove netns', () => this.network.removeNetns(path));
        const netSandbox = this.networkSandbox(id, config, path);
        // Registered before setUp, as containerd: a half-done setUp still needs its teardown.
        cleanup.defer('tear down network', () => this.network.tearDown(netSandbox));
        const status = await this.network.setUp(netSandbox);
        ips = status.ips.length > 0 ? status.ips : status.ip ? [status.ip] : [];
      }
      const hostname = hostNetwork ? nodeHostname() : config.hostname || config.metadata.name;
      await writeSandboxFiles(dir, hostname, ips, config.dnsConfig);
      const record: SandboxRecord = {
        id,
        config,
        createdAt: String(nowNs()),
        state: 'SANDBOX_READY',
        hostNetwork,
        ips,
        hostname,
        cgroupParent: config.linux?.cgroupParent || `${this.cgroupParent}/pod${config.metadata.uid}`,
        runtimeHandler: runtimeHandler || this.runtimeHandler,
        ...(netnsPath !== undefined ? { netnsPath } : {}),
      };
      await this.sandboxStore.save(id, record);
      this.sandboxes.set(id, record);
      cleanup.move();
      return id;
    } catch (err) {
      await cleanup.run();
      throw err;
    }
  }

  private networkSandbox(id: string, config: PodSandboxConfig, netnsPath: string): PodNetworkSandbox {
    return {
      id,
      podName: config.metadata.name,
      podNamespace: config.metadata.namespace,
      podUid: config.metadata.uid,
      netnsPath,
      portMappings: (config.portMappings ?? [])
        .filter((p) => p.hostPort)
        .map((p) => ({
          protocol: p.protocol ?? 'TCP',
          containerPort: p.containerPort,
          hostPort: p.hostPort!,
          ...(p.hostIp ? { hostIp: p.hostIp } : {}),
        })),
    };
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.load();
    const sandbox = this.sandboxes.get(podSandboxId);
    if (!sandbox) return;
    for (const c of this.containersOf(podSandboxId)) await this.stopContainer(c.id, 0);
    await this.lock.run(podSandboxId, async () => {
      if (sandbox.netnsPath) {
        await this.network.tearDown(this.networkSandbox(sandbox.id, sandbox.config, sandbox.netnsPath));
        await this.network.removeNetns(sandbox.netnsPath);
        delete sandbox.netnsPath;
      }
      sandbox.state = 'SANDBOX_NOTREADY';
      await this.sandboxStore.save(sandbox.id, sandbox);
    });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.load();
    const sandbox = this.sandboxes.get(podSandboxId);
    if (!sandbox) return;
    await this.stopPodSandbox(podSandboxId);
    for (const c of this.containersOf(podSandboxId)) await this.removeContainer(c.id);
    await this.lock.run(podSandboxId, async () => {
      await removeCgroup(sandbox.cgroupParent);
      await this.sandboxStore.remove(podSandboxId);
      this.sandboxes.delete(podSandboxId);
    });
  }

  async podSandboxStatus(podSandboxId: string, verbose = false): Promise<PodSandboxStatusResponse> {
    await this.load();
    const s = this.getSandbox(podSandboxId);
    const ip = s.state === 'SANDBOX_READY' ? s.ips : [];
    const info: Record<string, string> = {};
    if (verbose) {
      info.info = JSON.stringify({ netnsPath: s.netnsPath ?? null, cgroupParent: s.cgroupParent, hostname: s.hostname, config: s.config });
    }
    return {
      status: {
        id: s.id,
        metadata: s.config.metadata,
        state: s.state,
        createdAt: BigInt(s.createdAt),
        network: { ip: ip[0] ?? '', additionalIps: ip.slice(1).map((x) => ({ ip: x })) },
        linux: { namespaces: { options: { network: s.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'CONTAINER' } } },
        labels: s.config.labels ?? {},
        annotations: s.config.annotations ?? {},
        runtimeHandler: s.runtimeHandler,
      },
      info,
    };
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    await this.load();
    return [...this.sandboxes.values()]
      .map(
        (s): PodSandbox => ({
          id: s.id,
          metadata: s.config.metadata,
          state: s.state,
          createdAt: BigInt(s.createdAt),
          labels: s.config.labels ?? {},
          annotations: s.config.annotations ?? {},
          runtimeHandler: s.runtimeHandler,
        }),
      )
      .filter((s) => matchesPodSandboxFilter(s, filter));
  }

  private getSandbox(id: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (!s) throw new CriError('NotFound', `pod sandbox ${id} not found`);
    return s;
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  // ---- containers -----------------------------------------------------------

  private containerDir(id: string): string {
    return this.containerStore.pathOf(id);
  }

  /** conmon's `--socket-dir-path`: it links `<id>` there to the bundle, where the attach socket is. */
  private socketDir(): string {
    return join(this.rootDir, 'sockets');
  }

  private bundleDir(id: string): string {
    return join(this.containerDir(id), 'bundle');
  }

  private exitFile(id: string): string {
    return join(this.containerDir(id), 'exits', id);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    await this.load();
    const sandbox = this.getSandbox(podSandboxId);
    if (sandbox.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${podSandboxId} is not ready`);
    if (!config.metadata?.name) throw new CriError('InvalidArgument', 'container metadata needs a name');
    const attempt = config.metadata.attempt ?? 0;
    const clash = this.containersOf(podSandboxId).find(
      (c) => c.config.metadata.name === config.metadata.name && (c.config.metadata.attempt ?? 0) === attempt,
    );
    if (clash) {
      throw new CriError('AlreadyExists', `container name ${config.metadata.name} (attempt ${attempt}) is reserved for ${clash.id}`);
    }
    const security = config.linux?.securityContext;
    const privileged = security?.privileged ?? false;
    if (privileged && !this.allowPrivileged) {
      throw new CriError('PermissionDenied', 'privileged containers are not allowed on this node');
    }
    const image = await this.images.resolve(config.image.image);
    if (!image) throw new CriError('NotFound', `image ${config.image.image} not found`);

    const id = newId();
    const dir = this.containerDir(id);
    const bundle = this.bundleDir(id);
    const rootfs = join(bundle, 'rootfs');
    const cleanup = new CleanupStack();
    try {
      await mkdir(rootfs, { recursive: true });
      await mkdir(join(dir, 'exits'), { recursive: true });
      await mkdir(join(dir, 'persist'), { recursive: true });
      cleanup.defer('remove container dir', () => rm(dir, { recursive: true, force: true }));

      const mount = await this.images.prepareRootfs(id, image.id);
      cleanup.defer('remove rootfs layer', () => this.images.removeRootfs(id));
      await runCommand('mount', ['-t', mount.type, '-o', mount.options.join(','), mount.source, rootfs]);
      cleanup.defer('unmount rootfs', () => this.unmountAll(rootfs));

      const imageConfig = image.config;
      const entrypoint = config.command?.length ? config.command : (imageConfig.Entrypoint ?? []);
      const cmd = config.args?.length ? config.args : config.command?.length ? [] : (imageConfig.Cmd ?? []);
      const args = [...entrypoint, ...cmd];
      if (args.length === 0) throw new CriError('InvalidArgument', 'no command specified: neither the container nor its image has one');

      const env = new Map<string, string>();
      for (const e of imageConfig.Env ?? []) {
        const eq = e.indexOf('=');
        env.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
      }
      if (!env.has('PATH')) env.set('PATH', defaultPath);
      env.set('HOSTNAME', sandbox.hostname);
      for (const kv of config.envs ?? []) env.set(kv.key, kv.value);

      const user = await resolveContainerUser(
        rootfs,
        imageConfig.User,
        security?.runAsUser?.value,
        security?.runAsGroup?.value,
        security?.runAsUsername,
      );
      const readonlyRootfs = security?.readonlyRootfs ?? false;
      const criMounts = config.mounts ?? [];
      for (const m of criMounts) {
        if (!isAbsolute(m.containerPath)) throw new CriError('InvalidArgument', `mount containerPath ${m.containerPath} must be absolute`);
        if (!(await exists(m.hostPath))) throw new CriError('InvalidArgument', `mount hostPath ${m.hostPath} does not exist`);
      }
      const logPath =
        sandboxConfig.logDirectory && config.logPath
          ? join(sandboxConfig.logDirectory, config.logPath)
          : join(dir, 'container.log');
      await mkdir(dirname(logPath), { recursive: true });

      const cgroupsPath = `${sandbox.cgroupParent}/${id}`;
      const tty = config.tty ?? false;
      const spec = buildContainerSpec({
        args,
        env: [...env].map(([k, v]) => `${k}=${v}`),
        cwd: config.workingDir || imageConfig.WorkingDir || '/',
        uid: user.uid,
        gid: user.gid,
        ...(security?.supplementalGroups ? { additionalGids: security.supplementalGroups } : {}),
        terminal: tty,
        hostname: sandbox.hostname,
        rootfsPath: 'rootfs',
        readonlyRootfs,
        netnsPath: sandbox.hostNetwork ? undefined : sandbox.netnsPath,
        cgroupsPath,
        privileged,
        hostCapabilities: this.hostCaps!,
        ...(security?.capabilities?.addCapabilities ? { capAdd: security.capabilities.addCapabilities } : {}),
        ...(security?.capabilities?.dropCapabilities ? { capDrop: security.capabilities.dropCapabilities } : {}),
        ...(security?.noNewPrivs !== undefined ? { noNewPrivileges: security.noNewPrivs } : {}),
        ...(config.linux?.resources ? { resources: config.linux.resources } : {}),
        ...(security?.maskedPaths ? { maskedPaths: security.maskedPaths } : {}),
        ...(security?.readonlyPaths ? { readonlyPaths: security.readonlyPaths } : {}),
        mounts: [...sandboxFileMounts(this.sandboxStore.pathOf(sandbox.id), criMounts, readonlyRootfs), ...criMounts],
        annotations: {
          'io.kubernetes.cri.container-type': 'container',
          'io.kubernetes.cri.sandbox-id': sandbox.id,
          'io.kubernetes.cri.container-name': config.metadata.name,
        },
      });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));

      cleanup.defer('delete runtime container', () => this.runc.delete(id, true));
      const pid = await createWithConmon({
        conmonBinary: this.conmonBinary,
        containerId: id,
        containerName: config.metadata.name,
        runtimeBinary: this.runtimeBinary,
        runtimeRoot: this.runc.root,
        bundle,
        containerPidFile: join(dir, 'container.pid'),
        conmonPidFile: join(dir, 'conmon.pid'),
        logPath,
        logSizeMax: this.logSizeMax,
        exitDir: join(dir, 'exits'),
        socketDir: this.socketDir(),
        persistDir: join(dir, 'persist'),
        conmonLogFile: join(dir, 'conmon.log'),
        stdin: config.stdin ?? false,
        leaveStdinOpen: !(config.stdinOnce ?? false),
        tty,
      });

      const record: ContainerRecord = {
        id,
        sandboxId: sandbox.id,
        config,
        imageRef: image.id,
        createdAt: String(nowNs()),
        pid,
        logPath,
        cgroupsPath,
        stopSignal: imageConfig.StopSignal || 'SIGTERM',
        tty,
      };
      await this.containerStore.save(id, record);
      this.containers.set(id, record);
      cleanup.move();
      return id;
    } catch (err) {
      await cleanup.run();
      if (err instanceof CriError) throw err;
      throw new CriError('Unknown', `create container ${config.metadata.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  private getContainer(id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw new CriError('NotFound', `container ${id} not found`);
    return c;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.load();
    const c = this.getContainer(containerId);
    await this.lock.run(containerId, async () => {
      const state = await this.runc.state(containerId);
      if (state?.status !== 'created') {
        throw new CriError('FailedPrecondition', `container ${containerId} is ${state?.status ?? 'gone'}, not created`);
      }
      // Taken before the start: a short-lived container may exit before `runc start` returns.
      const startedAt = nowNs();
      await this.runc.start(containerId);
      c.startedAt = String(startedAt);
      await this.containerStore.save(containerId, c);
    });
  }

  /**
   * Folds what the OCI runtime and conmon know into the record: a container
   * is RUNNING while runc says so, and EXITED once conmon wrote its exit file
   * (whose mtime is the finish time, as CRI-O).
   */
  private async observe(c: ContainerRecord): Promise<{ state: ContainerState; pid: number }> {
    if (c.exitCode !== undefined) return { state: 'CONTAINER_EXITED', pid: 0 };
    const rs = await this.runc.state(c.id);
    if (rs?.status === 'created') return { state: 'CONTAINER_CREATED', pid: rs.pid };
    if (rs?.status === 'running' || rs?.status === 'paused' || rs?.status === 'creating') return { state: 'CONTAINER_RUNNING', pid: rs.pid };
    // Stopped (or gone): conmon writes the exit file right after reaping, so give it a moment.
    const exitFile = this.exitFile(c.id);
    for (let i = 0; i < 100 && !(await exists(exitFile)); i++) await sleep(50);
    const st = await stat(exitFile, { bigint: true }).catch(() => undefined);
    if (!st) {
      if (!c.startedAt) return { state: rs ? 'CONTAINER_CREATED' : 'CONTAINER_UNKNOWN', pid: 0 };
      return { state: 'CONTAINER_UNKNOWN', pid: 0 };
    }
    const code = Number((await readFile(exitFile, 'utf8')).trim());
    const oom = (await exists(join(this.containerDir(c.id), 'persist', 'oom'))) || (await oomKilled(c.cgroupsPath));
    const reason: ContainerExitReason = oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    c.exitCode = Number.isFinite(code) ? code : 255;
    // The kernel stamps files from a coarse clock, which can run a tick behind startedAt.
    const startedAt = BigInt(c.startedAt ?? '0');
    c.finishedAt = String(st.mtimeNs > startedAt ? st.mtimeNs : startedAt);
    c.reason = reason;
    c.message = '';
    c.startedAt ??= c.finishedAt;
    await this.containerStore.save(c.id, c);
    return { state: 'CONTAINER_EXITED', pid: 0 };
  }

  private async waitExited(c: ContainerRecord, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await exists(this.exitFile(c.id))) return true;
      if (c.pid > 0 && !processAlive(c.pid) && !(await this.runc.state(c.id).then((s) => s?.status === 'running' || s?.status === 'created', () => false))) {
        return true;
      }
      if (Date.now() >= end) return false;
      await sleep(50);
    }
  }

  async stopContainer(containerId: string, timeout: number): Promise<void> {
    await this.load();
    const c = this.containers.get(containerId);
    if (!c) return;
    await this.lock.run(containerId, async () => {
      if (c.exitCode !== undefined) return;
      const rs = await this.runc.state(containerId);
      if (!rs || rs.status === 'stopped') return;
      if (timeout > 0) {
        await this.runc.kill(containerId, c.stopSignal);
        if (await this.waitExited(c, timeout * 1000)) return;
      }
      // The init of a pid namespace takes its whole namespace down with it.
      await this.runc.kill(containerId, 'SIGKILL');
      if (!(await this.waitExited(c, 30000))) throw new CriError('Unknown', `container ${containerId} did not exit after SIGKILL`);
    });
    await this.lock.run(containerId, async () => {
      await this.observe(c);
    });
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.load();
    const c = this.containers.get(containerId);
    if (!c) return;
    await this.stopContainer(containerId, 0);
    await this.lock.run(containerId, async () => {
      const dir = this.containerDir(containerId);
      await this.runc.delete(containerId, true);
      // conmon exits once the container has, and its logs are flushed.
      const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
      for (let i = 0; conmonPid > 0 && processAlive(conmonPid) && !(await this.isZombie(conmonPid)) && i < 200; i++) await sleep(50);
      await removeCgroup(c.cgroupsPath);
      await this.unmountAll(join(this.bundleDir(containerId), 'rootfs'));
      await this.images.removeRootfs(containerId);
      await rm(conmonSocketLink(this.socketDir(), containerId), { force: true });
      await this.containerStore.remove(containerId);
      this.containers.delete(containerId);
    });
  }

  private async isZombie(pid: number): Promise<boolean> {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return / Z /.test(stat.slice(stat.lastIndexOf(')')));
  }

  private async unmountAll(dir: string): Promise<void> {
    // Deepest first; lazily, so a relay still holding a file doesn't keep the rootfs busy.
    const mounts = (await mountsUnder(dir)).sort((a, b) => b.length - a.length);
    for (const m of mounts) await runCommand('umount', [m]).catch(() => runCommand('umount', ['-l', m]));
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    await this.load();
    const out: Container[] = [];
    for (const c of this.containers.values()) {
      if (filter?.id && !c.id.startsWith(filter.id)) continue;
      if (filter?.podSandboxId && c.sandboxId !== filter.podSandboxId) continue;
      const { state } = await this.lock.run(c.id, () => this.observe(c));
      const container: Container = {
        id: c.id,
        podSandboxId: c.sandboxId,
        metadata: c.config.metadata,
        image: c.config.image,
        imageRef: c.imageRef,
        state,
        createdAt: BigInt(c.createdAt),
        labels: c.config.labels ?? {},
        annotations: c.config.annotations ?? {},
      };
      if (matchesContainerFilter(container, filter)) out.push(container);
    }
    return out;
  }

  async containerStatus(containerId: string, verbose = false): Promise<ContainerStatusResponse> {
    await this.load();
    const c = this.getContainer(containerId);
    const { state, pid } = await this.lock.run(containerId, () => this.observe(c));
    const status: ContainerStatus = {
      id: c.id,
      metadata: c.config.metadata,
      state,
      createdAt: BigInt(c.createdAt),
      startedAt: BigInt(c.startedAt ?? '0'),
      finishedAt: BigInt(c.finishedAt ?? '0'),
      exitCode: c.exitCode ?? 0,
      image: c.config.image,
      imageRef: c.imageRef,
      reason: c.reason ?? '',
      message: c.message ?? '',
      labels: c.config.labels ?? {},
      annotations: c.config.annotations ?? {},
      mounts: c.config.mounts ?? [],
      logPath: c.logPath,
      ...(c.config.linux?.resources ? { resources: { linux: c.config.linux.resources } } : {}),
    };
    const info: Record<string, string> = {};
    if (verbose) {
      info.info = JSON.stringify({
        sandboxID: c.sandboxId,
        pid,
        cgroupsPath: c.cgroupsPath,
        bundle: this.bundleDir(c.id),
        runtimeSpec: JSON.parse(await readFile(join(this.bundleDir(c.id), 'config.json'), 'utf8').catch(() => 'null')) as unknown,
      });
    }
    return { status, info };
  }

  private async requireRunning(containerId: string): Promise<ContainerRecord> {
    const c = this.getContainer(containerId);
    const { state } = await this.lock.run(containerId, () => this.observe(c));
    if (state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${containerId} is not running (${state})`);
    return c;
  }

  private execPidFile(c: ContainerRecord): string {
    return join(this.containerDir(c.id), `exec-${randomBytes(8).toString('hex')}.pid`);
  }

  async execSync(containerId: string, cmd: string[], timeout = 0): Promise<ExecSyncResponse> {
    await this.load();
    const c = await this.requireRunning(containerId);
    if (cmd.length === 0) throw new CriError('InvalidArgument', 'exec needs a command');
    const pidFile = this.execPidFile(c);
    try {
      return await new Promise<ExecSyncResponse>((resolve, reject) => {
        const child = spawn(this.runtimeBinary, this.runc.argv(execArgs(containerId, cmd, { pidFile })), {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => errOut.push(d));
        let timedOut = false;
        const timer =
          timeout > 0
            ? setTimeout(() => {
                timedOut = true;
                // runc forwards signals, but not SIGKILL; kill the exec'd process itself.
                void readFile(pidFile, 'utf8').then(
                  (p) => {
                    try {
                      process.kill(Number(p.trim()), 'SIGKILL');
                    } catch {
                      // gone
                    }
                  },
                  () => child.kill('SIGKILL'),
                );
              }, timeout * 1000)
            : undefined;
        child.once('error', reject);
        child.once('close', (code) => {
          if (timer) clearTimeout(timer);
          if (timedOut) reject(new CriError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeout}s`));
          else resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), exitCode: code ?? 255 });
        });
      });
    } finally {
      await rm(pidFile, { force: true });
    }
  }

  async exec(request: ExecRequest): Promise<ExecStreams> {
    await this.load();
    const c = await this.requireRunning(request.containerId);
    if (request.cmd.length === 0) throw new CriError('InvalidArgument', 'exec needs a command');
    const pidFile = this.execPidFile(c);
    const tty = request.tty ?? false;
    const session = startExecSession({
      runtimeBinary: this.runtimeBinary,
      runcArgv: this.runc.argv(execArgs(c.id, request.cmd, { pidFile, tty })),
      pidFile,
      tty,
      stdin: request.stdin ?? false,
    });
    void session.exitCode.finally(() => rm(pidFile, { force: true })).catch(() => {});
    return session;
  }

  async attach(request: AttachRequest): Promise<ExecStreams> {
    await this.load();
    const c = await this.requireRunning(request.containerId);
    if (request.stdin && !c.config.stdin) {
      throw new CriError('FailedPrecondition', `cannot attach stdin to container ${c.id}: it was not created with stdin (set stdin: true on the container)`);
    }
    const link = conmonSocketLink(this.socketDir(), c.id);
    return startAttachSession({
      containerId: c.id,
      logPath: c.logPath,
      tty: c.tty,
      stdout: request.stdout ?? true,
      stderr: request.stderr ?? true,
      ...(request.stdin
        ? { stdin: { socatBinary: this.socatBinary, socketDir: dirname(link), socketPath: join(basename(link), conmonAttachSocketName) } }
        : {}),
      ...(c.tty ? { resize: (width: number, height: number) => resizeConmonTerminal(this.bundleDir(c.id), width, height) } : {}),
      running: async () => {
        // conmon writes the exit file after draining the container's output into the log.
        if (await exists(this.exitFile(c.id))) return false;
        const conmonPid = Number((await readFile(join(this.containerDir(c.id), 'conmon.pid'), 'utf8').catch(() => '')).trim());
        return conmonPid > 0 && processAlive(conmonPid) && !(await this.isZombie(conmonPid));
      },
    });
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    await this.load();
    const s = this.getSandbox(podSandboxId);
    if (s.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${podSandboxId} is not ready`);
    try {
      return await openPortForward(s.hostNetwork ? undefined : s.netnsPath, port);
    } catch (err) {
      throw new CriError('FailedPrecondition', (err as Error).message, { cause: err });
    }
  }
}
