import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fixedNanoTimestamp, writeContainerLogs, type ContainerLogOptions } from '../../../agent/server/container-logs.ts';

const dir = mkdtempSync(join(tmpdir(), 'pier-agent-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function logFile(content: string): string {
  const path = join(dir, `c${n++}.log`);
  writeFileSync(path, content);
  return path;
}

async function read(path: string, options: Partial<ContainerLogOptions>, running = false): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await writeContainerLogs(path, { follow: false, timestamps: false, ...options }, out, { running: async () => running, signal: new AbortController().signal, pollMs: 10 });
  return text;
}

const sample =
  '2026-01-02T03:04:05.1Z stdout F one\n' +
  '2026-01-02T03:04:06Z stderr F two\n' +
  '2026-01-02T03:04:07.123456789+02:00 stdout P thr\n' +
  '2026-01-02T03:04:07.2+02:00 stdout P e\n' +
  '2026-01-02T03:04:07.3+02:00 stdout F e\n' +
  '2026-01-02T03:04:08Z stdout F \n' +
  '2026-01-02T03:04:09Z stdout P unfinished';

describe('CRI container logs', () => {
  it('joins partial records and drops an unterminated last record', async () => {
    assert.equal(await read(logFile(sample), {}), 'one\ntwo\nthree\n\n');
  });

  it('tails by whole lines', async () => {
    const path = logFile(sample);
    assert.equal(await read(path, { tailLines: 2 }), 'three\n\n');
    assert.equal(await read(path, { tailLines: 0 }), '');
    assert.equal(await read(path, { tailLines: 100 }), 'one\ntwo\nthree\n\n');
  });

  it('prints timestamps with nine fractional digits, keeping the zone, from the first part of a line', async () => {
    assert.equal(
      await read(logFile(sample), { timestamps: true, tailLines: 3 }),
      '2026-01-02T03:04:06.000000000Z two\n2026-01-02T03:04:07.123456789+02:00 three\n2026-01-02T03:04:08.000000000Z \n',
    );
    assert.equal(fixedNanoTimestamp('2026-01-02T03:04:05.5-07:00'), '2026-01-02T03:04:05.500000000-07:00');
  });

  it('filters by time and limits bytes', async () => {
    const path = logFile(sample);
    // 03:04:07+02:00 is 01:04:07Z, before the cut.
    assert.equal(await read(path, { since: new Date('2026-01-02T03:04:06Z') }), 'two\n\n');
    assert.equal(await read(path, { limitBytes: 5 }), 'one\nt');
    assert.equal(await read(path, { limitBytes: 5, timestamps: true }), '2026-');
  });

  it('follows appended lines, completing a pending partial line, until the container stops', async () => {
    const path = logFile('2026-01-02T03:04:05Z stdout F a\n2026-01-02T03:04:06Z stdout P b');
    let running = true;
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const done = writeContainerLogs(path, { follow: true, timestamps: false }, out, { running: async () => running, signal: new AbortController().signal, pollMs: 10 });
    await waitFor(() => text === 'a\n');
    appendFileSync(path, 'c\n2026-01-02T03:04:07Z stdout F d\n');
    await waitFor(() => text === 'a\nbcd\n');
    appendFileSync(path, '2026-01-02T03:04:08Z stdout F last\n');
    running = false;
    await done;
    assert.equal(text, 'a\nbcd\nlast\n');
  });

  it('stops following when the client goes away', async () => {
    const path = logFile('2026-01-02T03:04:05Z stdout F a\n');
    const abort = new AbortController();
    const out = new PassThrough();
    out.resume();
    const done = writeContainerLogs(path, { follow: true, timestamps: false }, out, { running: async () => true, signal: abort.signal, pollMs: 10 });
    setTimeout(() => abort.abort(), 50);
    await done;
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
