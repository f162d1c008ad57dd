/**
 * CniPodNetwork against the real CNI plugins, as root: sandboxes in real
 * network namespaces on a real bridge, host-local IPAM, portmap iptables.
 * Every name carries a per-run suffix, and the after hook removes all of it
 * and then checks nothing is left.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PodNetworkSandbox } from '../../../agent/cri/pod-network.ts';
import { CniPodNetwork } from '../../../agent/network/cni-pod-network.ts';
import { ipv4AddressInCidr, ipv4InCidr } from '../../../agent/network/ipv4-cidr.ts';
import {
  attachmentIptablesLines,
  bridgePorts,
  cniPluginDirs,
  eventually,
  freeSubnet,
  hostportChainsExist,
  linkExists,
  netnsNames,
  networkIptablesLines,
  removeEmptyHostportChains,
  requireCniPrerequisites,
  sh,
  trySh,
  uniqueSuffix,
} from './network-fixture.ts';

const suffix = uniqueSuffix();
const bridgeName = `ptbr${suffix}`;
const networkName = `pier-test-${suffix}`;
const netnsPrefix = `pier-pt${suffix}`;

describe('CniPodNetwork with the reference CNI plugins', () => {
  let podCidr = '';
  let dataDir = '';
  let network: CniPodNetwork;
  let hostportChainsBefore = true;
  const sandboxes = new Map<string, PodNetworkSandbox>();
  const extraNetns: string[] = [];
  const extraLinks: string[] = [];
  const children: ChildProcess[] = [];

  /** A sandbox with its own namespace, remembered for the after hook. */
  async function newSandbox(name: string, portMappings: PodNetworkSandbox['portMappings'] = []): Promise<PodNetworkSandbox> {
    const id = `pt${suffix}-${name}`;
    const netnsPath = await network.createNetns(id);
    const sandbox: PodNetworkSandbox = {
      id,
      podName: `pod-${name}`,
      podNamespace: 'default',
      podUid: `uid-${suffix}-${name}`,
      netnsPath,
      portMappings,
    };
    sandboxes.set(id, sandbox);
    return sandbox;
  }

  async function dispose(sandbox: PodNetworkSandbox): Promise<void> {
    await network.tearDown(sandbox);
    await network.removeNetns(sandbox.netnsPath);
    sandboxes.delete(sandbox.id);
  }

  function inNetns(sandbox: PodNetworkSandbox, args: string[]): Promise<string> {
    return sh('nsenter', [`--net=${sandbox.netnsPath}`, '--', ...args]);
  }

  before(async () => {
    requireCniPrerequisites();
    podCidr = await freeSubnet(234);
    dataDir = mkdtempSync(join(tmpdir(), `pier-cni-${suffix}-`));
    hostportChainsBefore = await hostportChainsExist();
    network = new CniPodNetwork({ podCidr, bridgeName, networkName, dataDir, pluginDirs: cniPluginDirs });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const sandbox of sandboxes.values()) {
      await network.tearDown(sandbox).catch(() => {});
      await network.removeNetns(sandbox.netnsPath).catch(() => {});
    }
    for (const name of extraNetns) await trySh('ip', ['netns', 'delete', name]);
    for (const link of extraLinks) await trySh('ip', ['link', 'delete', link]);
    if (network) await network.cleanup().catch(() => {});
    if (await linkExists(bridgeName)) await trySh('ip', ['link', 'delete', bridgeName]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (!hostportChainsBefore) await removeEmptyHostportChains();

    // The leftover check: nothing this file made may survive it.
    assert.equal(await linkExists(bridgeName), false, `bridge ${bridgeName} left behind`);
    assert.deepEqual((await netnsNames()).filter((n) => n.startsWith(netnsPrefix)), [], 'network namespaces left behind');
    for (const link of extraLinks) assert.equal(await linkExists(link), false, `link ${link} left behind`);
    assert.deepEqual(await networkIptablesLines(networkName), [], 'iptables rules left behind');
    if (dataDir) assert.equal(existsSync(dataDir), false);
    if (podCidr) assert.doesNotMatch(await sh('ip', ['-4', 'route', 'show']), new RegExp(podCidr.replace(/\./g, '\\.')), 'pod CIDR route left behind');
  });

  test('two sandboxes get distinct addresses in the pod CIDR and reach each other and the gateway', async () => {
    const a = await newSandbox('a');
    const b = await newSandbox('b');
    assert.equal(a.netnsPath, `/run/netns/pier-${a.id}`);

    const statusA = await network.setUp(a);
    const statusB = await network.setUp(b);
    assert.notEqual(statusA.ip, statusB.ip);
    for (const s of [statusA, statusB]) {
      assert.ok(ipv4InCidr(s.ip, podCidr), `${s.ip} outside ${podCidr}`);
      assert.notEqual(s.ip, network.gateway);
      assert.deepEqual(s.ips, [s.ip]);
    }
    assert.equal(network.gateway, ipv4AddressInCidr(podCidr, 1));

    // The loopback network brought lo up.
    const lo = JSON.parse(await inNetns(a, ['ip', '-j', 'link', 'show', 'lo'])) as Array<{ flags: string[] }>;
    assert.ok(lo[0]?.flags.includes('UP'), 'lo is not up');
    // The bridge carries the gateway address and both pods' veths.
    assert.match(await sh('ip', ['-4', 'addr', 'show', 'dev', bridgeName]), new RegExp(`inet ${network.gateway.replace(/\./g, '\\.')}/24`));
    assert.equal((await bridgePorts(bridgeName)).length, 2);

    await inNetns(a, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', statusB.ip]);
    await inNetns(b, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', statusA.ip]);
    await inNetns(a, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', network.gateway]);
    // The default route points at the bridge.
    assert.match(await inNetns(a, ['ip', '-4', 'route', 'show', 'default']), new RegExp(`via ${network.gateway.replace(/\./g, '\\.')}`));
  });

  test('status reads the address from inside the namespace and CHECK passes', async () => {
    const [a] = [...sandboxes.values()];
    assert.ok(a);
    const status = await network.status(a);
    assert.ok(status);
    assert.ok(ipv4InCidr(status.ip, podCidr));
    await network.check(a);
    // A sandbox whose namespace never got wired has no status.
    const bare = await newSandbox('bare');
    assert.equal(await network.status(bare), undefined);
    await network.removeNetns(bare.netnsPath);
    await network.removeNetns(bare.netnsPath); // idempotent
    sandboxes.delete(bare.id);
    assert.equal(existsSync(bare.netnsPath), false);
    assert.equal(await network.status(bare), undefined);
  });

  test('tearDown frees the address and the attachment\'s iptables rules, and repeats safely', async () => {
    const [a, b] = [...sandboxes.values()];
    assert.ok(a && b);
    const ip = (await network.status(a))?.ip;
    assert.ok(ip);
    const ipamDir = join(dataDir, 'ipam', networkName);
    assert.ok(readdirSync(ipamDir).includes(ip), 'host-local holds no reservation for the pod');
    assert.ok((await attachmentIptablesLines(networkName, a.id)).length > 0, 'no masquerade rules before tearDown');

    await network.tearDown(a);
    assert.equal(readdirSync(ipamDir).includes(ip), false, 'the address is still reserved');
    assert.deepEqual(await attachmentIptablesLines(networkName, a.id), []);
    assert.equal(await network.status(a), undefined, 'eth0 survived tearDown');
    assert.equal((await bridgePorts(bridgeName)).length, 1);
    await network.tearDown(a); // idempotent

    // The namespace can be wired again, and gets an address from the pool.
    const again = await network.setUp(a);
    assert.ok(ipv4InCidr(again.ip, podCidr));
    assert.notEqual(again.ip, (await network.status(b))?.ip);
    await dispose(a);
    await dispose(b);
    // tearDown after the namespace is gone still succeeds.
    await network.tearDown(a);
    assert.deepEqual(readdirSync(ipamDir).filter((f) => /^\d/.test(f)), []);
  });

  test('a hostPort mapping forwards host and outside connections to the pod', async () => {
    const hostPort = 30000 + Math.floor(Math.random() * 2000);
    const web = await newSandbox('web', [
      { protocol: 'TCP', containerPort: 8080, hostPort },
      { protocol: 'UDP', containerPort: 53, hostPort: 0 }, // no hostPort: no rule
    ]);
    assert.deepEqual(await attachmentIptablesLines(networkName, web.id), []);
    const status = await network.setUp(web);
    const rules = await attachmentIptablesLines(networkName, web.id);
    assert.ok(rules.some((l) => l.includes(`--to-destination ${status.ip}:8080`)), `no DNAT rule in:\n${rules.join('\n')}`);
    assert.ok(rules.some((l) => l.includes(`--dport ${hostPort}`)));

    const listener = spawn('nsenter', [`--net=${web.netnsPath}`, '--', '/bin/busybox', 'nc', '-ll', '-p', '8080', '-e', '/bin/echo', 'pier-hostport-ok'], { stdio: 'ignore' });
    children.push(listener);
    // Wait until the pod answers on its own address before going through the mapping.
    await eventually('the listener in the pod', async () => ((await tcpRead(status.ip, 8080)).includes('pier-hostport-ok') ? true : undefined));

    // From the host, to the host's bridge address (OUTPUT chain DNAT).
    assert.match(await tcpRead(network.gateway, hostPort), /pier-hostport-ok/);

    // From an outside client: another namespace reaching the host over a veth (PREROUTING DNAT).
    const clientNetns = `${netnsPrefix}-client`;
    const hostSide = `ptc${suffix}`;
    const linkCidr = await freeSubnet(235);
    const hostIp = ipv4AddressInCidr(linkCidr, 1);
    const clientIp = ipv4AddressInCidr(linkCidr, 2);
    extraNetns.push(clientNetns);
    extraLinks.push(hostSide);
    await sh('ip', ['netns', 'add', clientNetns]);
    await sh('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNetns]);
    await sh('ip', ['addr', 'add', `${hostIp}/24`, 'dev', hostSide]);
    await sh('ip', ['link', 'set', hostSide, 'up']);
    await sh('ip', ['-n', clientNetns, 'addr', 'add', `${clientIp}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', clientNetns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', clientNetns, 'link', 'set', 'lo', 'up']);
    const fromOutside = await eventually('the mapping from the client namespace', async () => {
      const out = await sh('ip', ['netns', 'exec', clientNetns, '/bin/busybox', 'nc', '-w', '5', hostIp, String(hostPort)]).catch(() => '');
      return out.includes('pier-hostport-ok') ? out : undefined;
    });
    assert.match(fromOutside, /pier-hostport-ok/);

    listener.kill('SIGKILL');
    // portmap's DEL finds its rules by network and container, not by the mappings passed.
    await network.tearDown({ ...web, portMappings: [] });
    await dispose(web);
    assert.deepEqual(await attachmentIptablesLines(networkName, web.id), [], 'portmap rules survived tearDown');
    await assert.rejects(tcpRead(network.gateway, hostPort, 2000));
  });

  test('tearDown after the namespace is gone still frees the address, port rules and masquerade chain', async () => {
    const hostPort = 32000 + Math.floor(Math.random() * 700);
    const orphan = await newSandbox('orphan', [{ protocol: 'TCP', containerPort: 80, hostPort }]);
    const { ip } = await network.setUp(orphan);
    assert.ok((await attachmentIptablesLines(networkName, orphan.id)).length >= 4, 'expected masquerade and DNAT rules');
    await network.removeNetns(orphan.netnsPath);
    await network.tearDown(orphan);
    assert.deepEqual(await attachmentIptablesLines(networkName, orphan.id), []);
    assert.equal(readdirSync(join(dataDir, 'ipam', networkName)).includes(ip), false);
    await network.tearDown(orphan);
    sandboxes.delete(orphan.id);
  });

  test('a malformed port mapping is refused before any plugin runs', async () => {
    const bad = { id: `pt${suffix}-bad`, podName: 'bad', podNamespace: 'default', podUid: 'u', netnsPath: '/nonexistent' };
    await assert.rejects(network.setUp({ ...bad, portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: 'bogus' }] }), /hostIP "bogus" is not an IP/);
    await assert.rejects(network.setUp({ ...bad, portMappings: [{ protocol: 'TCP', containerPort: 0, hostPort: 8080 }] }), /invalid containerPort/);
    assert.deepEqual(await attachmentIptablesLines(networkName, bad.id), []);
  });

  test('a namespace directory other than /run/netns works', async () => {
    const dir = join(dataDir, 'netns');
    const other = new CniPodNetwork({ podCidr, bridgeName, networkName, dataDir, pluginDirs: cniPluginDirs, netnsDir: dir });
    const path = await other.createNetns(`pt${suffix}-custom`);
    assert.equal(path, join(dir, `pier-pt${suffix}-custom`));
    try {
      assert.match(await sh('nsenter', [`--net=${path}`, '--', 'ip', 'link', 'show', 'lo']), /lo:/);
      await assert.rejects(other.createNetns(`pt${suffix}-custom`));
    } finally {
      await other.removeNetns(path);
    }
    assert.equal(existsSync(path), false);
    await other.removeNetns(path);
  });

  test('cleanup keeps everything while a sandbox remains, then removes bridge and IPAM state', async () => {
    const last = await newSandbox('last');
    await network.setUp(last);
    const refused = await network.cleanup();
    assert.equal(refused.cleaned, false);
    assert.deepEqual(refused.remainingSandboxes, [last.id]);
    assert.equal(await linkExists(bridgeName), true);

    await dispose(last);
    const done = await network.cleanup();
    assert.deepEqual(done, { cleaned: true, remainingSandboxes: [] });
    assert.equal(await linkExists(bridgeName), false);
    assert.equal(existsSync(join(dataDir, 'ipam')), false);
    assert.equal(existsSync(join(dataDir, 'results')), false);
    assert.deepEqual(await networkIptablesLines(networkName), []);
    // Idempotent once clean.
    assert.deepEqual(await network.cleanup(), { cleaned: true, remainingSandboxes: [] });
  });
});

/** Connects, reads until the server closes, returns what it sent. */
function tcpRead(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error(`timed out reading ${host}:${port}`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
