/**
 * `pier image`: the node's images as a Docker user sees them — `import`
 * (docker load), `pull`, `ls` (docker images), `rm` (docker rmi) — over the
 * same store the agent runs containers from.
 */
import { resolve } from 'node:path';
import { ImageStore } from '../agent/images/image-store.ts';
import { digestHex } from '../agent/images/digest.ts';
import { familiarName, parseNormalizedNamed, parseDockerRef, familiarString } from '../agent/images/reference.ts';
import { CliError, usageError } from './cli-error.ts';
import { helpText, parseFlags, type CommandSpec, type FlagSpec } from './flags.ts';

const defaultRootDir = '/var/lib/pier/agent';

const rootDirFlag: FlagSpec = { name: 'root-dir', value: 'DIR', help: "the agent's state directory; images live in DIR/images", defaultText: defaultRootDir };

export const imageCommand: CommandSpec = {
  command: 'pier image',
  summary: 'import, pull, list and remove container images on this node',
  description:
    'Subcommands:\n' +
    '  import FILE  load an OCI image layout tarball or a `docker save` tarball\n' +
    '  pull REF     pull an image from its registry (docker.io when REF names none)\n' +
    '  ls           list images: IMAGE, TAG, IMAGE ID, SIZE\n' +
    '  rm REF...    remove images by name or ID (refused while a container uses one)\n\n' +
    'Run "pier image <subcommand> --help" for its flags.',
  flags: [rootDirFlag],
};

const importCommand: CommandSpec = {
  command: 'pier image import',
  summary: 'load images from an archive',
  description: 'Loads every image of FILE, an OCI image layout tarball or a `docker save` tarball, under the names it carries.',
  flags: [rootDirFlag, { name: 'base-name', value: 'REPO', help: 'repository for OCI layout entries named only by a tag (e.g. pier/busybox)' }],
};

const pullCommand: CommandSpec = {
  command: 'pier image pull',
  summary: 'pull an image',
  description: 'Pulls REF (`busybox`, `registry:5000/team/app:1.2`, `name@sha256:…`) for linux/amd64 and unpacks its layers.',
  flags: [
    rootDirFlag,
    { name: 'insecure-registry', value: 'HOST[,HOST]', help: 'registries to reach over plain HTTP (loopback ones always are)' },
    { name: 'username', value: 'NAME', help: 'registry user name (password from PIER_REGISTRY_PASSWORD)' },
  ],
};

const lsCommand: CommandSpec = { command: 'pier image ls', summary: 'list images', description: 'Lists the images on this node.', flags: [rootDirFlag] };

const rmCommand: CommandSpec = {
  command: 'pier image rm',
  summary: 'remove images',
  description: 'Removes each REF (a name, an image ID, or a unique ID prefix) with all its names.',
  flags: [rootDirFlag],
};

const subcommands: ReadonlyMap<string, { spec: CommandSpec; positionals: [number, number]; argName: string; run: (store: ImageStore, args: string[], flags: ReturnType<typeof parseFlags>) => Promise<void> }> = new Map([
  ['import', { spec: importCommand, positionals: [1, 1], argName: 'FILE', run: runImport }],
  ['pull', { spec: pullCommand, positionals: [1, 1], argName: 'REF', run: runPull }],
  ['ls', { spec: lsCommand, positionals: [0, 0], argName: '', run: runLs }],
  ['rm', { spec: rmCommand, positionals: [1, Infinity], argName: 'REF', run: runRm }],
] as const);

/** Separates positionals from flags (and their values) so parseFlags sees flags only. */
function splitArgs(spec: CommandSpec, argv: readonly string[]): { positionals: string[]; flagArgs: string[] } {
  const positionals: string[] = [];
  const flagArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-') && arg !== '-') {
      flagArgs.push(arg);
      const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
      const takesValue = spec.flags.find((f) => f.name === name)?.value !== undefined;
      const next = argv[i + 1];
      if (takesValue && next !== undefined && !next.startsWith('--')) {
        flagArgs.push(next);
        i++;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, flagArgs };
}

