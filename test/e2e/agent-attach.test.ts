/**
 * Attach through the whole stack under the real kubectl: kubectl → API
 * server `pods/attach` → agent streaming server → runc runtime (the CRI log
 * for output, socat into conmon's attach socket for input). `kubectl run -i
 * --rm` and `kubectl attach -i`, and a host left as it was.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertHostAsBefore, busyboxImage, eventually, isReady, podManifest, agentNodeForFile } from './agent-node.ts';

const e2e = agentNodeForFile(245);

describe('kubectl attach against a real agent', () => {
  test('kubectl run -i --rm feeds stdin to the container, prints its output and removes the pod', async () => {
    const r = await e2e.node.kubectl(
      ['run', 'attached', '-i', '--rm', '--restart=Never', `--image=${busyboxImage}`, '--image-pull-policy=Never', '--', 'sh', '-c', 'read x; echo "got $x"'],
      { stdin: 'hi\n' },
    );
    // kubectl may also print a prompt hint on stderr and `pod "attached" deleted` on stdout.
    assert.match(r.stdout, /^got hi$/m);
    await eventually('the pod to be gone', async () => {
      const got = await e2e.node.kubectl(['get', 'pod', 'attached', '--ignore-not-found', '-o', 'name']);
      return got.stdout.trim() === '';
    }, 60_000);
  });

  test('kubectl attach -i to a pod started with stdin echoes lines back', async () => {
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('echo', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: busyboxImage,
            imagePullPolicy: 'Never',
            stdin: true,
            // stdinOnce: the container's stdin closes when kubectl's session ends, so the loop and the attach end too.
            stdinOnce: true,
            command: ['sh', '-c', 'while read l; do echo "got $l"; done; echo "stdin closed"'],
          },
        ],
      }),
    });
    await e2e.node.waitForPod('echo', 'echo Running', (p) => isReady(p));
    const r = await e2e.node.kubectl(['attach', '-i', 'echo'], { stdin: 'one\ntwo\n' });
    assert.match(r.stdout, /got one\ngot two\n/);
    const term = await e2e.node.waitForPod('echo', 'echo terminated', (p) => p.status?.containerStatuses?.[0]?.state?.terminated);
    assert.equal(term.exitCode, 0);
    assert.equal((await e2e.node.kubectl(['logs', 'echo'])).stdout, 'got one\ngot two\nstdin closed\n');
  });

  test('attach -i to a container without stdin is refused, not hung', async () => {
    await e2e.node.kubectl(['apply', '-f', '-'], {
      stdin: podManifest('nostdin', { containers: [{ name: 'main', image: busyboxImage, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] }),
    });
    await e2e.node.waitForPod('nostdin', 'nostdin Running', (p) => isReady(p));
    const r = await e2e.node.kubectl(['attach', '-i', 'nostdin'], { stdin: 'x\n', allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not created with stdin/);
  });

  test('nothing is left on the host after the pods are deleted', async () => {
    await e2e.node.kubectl(['delete', 'pods', '--all', '--grace-period=1']);
    assert.equal((await e2e.node.kubectl(['get', 'pods', '--no-headers'], { allowFailure: true })).stdout, '');
    await assertHostAsBefore(e2e.node, e2e.baseline);
  });
});
