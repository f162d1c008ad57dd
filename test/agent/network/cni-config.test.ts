/**
 * The CNI 1.0 runtime side against stand-in plugins (shell scripts that log
 * their environment and stdin): name/cniVersion injection, runtimeConfig
 * only for declared capabilities, prevResult chaining, DEL in reverse with
 * the cached result, CNI_ARGS, and error objects turned into CniError. The
 * real plugins answer VERSION at the end.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniConfig, pluginConfig } from '../../../agent/network/cni-config.ts';
import { CniError, CniErrorCode } from '../../../agent/network/cni-error.ts';
import { execPlugin, findPlugin, pluginEnvironment, pluginVersion } from '../../../agent/network/cni-plugin.ts';
import type { NetworkConfigList, RuntimeConf } from '../../../agent/network/cni-types.ts';
import { compareCniVersions, negotiateCniVersion } from '../../../agent/network/cni-version.ts';
import { statusFromResult } from '../../../agent/network/cni-pod-network.ts';
import { cniPluginDirs, executable } from './network-fixture.ts';

const firstResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'br' }, { name: 'eth0', sandbox: '/run/netns/x' }],
  ips: [{ interface: 1, address: '10.1.0.5/24', gateway: '10.1.0.1' }],
};
const secondResult = { ...firstResult, dns: { nameservers: ['10.1.0.1'] } };

interface Call {
  command: string;
  plugin: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  config: Record<string, any>;
}

describe('CNI runtime protocol (stand-in plugins)', () => {
  let dir = '';
  let pluginDir = '';
  let log = '';

  function writePlugin(name: string, body: string): void {
    const path = join(pluginDir, name);
    writeFileSync(
      path,
      `#!/bin/sh
in=$(cat)
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$CNI_COMMAND" "${name}" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$in" >> '${log}'
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'; exit 0; fi
${body}
`,
    );
    chmodSync(path, 0o755);
  }

  function calls(): Call[] {
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [command = '', plugin = '', containerId = '', netns = '', ifName = '', args = '', path = '', config = '{}'] = line.split('\t');
        return { command, plugin, containerId, netns, ifName, args, path, config: JSON.parse(config) as Record<string, any> };
      });
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pier-cni-fake-'));
    pluginDir = join(dir, 'bin');
    log = join(dir, 'calls.log');
    mkdirSync(pluginDir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rt: RuntimeConf = {
    containerId: 'sandbox-1',
    netns: '/run/netns/x',
    ifName: 'eth0',
    args: [['IgnoreUnknown', '1'], ['K8S_POD_NAMESPACE', 'default'], ['K8S_POD_NAME', 'web'], ['K8S_POD_INFRA_CONTAINER_ID', 'sandbox-1'], ['K8S_POD_UID', 'u1']],
    capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth: { ingressRate: 1 } },
  };
  const list: NetworkConfigList = {
    cniVersion: '1.0.0',
    name: 'fakenet',
    plugins: [
      { type: 'fake-first', cniVersion: '0.1.0', name: 'ignored', someField: 1 },
      { type: 'fake-second', capabilities: { portMappings: true, ipRanges: true, bandwidth: false } },
    ],
  };

  test('ADD runs the list in order, chaining prevResult and injecting name, version and runtimeConfig', async () => {
    writePlugin('fake-first', `echo '${JSON.stringify(firstResult)}'`);
    writePlugin('fake-second', `echo '${JSON.stringify(secondResult)}'`);
    const cni = new CniConfig({ pluginDirs: ['/nonexistent', pluginDir], cacheDir: join(dir, 'results') });
    const result = await cni.addNetworkList(list, rt);
    assert.deepEqual(result, secondResult);

    const [first, second, ...rest] = calls();
    assert.equal(rest.length, 0);
    assert.ok(first && second);
    assert.deepEqual([first.command, first.plugin, second.command, second.plugin], ['ADD', 'fake-first', 'ADD', 'fake-second']);
    for (const call of [first, second]) {
      assert.equal(call.containerId, 'sandbox-1');
      assert.equal(call.netns, '/run/netns/x');
      assert.equal(call.ifName, 'eth0');
      assert.equal(call.args, 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sandbox-1;K8S_POD_UID=u1');
      assert.equal(call.path, `/nonexistent:${pluginDir}`);
      assert.equal(call.config.name, 'fakenet');
      assert.equal(call.config.cniVersion, '1.0.0');
    }
    assert.equal(first.config.someField, 1);
    assert.equal('prevResult' in first.config, false);
    assert.equal('runtimeConfig' in first.config, false, 'no capabilities declared, no runtimeConfig');
    assert.deepEqual(second.config.prevResult, firstResult);
    // Only declared-and-enabled capabilities the runtime has values for.
    assert.deepEqual(second.config.runtimeConfig, { portMappings: rt.capabilityArgs.portMappings });
    assert.deepEqual(await cni.getCachedResult('fakenet', rt), secondResult);
    assert.deepEqual(await cni.cachedContainerIds('fakenet'), ['sandbox-1']);
  });

  test('CHECK and DEL hand every plugin the cached ADD result; DEL runs in reverse and forgets it', async () => {
    writeFileSync(log, '');
    writePlugin('fake-first', 'exit 0');
    writePlugin('fake-second', 'exit 0');
    const cni = new CniConfig({ pluginDirs: [pluginDir], cacheDir: join(dir, 'results') });
    await cni.checkNetworkList(list, rt);
    await cni.delNetworkList(list, rt);
    const seen = calls();
    assert.deepEqual(seen.map((c) => `${c.command} ${c.plugin}`), ['CHECK fake-first', 'CHECK fake-second', 'DEL fake-second', 'DEL fake-first']);
    for (const call of seen) assert.deepEqual(call.config.prevResult, secondResult);
    assert.equal(await cni.getCachedResult('fakenet', rt), undefined);

    // A second DEL has no cached result and sends none; CHECK without one is an error.
    writeFileSync(log, '');
    await cni.delNetworkList(list, rt);
    assert.ok(calls().every((c) => !('prevResult' in c.config)));
    await assert.rejects(cni.checkNetworkList(list, rt), (err: unknown) => err instanceof CniError && err.code === CniErrorCode.ContainerUnknown);
    // Pre-0.4.0 lists are never CHECKed and get no prevResult on DEL.
    writeFileSync(log, '');
    await cni.checkNetworkList({ ...list, cniVersion: '0.3.1' }, rt);
    await cni.checkNetworkList({ ...list, disableCheck: true }, rt);
    assert.deepEqual(calls(), []);
  });

  test('an error object on stdout becomes a CniError with code, msg and details', async () => {
    writePlugin('fake-first', `echo '${JSON.stringify(firstResult)}'`);
    writePlugin('fake-second', `echo '{"cniVersion":"1.0.0","code":7,"msg":"bridge pier0 is not a bridge","details":"found dummy"}'; exit 1`);
    const cni = new CniConfig({ pluginDirs: [pluginDir], cacheDir: join(dir, 'results') });
    await assert.rejects(cni.addNetworkList(list, rt), (err: unknown) => {
      assert.ok(err instanceof CniError);
      assert.equal(err.plugin, 'fake-second');
      assert.equal(err.command, 'ADD');
      assert.equal(err.code, 7);
      assert.equal(err.msg, 'bridge pier0 is not a bridge');
      assert.equal(err.details, 'found dummy');
      assert.equal(err.message, 'CNI plugin fake-second ADD failed (code 7 InvalidNetworkConfig): bridge pier0 is not a bridge; found dummy');
      return true;
    });
    // A failed ADD caches nothing.
    assert.equal(await cni.getCachedResult('fakenet', rt), undefined);
  });

  test('a plugin failing without an error object is reported with its stderr', async () => {
    writePlugin('fake-first', 'echo "netlink: operation not permitted" >&2; exit 2');
    await assert.rejects(
      execPlugin({ type: 'fake-first', command: 'DEL', config: {}, runtime: rt, pluginDirs: [pluginDir] }),
      /CNI plugin fake-first DEL failed: netlink: operation not permitted/,
    );
    writePlugin('fake-first', 'echo "not json"');
    await assert.rejects(
      execPlugin({ type: 'fake-first', command: 'ADD', config: {}, runtime: rt, pluginDirs: [pluginDir] }),
      (err: unknown) => err instanceof CniError && err.code === CniErrorCode.DecodingFailure,
    );
    writePlugin('fake-first', 'echo \'{"no":"version"}\'');
    const cni = new CniConfig({ pluginDirs: [pluginDir], cacheDir: join(dir, 'results') });
    await assert.rejects(cni.addNetworkList({ ...list, plugins: [{ type: 'fake-first' }] }, rt), /not a CNI Result/);
  });

  test('plugins are found by file name only, with an install hint when missing', async () => {
    await assert.rejects(findPlugin('no-such-plugin', [pluginDir]), /not found in .*apt-get install containernetworking-plugins/);
    await assert.rejects(findPlugin('../bin/sh', [pluginDir]), /invalid plugin type/);
    assert.equal(await findPlugin('fake-second', ['/nonexistent', pluginDir]), join(pluginDir, 'fake-second'));
  });

  test('the environment replaces stale CNI_ variables and keeps PATH', () => {
    const env = pluginEnvironment('DEL', rt, ['/a', '/b'], { PATH: '/usr/bin', CNI_NETNS: '/stale', CNI_ARGS: 'X=1' });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      CNI_COMMAND: 'DEL',
      CNI_PATH: '/a:/b',
      CNI_CONTAINERID: 'sandbox-1',
      CNI_NETNS: '/run/netns/x',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sandbox-1;K8S_POD_UID=u1',
    });
    assert.deepEqual(pluginEnvironment('VERSION', undefined, ['/a'], {}), { CNI_COMMAND: 'VERSION', CNI_PATH: '/a' });
  });

  test('pluginConfig leaves the list plugin untouched', () => {
    const plugin = list.plugins[1];
    assert.ok(plugin);
    const config = pluginConfig(list, plugin, rt, firstResult);
    assert.equal(config.prevResult, firstResult);
    assert.equal('prevResult' in plugin, false);
  });

  test('version negotiation picks the newest version all plugins share', () => {
    assert.equal(compareCniVersions('1.0.0', '0.4.0') > 0, true);
    assert.equal(compareCniVersions('0.3.1', '0.3.1'), 0);
    assert.equal(compareCniVersions('0.10.0', '0.4.0') > 0, true);
    const info = (...v: string[]) => ({ cniVersion: v[v.length - 1] ?? '', supportedVersions: v });
    assert.equal(negotiateCniVersion([{ type: 'a', info: info('0.3.1', '0.4.0', '1.0.0') }, { type: 'b', info: info('0.4.0', '1.0.0', '1.1.0') }]), '1.0.0');
    assert.equal(negotiateCniVersion([{ type: 'a', info: info('0.3.1', '0.4.0', '1.0.0') }, { type: 'b', info: info('0.3.0', '0.3.1', '0.4.0') }]), '0.4.0');
    assert.throws(() => negotiateCniVersion([{ type: 'a', info: info('0.1.0', '0.2.0') }]), /no CNI version common .*a: 0\.1\.0,0\.2\.0/);
  });

  test('statusFromResult takes the sandbox interface addresses, IPv4 first', () => {
    assert.deepEqual(statusFromResult(firstResult), { ip: '10.1.0.5', ips: ['10.1.0.5'] });
    assert.deepEqual(
      statusFromResult({
        cniVersion: '0.4.0',
        interfaces: [{ name: 'br' }, { name: 'eth0', sandbox: '/x' }],
        ips: [
          { interface: 0, address: '10.1.0.1/24' },
          { interface: 1, address: 'fd00::5/64', version: '6' },
          { interface: 1, address: '10.1.0.6/24', version: '4' },
        ],
      }),
      { ip: '10.1.0.6', ips: ['10.1.0.6', 'fd00::5'] },
    );
    assert.throws(() => statusFromResult({ cniVersion: '1.0.0' }), /no address/);
  });

  test('the installed reference plugins answer VERSION and share 1.0.0', async () => {
    for (const type of ['loopback', 'bridge', 'host-local', 'portmap']) {
      if (!cniPluginDirs.some((d) => executable(join(d, type)))) assert.fail('apt-get install containernetworking-plugins iproute2');
    }
    const infos = await Promise.all(
      ['loopback', 'bridge', 'host-local', 'portmap'].map(async (type) => ({ type, info: await pluginVersion(type, cniPluginDirs) })),
    );
    for (const { info } of infos) assert.ok(info.supportedVersions.includes('1.0.0'), JSON.stringify(info));
    assert.equal(negotiateCniVersion(infos), '1.0.0');
  });
});
