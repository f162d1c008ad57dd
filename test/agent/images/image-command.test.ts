/** `pier image import|pull|ls|rm` end to end, in a child process, against a real store and registry. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { humanSize } from '../../../cli/image.ts';
import { digestHex } from '../../../agent/images/digest.ts';
import { buildBusyboxImage, writeDockerSaveArchive, writeOciArchive, type BusyboxImage } from '../../support/busybox-image.ts';
import { startTestRegistry, type TestRegistry } from '../../support/test-registry.ts';

const node = process.execPath;
const cliMain = join(import.meta.dirname, '../../../cli/main.ts');

function pierImage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cliMain, 'image', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('humanSize', () => {
  it("formats as Docker's HumanSize", () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(1_057_098), '1.06MB');
    assert.equal(humanSize(123_456_789), '123MB');
    assert.equal(humanSize(4_200_000_000), '4.2GB');
  });
});

describe('pier image', () => {
  let dir: string;
  let image: BusyboxImage;
  let registry: TestRegistry;
  let rootDir: string;

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('the pier image tests need root (unpacking keeps owners and makes whiteout devices): run them as root');
    dir = await mkdtemp(join(tmpdir(), `pier-image-cli-${process.pid}-`));
    rootDir = join(dir, 'agent');
    image = await buildBusyboxImage(join(dir, 'image'));
    await writeOciArchive(image.layoutDir, join(dir, 'oci.tar'));
    await writeDockerSaveArchive(image, join(dir, 'docker.tar'), 'pier/busybox:saved');
    registry = await startTestRegistry();
    await registry.push(image.layoutDir, image.tag, 'pier/busybox');
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports, pulls, lists and removes', async () => {
    const imported = await pierImage(['import', join(dir, 'oci.tar'), '--root-dir', rootDir]);
    assert.equal(imported.stderr, '');
    assert.equal(imported.stdout, 'Loaded image: pier/busybox:1.0\n');
    const saved = await pierImage(['import', `--root-dir=${rootDir}`, join(dir, 'docker.tar')]);
    assert.equal(saved.stdout, 'Loaded image: pier/busybox:saved\n');

    const pulled = await pierImage(['pull', `${registry.host}/pier/busybox:1.0`, '--root-dir', rootDir]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, new RegExp(`^${registry.host}/pier/busybox:1\\.0: pulled ${image.imageId} in \\d+\\.\\d\\ds\\n$`));

    const ls = await pierImage(['ls', '--root-dir', rootDir]);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    const id = digestHex(image.imageId).slice(0, 12);
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      [
        [`${registry.host}/pier/busybox`, '1.0', id],
        ['pier/busybox', '1.0', id],
        ['pier/busybox', 'saved', id],
      ],
    );
    for (const r of rows) assert.match(r[3]!, /^\d+(\.\d+)?[kM]B$/);
    assert.equal(lines[0]!.indexOf('TAG'), lines[1]!.indexOf('1.0'), 'columns line up');

    const removed = await pierImage(['rm', id.slice(0, 6), '--root-dir', rootDir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^Untagged: .*\nUntagged: .*\nUntagged: .*\nDeleted: sha256:[a-f0-9]{64}\n$/);
    assert.equal((await pierImage(['ls', '--root-dir', rootDir])).stdout.trimEnd().split('\n').length, 1);
  });

  it('reports mistakes in one line', async () => {
    const cases: [string[], number, RegExp][] = [
      [['rm', 'pier/nothing:1', '--root-dir', rootDir], 1, /^pier image rm: no such image: pier\/nothing:1$/],
      [['pull', '--root-dir', rootDir], 2, /^pier image pull: missing argument REF \(see pier image pull --help\)$/],
      [['pull', 'a', 'b', '--root-dir', rootDir], 2, /^pier image pull: unexpected argument "b"/],
      [['frobnicate'], 2, /^pier image: unknown subcommand "frobnicate"/],
      [['ls', '--bogus'], 2, /^pier image ls: unknown flag --bogus/],
      [['import', join(dir, 'missing.tar'), '--root-dir', rootDir], 1, /^pier image import: .*missing\.tar: no such file$/],
      [['pull', 'UPPER/Case:x', '--root-dir', rootDir], 1, /^pier image pull: failed to pull image "UPPER\/Case:x": invalid image reference .*must be lowercase/],
      [['pull', `${registry.host}/pier/absent:1`, '--root-dir', rootDir], 1, /^pier image pull: failed to pull image .*not found/],
    ];
    for (const [args, code, message] of cases) {
      const r = await pierImage(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trimEnd(), message);
    }
  });

  it('prints help for the command and each subcommand', async () => {
    const top = await pierImage(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /import FILE/);
    assert.match(top.stdout, /--root-dir DIR .*\(default \/var\/lib\/pier\/agent\)/);
    const pull = await pierImage(['pull', '--help']);
    assert.match(pull.stdout, /^Usage: pier image pull REF \[flags\]/);
    assert.match(top.stdout, /^Usage: pier image <subcommand>/);
    assert.match(pull.stdout, /--insecure-registry/);
  });
});
