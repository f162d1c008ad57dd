import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentCommand, runAgentCommand } from '../../../cli/agent.ts';
import { CliError } from '../../../cli/cli-error.ts';
import { nodeStatus, nodeStatusChanged, type HostInfo } from '../../../agent/kubelet/node-status.ts';

test('pier agent: flags as documented, bad values are usage errors', async () => {
  assert.deepEqual(
    agentCommand.flags.map((f) => f.name),
    ['kubeconfig', 'node-name', 'root-dir', 'pod-cidr', 'runtime', 'allow-privileged', 'node-ip', 'port'],
  );
  const usage = async (argv: string[], pattern: RegExp) => {
    await assert.rejects(runAgentCommand(argv), (err: unknown) => err instanceof CliError && err.exitCode === 2 && pattern.test(err.message));
  };
  await usage([], /missing required flag --kubeconfig/);
  await usage(['--kubeconfig', 'k', '--runtime', 'kata'], /--runtime must be runc or crun/);
  await usage(['--kubeconfig', 'k', '--pod-cidr', '10.88.0.0'], /--pod-cidr must be an IPv4 CIDR/);
  await usage(['--kubeconfig', 'k', '--node-name', 'Bad_Name'], /--node-name must be a lowercase DNS subdomain/);
  await usage(['--kubeconfig', 'k', '--node-ip', 'nope'], /--node-ip must be an IPv4 address/);
  await usage(['--kubeconfig', 'k', '--port', '70000'], /--port must be a port number/);
});

test('node status: heartbeats alone are no change; the Ready transition time is kept', () => {
  const host: HostInfo = {
    cpu: 2,
    memoryKi: 4_000_000,
    ephemeralStorageBytes: 10 * 2 ** 30,
    kernelVersion: '6.1',
    osImage: 'Debian',
    machineID: 'm',
    systemUUID: '',
    bootID: 'b',
    architecture: 'amd64',
    hostname: 'h',
    internalIP: '192.0.2.9',
  };
  const inputs = { host, maxPods: 110, kubeletPort: 10250, runtimeVersion: 'runc://1.1.5' };
  const first = nodeStatus(inputs, undefined, '2026-01-01T00:00:00Z');
  assert.deepEqual(first.capacity, { cpu: '2', memory: '4000000Ki', pods: '110', 'ephemeral-storage': '10485760Ki' });
  assert.equal(first.allocatable!.memory, `${4_000_000 - 102_400}Ki`);
  const second = nodeStatus(inputs, first, '2026-01-01T00:00:10Z');
  assert.equal(nodeStatusChanged(first, second), false);
  assert.equal(second.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(second.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime, '2026-01-01T00:00:10Z');
  const down = nodeStatus({ ...inputs, runtimeError: 'runc is missing' }, second, '2026-01-01T00:00:20Z');
  assert.equal(nodeStatusChanged(second, down), true);
  const ready = down.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.lastTransitionTime, '2026-01-01T00:00:20Z');
});