export async function runImageCommand(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) throw usageError(imageCommand.command, 'missing subcommand (import, pull, ls, rm)');
    process.stdout.write(helpText(imageCommand).replace('Usage: pier image [flags]', 'Usage: pier image <subcommand> [ARG...] [flags]'));
    return;
  }
  const sub = subcommands.get(name);
  if (!sub) throw usageError(imageCommand.command, `unknown subcommand "${name}" (import, pull, ls, rm)`);
  const { positionals, flagArgs } = splitArgs(sub.spec, rest);
  const flags = parseFlags(sub.spec, flagArgs);
  if (flags.help) {
    const argText = sub.positionals[1] === Infinity ? `${sub.argName}...` : sub.argName;
    process.stdout.write(helpText(sub.spec).replace(`Usage: ${sub.spec.command} [flags]`, `Usage: ${sub.spec.command}${argText ? ` ${argText}` : ''} [flags]`));
    return;
  }
  const [min, max] = sub.positionals;
  if (positionals.length < min) throw usageError(sub.spec.command, `missing argument ${sub.argName}`);
  if (positionals.length > max) throw usageError(sub.spec.command, `unexpected argument "${positionals[max]}"`);
  const store = new ImageStore({ rootDir: resolve(flags.string('root-dir') ?? defaultRootDir), insecureRegistries: flags.list('insecure-registry') ?? [] });
  try {
    await sub.run(store, positionals, flags);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${sub.spec.command}: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
  }
}

async function runImport(store: ImageStore, [file]: string[], flags: ReturnType<typeof parseFlags>): Promise<void> {
  const baseName = flags.string('base-name');
  const images = await store.importImageArchive(resolve(file!), baseName !== undefined ? { baseName } : {});
  for (const image of images) {
    if (image.repoTags.length === 0) process.stdout.write(`Loaded image ID: ${image.id}\n`);
    for (const tag of image.repoTags) process.stdout.write(`Loaded image: ${familiarString(parseNormalizedNamed(tag))}\n`);
  }
}

async function runPull(store: ImageStore, [ref]: string[], flags: ReturnType<typeof parseFlags>): Promise<void> {
  const username = flags.string('username');
  const started = performance.now();
  const id = await store.pullImage(ref!, username !== undefined ? { username, password: process.env.PIER_REGISTRY_PASSWORD ?? '' } : undefined);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${familiarString(parseDockerRef(ref!))}: pulled ${id} in ${seconds.toFixed(2)}s\n`);
}

/** Docker's HumanSizeWithPrecision(size, 3): decimal units, three significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${units[i]}`;
}

async function runLs(store: ImageStore): Promise<void> {
  const rows: string[][] = [];
  for (const image of await store.listLocalImages()) {
    const id = digestHex(image.id).slice(0, 12);
    const size = humanSize(image.size);
    for (const tag of image.repoTags) {
      const ref = parseNormalizedNamed(tag);
      rows.push([familiarName(ref), ref.tag ?? '<none>', id, size]);
    }
    if (image.repoTags.length === 0) {
      const digested = image.repoDigests[0];
      rows.push([digested ? familiarName(parseNormalizedNamed(digested)) : '<none>', '<none>', id, size]);
    }
  }
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
  const table = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], ...rows];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const r of table) process.stdout.write(`${r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]! + 3) : cell)).join('')}\n`);
}

async function runRm(store: ImageStore, refs: string[]): Promise<void> {
  for (const ref of refs) {
    const image = await store.findImage(ref, true);
    if (!image) throw new CliError(`${rmCommand.command}: no such image: ${ref}`);
    await store.removeImage(image.id);
    for (const tag of image.repoTags) process.stdout.write(`Untagged: ${familiarString(parseNormalizedNamed(tag))}\n`);
    process.stdout.write(`Deleted: ${image.id}\n`);
  }
}
