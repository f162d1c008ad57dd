/**
 * `pier token create`: a new join token for `pier join`, added to the data
 * dir's token file. The running API server picks it up without a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bootstrapTokenEntry, newBootstrapToken } from '../apiserver/authn/bootstrap-token.ts';
import { addTokenFileEntries } from '../apiserver/authn/token-file.ts';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { CliError, usageError } from './cli-error.ts';
import { dataDirLayout, defaultDataDir } from './data-dir.ts';
import { helpText, parseFlags, type CommandSpec } from './flags.ts';
import { caCertHash } from './join.ts';
import { localServingNames } from './local-addresses.ts';

export const tokenCommand: CommandSpec = {
  command: 'pier token',
  summary: 'create join tokens for pier join (pier token create)',
  description:
    'pier token create adds a join token to DIR/tokens.csv and prints it; the API server started by\n' +
    'pier up accepts it within a second. With --print-join-command it prints the whole pier join\n' +
    "command instead, with this host's address and the CA hash.",
  flags: [
    { name: 'data-dir', value: 'DIR', help: 'the pier up data directory', defaultText: '$XDG_DATA_HOME/pier or ~/.local/share/pier' },
    { name: 'print-join-command', help: 'print the pier join command for the new token' },
    { name: 'server', value: 'URL', help: 'the API server address nodes dial (with --print-join-command)', defaultText: "this host's first address and the kubeconfig's port" },
  ],
};

/** `pier join ...` for a token. */
export function joinCommandLine(server: string, token: string, caPem: string): string {
  return `pier join --server ${server} --token ${token} --ca-cert-hash ${caCertHash(caPem)}`;
}

export async function runTokenCommand(argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    if (sub === undefined) throw usageError(tokenCommand.command, 'missing subcommand (create)');
    process.stdout.write(helpText(tokenCommand).replace('Usage: pier token [flags]', 'Usage: pier token create [flags]'));
    return;
  }
  if (sub !== 'create') throw usageError(tokenCommand.command, `unknown subcommand "${sub}" (create)`);
  const flags = parseFlags(tokenCommand, rest);
  if (flags.help) {
    process.stdout.write(helpText(tokenCommand).replace('Usage: pier token [flags]', 'Usage: pier token create [flags]'));
    return;
  }
  const layout = dataDirLayout(resolve(flags.string('data-dir') ?? defaultDataDir()));
  const fail = (message: string) => new CliError(`pier token create: ${message}`);
  if (!existsSync(layout.tokenAuthFile)) throw fail(`no token file at ${layout.tokenAuthFile}: run pier up first (or pass --data-dir)`);
  const token = newBootstrapToken();
  try {
    addTokenFileEntries(layout.tokenAuthFile, [bootstrapTokenEntry(token)]);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (!flags.has('print-join-command')) {
    process.stdout.write(`${token}\n`);
    return;
  }
  let server = flags.string('server');
  if (server === undefined) {
    let port = '6443';
    try {
      port = new URL(loadKubeconfig(layout.kubeconfig).server).port || '443';
    } catch {
      // No kubeconfig yet: the default port.
    }
    const address = localServingNames().find((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)) ?? '127.0.0.1';
    server = `https://${address}:${port}`;
  }
  let caPem: string;
  try {
    caPem = readFileSync(`${layout.pkiDir}/ca.crt`, 'utf8');
  } catch (err) {
    throw fail(`cannot read the cluster CA: ${(err as Error).message}`);
  }
  process.stdout.write(`${joinCommandLine(server, token, caPem)}\n`);
}
