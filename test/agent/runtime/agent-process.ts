/**
 * A stand-in for a first agent, run as its own process by the restart test:
 * it runs a sandbox with a long-running and a failed container, prints their
 * IDs and the running one's pid as JSON, and exits without stopping anything.
 * argv[2]: the fixture's AgentOptions as JSON.
 */
import { makeRuntimeService, type AgentOptions } from './runtime-fixture.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as AgentOptions;
const { runtime } = makeRuntimeService(options);
const sandboxConfig = {
  metadata: { name: 'survivor', uid: `${options.netnsPrefix}-survivor`, namespace: 'default', attempt: 0 },
  hostname: 'survivor',
  labels: { app: 'survivor' },
};
const sandboxId = await runtime.runPodSandbox(sandboxConfig);
const container = (name: string, command: string[]) => ({ metadata: { name }, image: { image: 'busybox' }, command });
const running = await runtime.createContainer(sandboxId, container('sleeper', ['sleep', '300']), sandboxConfig);
await runtime.startContainer(running);
const failed = await runtime.createContainer(sandboxId, container('failed', ['sh', '-c', 'exit 5']), sandboxConfig);
await runtime.startContainer(failed);
for (;;) {
  if ((await runtime.containerStatus(failed)).status.state === 'CONTAINER_EXITED') break;
  await new Promise((r) => setTimeout(r, 50));
}
const pid = (JSON.parse((await runtime.containerStatus(running, true)).info.info ?? '{}') as { pid: number }).pid;
process.stdout.write(JSON.stringify({ sandboxId, running, failed, pid }));
