import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runPier, tempDir } from './run-pier.ts';

test('pier help lists exactly the commands that exist', async (t) => {
  const res = await runPier(['help'], tempDir(t));
  assert.equal(res.code, 0);
  const commands = [...res.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]);
  assert.deepEqual(commands, ['up', 'apiserver', 'scheduler', 'controller-manager', 'agent', 'join', 'token', 'simnodes', 'image', 'help']);
});

test('unknown commands and a bare pier are usage errors', async (t) => {
  const home = tempDir(t);
  const unknown = await runPier(['frobnicate'], home);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'pier: unknown command "frobnicate" (see pier help)\n');
  const bare = await runPier([], home);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: pier <command>/);
});

test('the bin is pier.js with a node shebang, and refuses Node < 24 with one line', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, { pier: 'cli/pier.js' });
  const bin = join(repoRoot, 'cli', 'pier.js');
  assert.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  // Pretend to be Node 20 by overriding process.versions before pier.js runs.
  const old = spawnSync(process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"})', bin, 'help'], { encoding: 'utf8' });
  assert.equal(old.status, 1);
  assert.equal(old.stderr, 'pier needs Node.js 24 or newer; run it through npx/npm so node_modules/.bin/node is used\n');
  const current = spawnSync(process.execPath, [bin, 'help'], { encoding: 'utf8' });
  assert.equal(current.status, 0, current.stderr);
  assert.match(current.stdout, /^Usage: pier <command>/);
});

test('pier scheduler needs a readable kubeconfig and says so in one line', async (t) => {
  const home = tempDir(t);
  const missing = await runPier(['scheduler'], home);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'pier scheduler: missing required flag --kubeconfig (see pier scheduler --help)\n');
  const bad = await runPier(['scheduler', '--kubeconfig', '/nonexistent/kubeconfig'], home);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1);
  assert.match(bad.stderr, /^pier scheduler: /);
  const flag = await runPier(['scheduler', '--kubeconfig', 'x', '--leader-elect', 'maybe'], home);
  assert.equal(flag.code, 2);
});

test('pier simnodes reports bad flags in one line each', async (t) => {
  const home = tempDir(t);
  const cases: Array<[string[], RegExp]> = [
    [['simnodes', '--count', '3'], /^pier simnodes: missing required flag --kubeconfig /],
    [['simnodes', '--kubeconfig', 'k'], /^pier simnodes: missing required flag --count /],
    [['simnodes', '--kubeconfig', 'k', '--count', '0'], /^pier simnodes: --count must be a whole number from 1 to 100000, got "0"/],
    [['simnodes', '--kubeconfig', 'k', '--count', '2', '--name-prefix', 'Bad_'], /^pier simnodes: --name-prefix must be lowercase/],
    [['simnodes', '--kubeconfig', 'k', '--count', '2', '--cpu', 'lots'], /^pier simnodes: --cpu must be a quantity/],
    [['simnodes', '--kubeconfig', 'k', '--count', '2', '--lease-renew-interval', '10'], /^pier simnodes: --lease-renew-interval must be a duration/],
  ];
  for (const [args, pattern] of cases) {
    const res = await runPier(args, home);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, pattern);
    assert.equal(res.stderr.split('\n').filter(Boolean).length, 1);
  }
  const unreadable = await runPier(['simnodes', '--kubeconfig', '/nonexistent/kubeconfig', '--count', '1'], home);
  assert.equal(unreadable.code, 1);
  assert.match(unreadable.stderr, /^pier simnodes: /);
});
