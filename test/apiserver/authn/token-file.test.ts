import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdminTokenFile, formatTokenFileLine, loadTokenFile, parseTokenFile, StaticTokenAuthenticator } from '../../../apiserver/authn/token-file.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('parses the Kubernetes static token file format (leading spaces trimmed, as Go csv TrimLeadingSpace)', () => {
  const entries = parseTokenFile(
    ['abc,alice,uid-1,"system:masters,devs"', '', 'def,bob,uid-2', '  ghi, carol ,uid-3,ops', 'jkl,"dave ""d""",uid-4,""', ',nobody,uid-5'].join('\n'),
    'tokens.csv',
  );
  assert.deepEqual(
    entries.map((e) => [e.token, e.user.username, e.user.uid, e.user.groups]),
    [
      ['abc', 'alice', 'uid-1', ['system:masters', 'devs']],
      ['def', 'bob', 'uid-2', []],
      ['ghi', 'carol ', 'uid-3', ['ops']],
      ['jkl', 'dave "d"', 'uid-4', []],
    ],
  );
});

test('a malformed file is rejected with one line naming the file and line', () => {
  const cases: [string, RegExp][] = [
    ['abc,alice', /^token file t\.csv line 1: must have at least 3 columns \(token, user name, user uid\), found 2$/],
    ['ok,u,1\nabc,"alice,uid', /^token file t\.csv line 2: unterminated quoted field$/],
    ['abc,"alice"x,uid', /^token file t\.csv line 1: unexpected character after closing quote/],
    ['abc,al"ice,uid', /^token file t\.csv line 1: bare quote/],
    ['abc,,uid', /^token file t\.csv line 1: empty user name$/],
  ];
  for (const [text, want] of cases) {
    assert.throws(() => parseTokenFile(text, 't.csv'), (err: Error) => want.test(err.message) && !err.message.includes('\n'), text);
  }
});

test('loadTokenFile authenticates known tokens only, returning a copy of the user', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'tokens.csv');
  writeFileSync(path, 'secret-1,alice,a,"g1,g2"\nsecret-2,bob,b\n');
  const authn = loadTokenFile(path);
  assert.deepEqual(authn.authenticate('secret-1'), { username: 'alice', uid: 'a', groups: ['g1', 'g2'] });
  assert.deepEqual(authn.authenticate('secret-2'), { username: 'bob', uid: 'b', groups: [] });
  for (const bad of ['', 'secret', 'secret-10', 'secret-1 ', 'SECRET-1']) assert.equal(authn.authenticate(bad), undefined, JSON.stringify(bad));
  authn.authenticate('secret-1')!.groups.push('mutated');
  assert.deepEqual(authn.authenticate('secret-1')!.groups, ['g1', 'g2']);
  assert.throws(() => loadTokenFile(join(dir, 'missing.csv')), /^Error: cannot read token file .*missing\.csv: ENOENT$/);
});

test('a duplicate token maps to its last line, as kube-apiserver', () => {
  const authn = new StaticTokenAuthenticator(parseTokenFile('t,first,1\nt,second,2\n', 'x'));
  assert.equal(authn.authenticate('t')?.username, 'second');
});

test('ensureAdminTokenFile writes a random admin token once, mode 0600', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'tokens.csv');
  const token = ensureAdminTokenFile(path);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), `${token},admin,admin,system:masters\n`);
  assert.deepEqual(loadTokenFile(path).authenticate(token), { username: 'admin', uid: 'admin', groups: ['system:masters'] });
  assert.equal(ensureAdminTokenFile(path), token, 'an existing file is kept');
  assert.notEqual(ensureAdminTokenFile(join(dir, 'other.csv')), token);

  writeFileSync(path, 'x,bob,b\n');
  assert.throws(() => ensureAdminTokenFile(path), /has no line for user "admin" in group system:masters/);
});

test('formatTokenFileLine quotes fields that need it and round-trips', () => {
  const entry = { token: 'tok', user: { username: 'a "b", c', uid: 'u', groups: ['x', 'y'] } };
  const line = formatTokenFileLine(entry);
  assert.equal(line, 'tok,"a ""b"", c",u,"x,y"');
  assert.deepEqual(parseTokenFile(line, 'x'), [entry]);
});
