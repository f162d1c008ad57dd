import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, readLog, startRuntimeFixture, type RuntimeFixture } from './runtime-fixture.ts';

let fx: RuntimeFixture;
before(async () => {
  fx = await startRuntimeFixture();
});
after(async () => {
  await fx?.teardown();
});

test('two containers of a sandbox share localhost, and portForward reaches it', async (t) => {
  const sandboxConfig = fx.sandboxConfig('shared');
  const sandboxId = await fx.runtime.runPodSandbox(sandboxConfig);
  t.after(() => fx.runtime.removePodSandbox(sandboxId));

  // A tiny server on 127.0.0.1:8080 that answers every connection with a line.
  const server = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig('server', ['sh', '-c', 'while true; do echo hello-from-server | nc -l -p 8080 127.0.0.1; done']),
    sandboxConfig,
  );
  await fx.runtime.startContainer(server);
  await eventually(async () => (await fx.runtime.execSync(server, ['sh', '-c', 'netstat -ltn | grep -q :8080'])).exitCode === 0, 'the server to listen');

  const client = await fx.runtime.createContainer(
    sandboxId,
    fx.containerConfig('client', ['sh', '-c', 'nc 127.0.0.1 8080 </dev/null']),
    sandboxConfig,
  );
  await fx.runtime.startContainer(client);
  const status = await eventually(async () => {
    const s = (await fx.runtime.containerStatus(client)).status;
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  }, 'the client to finish');
  assert.equal(status.exitCode, 0);
  assert.match(await readLog(status.logPath), / stdout F hello-from-server\n/);

  // portForward: a stream to 127.0.0.1:8080 inside the pod's netns.
  await eventually(async () => (await fx.runtime.execSync(server, ['sh', '-c', 'netstat -ltn | grep -q :8080'])).exitCode === 0, 'the server to listen again');
  const stream = await fx.runtime.portForward(sandboxId, 8080);
  const received = await new Promise<string>((resolve, reject) => {
    let data = '';
    stream.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\n')) resolve(data);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(data));
  });
  stream.destroy();
  assert.equal(received, 'hello-from-server\n');

  // Nothing listens on 9: the relay's failure surfaces as an error on the stream.
  const refused = await fx.runtime.portForward(sandboxId, 9);
  const outcome = await new Promise<string>((resolve) => {
    refused.on('error', (err) => resolve(`error: ${err.message}`));
    refused.on('end', () => resolve('end'));
    refused.resume();
  });
  assert.match(outcome, /^(error: .*relay exited|end)/);
  refused.destroy();
  await assert.rejects(fx.runtime.portForward('no-such-sandbox', 80), { code: 'NotFound' });
});
