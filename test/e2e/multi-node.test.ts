/**
 * Issue 6 done-criteria on a real three-node cluster in network namespaces
 * (`pier up --agent false --nodes 3`): pod-to-pod across nodes without NAT,
 * Services by DNS name across nodes, scaling and readiness in the
 * endpoints, NodePorts on every node, a deleted Service's rules leaving the
 * packet filter, and a node failing (agent killed, namespace cut off) with
 * its pods recreated elsewhere while the Service keeps answering.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { busyboxImage, eventually, sh, startMultiNodeCluster, type MultiNodeCluster } from './multi-node-support.ts';

let c: MultiNodeCluster;
let teardown: Array<() => Promise<void> | void> = [];

before(async () => {
  c = await startMultiNodeCluster({ after: (fn) => void teardown.push(fn) });
}, { timeout: 600_000 });

after(async () => {
  for (const fn of teardown.reverse()) await fn();
  teardown = [];
}, { timeout: 180_000 });

interface PodView {
  name: string;
  nodeName: string;
  ip: string;
  ready: boolean;
  terminating: boolean;
}

async function pods(selector: string): Promise<PodView[]> {
  const { stdout } = await c.kubectl(['get', 'pods', '-l', selector, '-o', 'json']);
  return (JSON.parse(stdout).items as any[]).map((p) => ({
    name: p.metadata.name,
    nodeName: p.spec.nodeName ?? '',
    ip: p.status?.podIP ?? '',
    ready: (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'),
    terminating: !!p.metadata.deletionTimestamp,
  }));
}

async function readyEndpointIps(service: string): Promise<string[]> {
  const { stdout } = await c.kubectl(['get', 'endpoints', service, '-o', 'json'], { allowFailure: true });
  if (!stdout) return [];
  const subsets = (JSON.parse(stdout).subsets ?? []) as Array<{ addresses?: Array<{ ip: string }> }>;
  return subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

/** Runs a shell script in the client pod (on the first node). */
async function inClient(script: string, timeoutMs = 90_000): Promise<string> {
  const res = await c.kubectl(['exec', 'client', '--', 'sh', '-c', script], { timeoutMs, allowFailure: true });
  if (res.code !== 0) throw new Error(`exec in client failed (${res.code}): ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/**
 * `n` HTTP GETs of `host`:80 from the client pod; one line per answer (the
 * page, i.e. the serving pod's name), "FAIL" for none. nc, not wget: this
 * busybox's wget crashes (static glibc) where nc resolves names itself.
 */
async function fetchFromClient(host: string, n: number): Promise<string[]> {
  const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 80 2>/dev/null | tail -n 1 | grep . || echo FAIL`;
  const out = await inClient(`for i in $(seq ${n}); do ${get}; done`);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

function httpGet(host: string, port: number, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Rules in a node's nftables proxy table. */
async function proxyRules(nodeName: string): Promise<string[]> {
  const text = await sh('ip', ['netns', 'exec', nodeName, 'nft', 'list', 'table', 'ip', 'pier-proxy']).catch(() => '');
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(table|chain|set|map|type|elements|flags|policy|\})/.test(l) && !l.endsWith('{'));
}

const webDeployment = (replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        nodeSelector: { 'pier-test/web': 'true' },
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'httpd',
            image: busyboxImage,
            command: [
              'sh', '-c',
              // The page is the pod's name; cgi-bin/ip echoes the caller's address as the server sees it.
              'mkdir -p /www/cgi-bin && hostname > /www/index.html && ' +
                "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && " +
                'touch /tmp/ready && exec httpd -f -p 80 -h /www',
            ],
            ports: [{ containerPort: 80 }],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 },
          },
        ],
      },
    },
  },
});

