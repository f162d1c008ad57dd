import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from '../../cli/cli-error.ts';
import { helpText, parseFlags, type CommandSpec } from '../../cli/flags.ts';

const spec: CommandSpec = {
  command: 'pier demo',
  summary: 'demo',
  description: 'A demo command.',
  flags: [
    { name: 'data-dir', value: 'DIR', help: 'data' },
    { name: 'port', value: 'PORT', help: 'port', defaultText: '6443' },
    { name: 'servers', value: 'URL[,URL]', help: 'servers' },
    { name: 'verbose', help: 'more output' },
  ],
};

test('values come as "--flag value" or "--flag=value"; booleans stand alone', () => {
  const f = parseFlags(spec, ['--data-dir', '/x', '--port=7443', '--verbose', '--servers', 'a, b,,c']);
  assert.equal(f.string('data-dir'), '/x');
  assert.equal(f.port('port', 6443), 7443);
  assert.equal(f.has('verbose'), true);
  assert.deepEqual(f.list('servers'), ['a', 'b', 'c']);
  assert.equal(f.help, false);
  assert.equal(parseFlags(spec, []).port('port', 6443), 6443);
  assert.equal(parseFlags(spec, ['-h']).help, true);
  assert.equal(parseFlags(spec, ['--data-dir=a=b']).string('data-dir'), 'a=b');
});

test('mistakes are one-line usage errors with exit code 2', () => {
  const cases: [string[], string][] = [
    [['--foo'], 'pier demo: unknown flag --foo (see pier demo --help)'],
    [['--foo=1'], 'pier demo: unknown flag --foo (see pier demo --help)'],
    [['--port'], 'pier demo: flag --port needs a value (see pier demo --help)'],
    [['--data-dir', '--port', '1'], 'pier demo: flag --data-dir needs a value (see pier demo --help)'],
    [['--data-dir='], 'pier demo: flag --data-dir needs a value (see pier demo --help)'],
    [['--verbose=yes'], 'pier demo: flag --verbose takes no value (see pier demo --help)'],
    [['--port', '1', '--port', '2'], 'pier demo: flag --port given twice (see pier demo --help)'],
    [['extra'], 'pier demo: unexpected argument "extra" (see pier demo --help)'],
    [['-p'], 'pier demo: unexpected argument "-p" (see pier demo --help)'],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseFlags(spec, argv), (err: unknown) => err instanceof CliError && err.exitCode === 2 && err.message === message, argv.join(' '));
  }
  for (const bad of ['0', '65536', 'abc', '-1', '80x']) {
    assert.throws(
      () => parseFlags(spec, ['--port', bad]).port('port', 6443),
      (err: unknown) => err instanceof CliError && err.exitCode === 2 && err.message === `pier demo: --port must be a port number (1-65535), got "${bad}" (see pier demo --help)`,
    );
  }
  assert.equal(parseFlags(spec, ['--port', '0']).port('port', 6443, true), 0);
  assert.throws(() => parseFlags(spec, []).required('servers'), /^CliError: pier demo: missing required flag --servers/);
});

test('help lists every flag with its placeholder and default', () => {
  const text = helpText(spec);
  assert.match(text, /^Usage: pier demo \[flags\]\n\nA demo command\.\n\nFlags:\n/);
  assert.match(text, /--data-dir DIR {2,}data\n/);
  assert.match(text, /--port PORT {2,}port \(default 6443\)\n/);
  assert.match(text, /--verbose {2,}more output\n/);
  assert.match(text, /-h, --help {2,}show this help\n$/);
});
