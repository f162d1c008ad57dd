/**
 * `pier apiserver`: the API server alone, against an etcd that is already
 * running (flags named as kube-apiserver's).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureAdminTokenFile } from '../apiserver/authn/token-file.ts';
import type { RunningApiServer } from '../apiserver/main.ts';
import { writeKubeconfig } from '../client/kubeconfig.ts';
import { CliError, usageError } from './cli-error.ts';
import { dataDirLayout, defaultDataDir } from './data-dir.ts';
import { localServingNames } from './local-addresses.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { onShutdownSignal } from './signals.ts';

export const apiserverCommand: CommandSpec = {
  command: 'pier apiserver',
  summary: 'run the API server against an existing etcd',
  description:
    'Serves the Kubernetes API over HTTPS with bearer-token authentication, storing objects in etcd.\n' +
    'Without --tls-cert-file/--tls-private-key-file it uses (and creates if absent) the CA and serving\n' +
    'certificate in DIR/pki; without --token-auth-file it uses DIR/tokens.csv (created with an admin\n' +
    'token if absent) and then also writes DIR/kubeconfig.',
  flags: [
    { name: 'etcd-servers', value: 'URL[,URL]', help: 'etcd client URLs (required)' },
    { name: 'port', value: 'PORT', help: 'HTTPS port', defaultText: '6443' },
    { name: 'bind-address', value: 'ADDR', help: 'address to listen on', defaultText: '0.0.0.0' },
    { name: 'data-dir', value: 'DIR', help: 'where PKI, tokens and the kubeconfig live', defaultText: '$XDG_DATA_HOME/pier or ~/.local/share/pier' },
    { name: 'tls-cert-file', value: 'FILE', help: 'serving certificate (PEM), instead of DIR/pki' },
    { name: 'tls-private-key-file', value: 'FILE', help: 'serving private key (PEM)' },
    { name: 'token-auth-file', value: 'FILE', help: 'static token file: token,user,uid,"group1,group2" lines' },
    { name: 'service-cluster-ip-range', value: 'CIDR', help: 'IPv4 range Service ClusterIPs are allocated from', defaultText: '10.96.0.0/12' },
    { name: 'etcd-compaction-interval', value: 'DURATION', help: 'how often etcd history is compacted; 0 never', defaultText: '5m0s' },
  ],
};

export async function runApiServerCommand(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(apiserverCommand, argv);
  if (flags.help) {
    process.stdout.write(helpText(apiserverCommand));
    return;
  }
  const command = apiserverCommand.command;
  flags.required('etcd-servers');
  const etcdServers = flags.list('etcd-servers') ?? [];
  if (etcdServers.length === 0) throw usageError(command, '--etcd-servers needs at least one URL');
  for (const url of etcdServers) {
    if (!/^https?:\/\/[^/]+/.test(url) || !URL.canParse(url)) throw usageError(command, `--etcd-servers: "${url}" is not a URL like http://127.0.0.1:2379`);
  }
  const port = flags.port('port', 6443, true);
  const bindAddress = flags.string('bind-address') ?? '0.0.0.0';
  const certFile = flags.string('tls-cert-file');
  const keyFile = flags.string('tls-private-key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) throw usageError(command, '--tls-cert-file and --tls-private-key-file go together');
  const layout = dataDirLayout(resolve(flags.string('data-dir') ?? defaultDataDir()));
  const explicitTokenFile = flags.string('token-auth-file');
  const serviceClusterIpRange = flags.string('service-cluster-ip-range');
  const etcdCompactionIntervalMs = flags.duration('etcd-compaction-interval', 5 * 60_000);

  const fail = (message: string) => new CliError(`${command}: ${message}`);
  let adminToken: string | undefined;
  let server: RunningApiServer;
  // Loaded after flag parsing so `--help` and usage errors stay fast.
  const { ApiServerStartError, runApiServer } = await import('../apiserver/main.ts');
  try {
    if (certFile === undefined || explicitTokenFile === undefined) mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
    if (explicitTokenFile === undefined) adminToken = ensureAdminTokenFile(layout.tokenAuthFile);
    server = await runApiServer({
      etcdServers,
      port,
      bindAddress,
      tokenAuthFile: explicitTokenFile !== undefined ? resolve(explicitTokenFile) : layout.tokenAuthFile,
      ...(serviceClusterIpRange !== undefined ? { serviceClusterIpRange } : {}),
      etcdCompactionIntervalMs,
      ...(certFile !== undefined && keyFile !== undefined
        ? { tlsCertFile: resolve(certFile), tlsPrivateKeyFile: resolve(keyFile) }
        : { pkiDir: layout.pkiDir, extraSans: [...localServingNames(), ...(bindAddress === '0.0.0.0' ? [] : [bindAddress])] }),
    });
  } catch (err) {
    // Start errors are one line already; anything else (a bug) keeps its stack.
    if (err instanceof ApiServerStartError || (err as NodeJS.ErrnoException).code !== undefined) throw fail((err as Error).message);
    throw err;
  }
  onShutdownSignal(
    async () => server.stop(),
    () => undefined,
  );
  process.stdout.write(`${command}: serving on ${server.url} (etcd ${etcdServers.join(',')})\n`);
  // Only when pier owns both the CA and the token is there a complete kubeconfig to hand out.
  if (adminToken !== undefined && server.caPem !== undefined) {
    writeKubeconfig(layout.kubeconfig, { server: server.url, caPem: server.caPem, token: adminToken });
    process.stdout.write(`${command}: kubeconfig written to ${layout.kubeconfig}\n`);
  }
}