test('three nodes register, each with its own pod CIDR and address', { timeout: 180_000 }, async () => {
  const nodes = await eventually('three Ready nodes', async () => {
    const { stdout } = await c.kubectl(['get', 'nodes', '-o', 'json']);
    const items = JSON.parse(stdout).items as any[];
    const ready = items.filter((n) => (n.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'));
    return ready.length === 3 ? items : undefined;
  });
  const cidrs = nodes.map((n) => n.spec.podCIDR as string);
  assert.equal(new Set(cidrs).size, 3, `distinct pod CIDRs: ${cidrs}`);
  for (const cidr of cidrs) assert.match(cidr, /^10\.244\.\d+\.0\/24$/);
  const ips = nodes.map((n) => n.status.addresses.find((a: any) => a.type === 'InternalIP').address).sort();
  assert.deepEqual(ips, c.nodes.map((n) => n.address).sort());
  // Each node's namespace routes the other two nodes' pod CIDRs via their addresses.
  for (const node of c.nodes) {
    await eventually(`${node.name}'s routes`, async () => {
      const routes = await sh('ip', ['-n', node.name, 'route', 'show', 'proto', '147']);
      return routes.trim().split('\n').filter((l) => l.includes(' via ')).length === 2;
    }, 60_000);
  }
});

test('a pod on node A reaches a Service by name whose only endpoint is on node C, without NAT between pods', { timeout: 400_000 }, async () => {
  const [a, , cNode] = c.nodes as [typeof c.nodes[0], typeof c.nodes[0], typeof c.nodes[0]];
  await c.kubectl(['label', 'node', cNode.name, 'pier-test/web=true']);
  await c.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(webDeployment(1)) });
  await c.kubectl(['apply', '-f', '-'], {
    stdin: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] },
    }),
  });
  await c.kubectl(['apply', '-f', '-'], {
    stdin: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'default' },
      spec: { nodeName: a.name, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: busyboxImage, command: ['sleep', '100000'] }] },
    }),
  });
  const [web] = await eventually('the web pod Ready on node C', async () => {
    const list = await pods('app=web');
    return list.length === 1 && list[0]!.ready && list[0]!.nodeName === cNode.name ? list : undefined;
  }, 240_000);
  const [client] = await eventually('the client pod Ready on node A', async () => {
    const list = (await pods('')).filter((p) => p.name === 'client');
    return list[0]?.ready ? list : undefined;
  }, 240_000);
  await eventually('the web endpoint', async () => JSON.stringify(await readyEndpointIps('web')) === JSON.stringify([web!.ip]));

  // Pod to pod across nodes: the server sees the client's own pod IP.
  // busybox httpd gives REMOTE_ADDR as [::ffff:a.b.c.d]; wget cannot read a CGI answer without a length, nc can.
  const seen = await eventually('a direct fetch of the web pod', async () => {
    const out = await inClient(`printf 'GET /cgi-bin/ip HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${web!.ip} 80`);
    return /(\d+\.\d+\.\d+\.\d+)\]?\s*$/.exec(out.trim())?.[1];
  }, 60_000);
  assert.equal(seen, client!.ip, 'pod-to-pod traffic between nodes is not NATed');

  const resolv = await inClient('cat /etc/resolv.conf');
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
  assert.match(resolv, /^nameserver 10\.244\.\d+\.1$/m);

  for (const url of ['web.default.svc.cluster.local', 'web']) {
    const answers = await eventually(`${url} from the client`, async () => {
      const lines = await fetchFromClient(url, 3);
      return lines.every((l) => l === web!.name) ? lines : undefined;
    }, 90_000);
    assert.deepEqual(answers, [web!.name, web!.name, web!.name]);
  }
});

test('scaling the Deployment adds endpoints and traffic reaches the new pods', { timeout: 300_000 }, async () => {
  for (const node of c.nodes) await c.kubectl(['label', 'node', node.name, 'pier-test/web=true', '--overwrite']);
  await c.kubectl(['scale', 'deployment', 'web', '--replicas', '3']);
  const web = await eventually('three Ready web pods', async () => {
    const list = (await pods('app=web')).filter((p) => !p.terminating);
    return list.length === 3 && list.every((p) => p.ready) ? list : undefined;
  }, 240_000);
  await eventually('three web endpoints', async () => JSON.stringify(await readyEndpointIps('web')) === JSON.stringify(web.map((p) => p.ip).sort()));
  const names = new Set(web.map((p) => p.name));
  const seen = new Set<string>();
  await eventually('answers from every web pod', async () => {
    for (const line of await fetchFromClient('web', 12)) {
      assert.ok(names.has(line), `unexpected answer ${line}`);
      seen.add(line);
    }
    return seen.size === names.size;
  }, 120_000, 100);
});

test('a pod that turns unready leaves the endpoints and gets no traffic', { timeout: 240_000 }, async () => {
  const web = (await pods('app=web')).filter((p) => !p.terminating);
  const victim = web[0]!;
  const res = await c.kubectl(['exec', victim.name, '--', 'rm', '/tmp/ready'], { allowFailure: true });
  assert.equal(res.code, 0, res.stderr);
  await eventually('the unready pod out of the endpoints', async () => {
    const ips = await readyEndpointIps('web');
    return ips.length === 2 && !ips.includes(victim.ip);
  }, 90_000);
  // Let the proxies apply the change before asserting on traffic.
  await new Promise((r) => setTimeout(r, 2000));
  const answers = await fetchFromClient('web', 12);
  assert.ok(!answers.includes(victim.name), `the unready pod answered: ${answers}`);
  assert.ok(!answers.includes('FAIL'), `a fetch failed: ${answers}`);
  await c.kubectl(['exec', victim.name, '--', 'touch', '/tmp/ready']);
  await eventually('the pod back in the endpoints', async () => (await readyEndpointIps('web')).length === 3, 90_000);
});

test('a NodePort answers on every node, and deleting its Service removes its rules', { timeout: 240_000 }, async () => {
  await c.kubectl(['apply', '-f', '-'], {
    stdin: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-np', namespace: 'default' },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] },
    }),
  });
  const { stdout } = await c.kubectl(['get', 'service', 'web-np', '-o', 'json']);
  const svc = JSON.parse(stdout);
  const nodePort = svc.spec.ports[0].nodePort as number;
  const clusterIp = svc.spec.clusterIP as string;
  const names = new Set((await pods('app=web')).map((p) => p.name));
  for (const node of c.nodes) {
    const res = await eventually(`NodePort ${nodePort} on ${node.address}`, () => httpGet(node.address, nodePort).then((r) => (r.status === 200 ? r : undefined)), 60_000);
    assert.ok(names.has(res.body.trim()), `NodePort on ${node.name} answered ${res.body}`);
  }

  const mentions = (rules: string[]) => rules.filter((r) => r.includes(clusterIp) || new RegExp(`\\b${nodePort}\\b`).test(r)).length;
  const before = new Map<string, { total: number; mine: number }>();
  for (const node of c.nodes) {
    const rules = await proxyRules(node.name);
    before.set(node.name, { total: rules.length, mine: mentions(rules) });
    assert.ok(mentions(rules) > 0, `${node.name} has rules for web-np (${rules.length} rules)`);
  }
  await c.kubectl(['delete', 'service', 'web-np']);
  for (const node of c.nodes) {
    const after = await eventually(`${node.name}'s web-np rules gone`, async () => {
      const rules = await proxyRules(node.name);
      return mentions(rules) === 0 ? rules : undefined;
    }, 60_000);
    const b = before.get(node.name)!;
    assert.ok(after.length < b.total, `${node.name}: ${b.total} rules before, ${after.length} after`);
    assert.ok(after.length > 0, `${node.name} keeps the other Services' rules`);
  }
  await assert.rejects(httpGet(c.nodes[0]!.address, nodePort, 2000));
});

test('a node that dies goes NotReady, its pods come back on the others, and the Service keeps answering', { timeout: 400_000 }, async () => {
  const [a, b, dead] = c.nodes as [typeof c.nodes[0], typeof c.nodes[0], typeof c.nodes[0]];
  const beforeWeb = (await pods('app=web')).filter((p) => !p.terminating);
  const onDead = beforeWeb.filter((p) => p.nodeName === dead.name);
  assert.ok(onDead.length > 0, `a web pod runs on ${dead.name}: ${JSON.stringify(beforeWeb)}`);

  const killedAt = Date.now();
  for (const pid of await c.agentPids(dead)) process.kill(pid, 'SIGKILL');
  await c.namespaces.disconnect(dead.index);

  await eventually(`${dead.name} NotReady`, async () => {
    const { stdout } = await c.kubectl(['get', 'node', dead.name, '-o', 'json']);
    const ready = (JSON.parse(stdout).status.conditions as any[]).find((x) => x.type === 'Ready');
    return ready && ready.status !== 'True';
  }, 120_000, 1000);
  const notReadyAfter = (Date.now() - killedAt) / 1000;

  const replaced = await eventually('three Ready web pods on the other nodes', async () => {
    const list = (await pods('app=web')).filter((p) => !p.terminating);
    return list.length === 3 && list.every((p) => p.ready && (p.nodeName === a.name || p.nodeName === b.name)) ? list : undefined;
  }, 240_000, 1000);
  await eventually('endpoints only on live nodes', async () => JSON.stringify(await readyEndpointIps('web')) === JSON.stringify(replaced.map((p) => p.ip).sort()), 60_000);
  const recoveredAfter = (Date.now() - killedAt) / 1000;
  process.stdout.write(`# failover: node NotReady after ${notReadyAfter.toFixed(1)} s, pods replaced and endpoints clean after ${recoveredAfter.toFixed(1)} s\n`);

  await new Promise((r) => setTimeout(r, 2000));
  const names = new Set(replaced.map((p) => p.name));
  const answers = await fetchFromClient('web.default.svc.cluster.local', 12);
  assert.ok(answers.every((l) => names.has(l)), `every request answered by a live pod: ${answers}`);
});
