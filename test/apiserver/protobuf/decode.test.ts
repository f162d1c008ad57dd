/**
 * Hand-built protobuf objects (a tiny wire encoder below) for the kinds kubectl
 * never sends from `create` but that typed clients do: a Pod with most of
 * PodSpec, Eviction, Scale, Lease, Event, Node, Endpoints, Binding, ReplicaSet,
 * SubjectAccessReview; plus the special types, omitempty rules, unknown fields,
 * and hostile input (always a 400 StatusError).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobufObject, knownMessageNames, protobufSchemas } from '../../../apiserver/endpoints/protobuf/decode.ts';
import { formatGoDuration, wellKnownMessages } from '../../../apiserver/endpoints/protobuf/well-known-types.ts';
import { StatusError } from '../../../apiserver/errors/status-error.ts';

// --- a tiny protobuf encoder -------------------------------------------------

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const ld = (field: number, payload: Buffer) => Buffer.concat([key(field, 2), varint(payload.length), payload]);
const str = (field: number, s: string) => ld(field, Buffer.from(s, 'utf8'));
const msg = (field: number, ...parts: Buffer[]) => ld(field, Buffer.concat(parts));
const int = (field: number, v: number | bigint) => Buffer.concat([key(field, 0), varint(v)]);
const bool = (field: number, v: boolean) => int(field, v ? 1 : 0);
const strs = (field: number, ...values: string[]) => Buffer.concat(values.map((v) => str(field, v)));
const mapStr = (field: number, entries: Record<string, string>) => Buffer.concat(Object.entries(entries).map(([k, v]) => msg(field, str(1, k), str(2, v))));
const mapQty = (field: number, entries: Record<string, string>) => Buffer.concat(Object.entries(entries).map(([k, v]) => msg(field, str(1, k), msg(2, str(1, v)))));
const qty = (field: number, q: string) => msg(field, str(1, q));
const intOrInt = (field: number, n: number) => msg(field, int(1, 0), int(2, n), str(3, ''));
const intOrStr = (field: number, s: string) => msg(field, int(1, 1), int(2, 0), str(3, s));
const time = (field: number, seconds: number, nanos = 0) => msg(field, int(1, seconds), int(2, nanos));
const magic = Buffer.from('6b387300', 'hex');
const frame = (apiVersion: string, kind: string, ...parts: Buffer[]) =>
  Buffer.concat([magic, msg(1, str(1, apiVersion), str(2, kind)), ld(2, Buffer.concat(parts)), str(3, ''), str(4, '')]);

const t0 = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000; // 2026-01-02T03:04:05Z

function assertBadRequest(body: Buffer, pattern?: RegExp): void {
  assert.throws(
    () => decodeProtobufObject(body),
    (err: unknown) => {
      assert.ok(err instanceof StatusError, `want StatusError, got ${String(err)}`);
      assert.equal(err.code, 400);
      assert.equal(err.reason, 'BadRequest');
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

// --- objects -----------------------------------------------------------------

describe('protobuf objects', () => {
  it('Pod: ObjectMeta in full and most of PodSpec', () => {
    const meta = msg(
      1,
      str(1, 'web'),
      str(2, ''),
      str(3, 'default'),
      str(5, 'u-1'),
      str(6, '42'),
      int(7, 0),
      msg(8), // zero creationTimestamp: omitted, as client-go sends null
      mapStr(11, { app: 'web' }),
      mapStr(12, { note: 'x' }),
      msg(13, str(1, 'ReplicaSet'), str(3, 'web-1'), str(4, 'rs-uid'), str(5, 'apps/v1'), bool(6, true), bool(7, false)),
      strs(14, 'example.com/f'),
      msg(17, str(1, 'kubectl'), str(2, 'Update'), str(3, 'v1'), time(4, t0), str(6, 'FieldsV1'), msg(7, ld(1, Buffer.from('{"f:metadata":{"f:labels":{}}}'))), str(8, '')),
    );
    const container = msg(
      2,
      str(1, 'app'),
      str(2, 'nginx:1.25'),
      strs(3, 'sh'),
      strs(4, '-c', 'run'),
      str(5, '/w'),
      msg(6, str(1, 'http'), int(2, 0), int(3, 80), str(4, 'TCP'), str(5, '')),
      msg(7, str(1, 'A'), str(2, '1')),
      msg(7, str(1, 'POD_NAME'), str(2, ''), msg(3, msg(1, str(1, 'v1'), str(2, 'metadata.name')))),
      msg(7, str(1, 'PASS'), msg(3, msg(4, msg(1, str(1, 's')), str(2, 'pw'), bool(3, false)))),
      msg(7, str(1, 'CM'), msg(3, msg(3, msg(1, str(1, 'cm')), str(2, 'k')))),
      msg(7, str(1, 'MEM'), msg(3, msg(2, str(1, ''), str(2, 'limits.memory'), qty(3, '1Mi')))),
      msg(8, mapQty(1, { cpu: '500m', memory: '128Mi' }), mapQty(2, { cpu: '100m' })),
      msg(9, str(1, 'cfg'), bool(2, true), str(3, '/etc/cfg'), str(4, '')),
      msg(10, msg(1, msg(2, str(1, '/healthz'), intOrInt(2, 8080), str(4, 'HTTP'), msg(5, str(1, 'X'), str(2, 'y')))), int(2, 5), int(3, 1), int(4, 10), int(5, 1), int(6, 3)),
      msg(11, msg(1, msg(3, intOrStr(1, 'http'))), int(2, 0)),
      msg(12, msg(2, msg(1, strs(1, 'sleep', '5'))), msg(1, msg(2, intOrInt(2, 80)))),
      str(13, '/dev/termination-log'),
      str(14, 'IfNotPresent'),
      msg(15, msg(1, strs(2, 'ALL')), bool(2, false), int(4, 0), bool(5, false), bool(7, false)),
      bool(16, false),
      bool(17, false),
      bool(18, true),
      msg(19, str(1, 'P_'), msg(2, msg(1, str(1, 'cm')))),
      str(20, 'File'),
      msg(22, msg(1, msg(1, strs(1, 'cat', '/ready'))), int(6, 30)),
      int(999, 7), // unknown field numbers are skipped
      str(998, 'ignored'),
    );
    const spec = msg(
      2,
      // Volume {1 name, 2 VolumeSource (inline in JSON) {19 configMap, 2 emptyDir, …}}
      msg(1, str(1, 'cfg'), msg(2, msg(19, msg(1, str(1, 'app-config')), msg(2, str(1, 'k'), str(2, 'p')), int(3, 420)))),
      msg(1, str(1, 'scratch'), msg(2, msg(2, str(1, 'Memory'), qty(2, '1Gi')))),
      msg(1, str(1, 'data'), msg(2, msg(10, str(1, 'pvc'), bool(2, true)))),
      msg(1, str(1, 'logs'), msg(2, msg(1, str(1, '/var/log'), str(2, 'Directory')))),
      msg(1, str(1, 'sec'), msg(2, msg(6, str(1, 's'), bool(4, false)))),
      msg(1, str(1, 'info'), msg(2, msg(16, msg(1, str(1, 'labels'), msg(2, str(2, 'metadata.labels')))))),
      msg(1, str(1, 'token'), msg(2, msg(26, msg(1, msg(4, str(1, 'api'), int(2, 3600), str(3, 'token')))))),
      container,
      str(3, 'Always'),
      int(4, 0),
      int(5, 600),
      str(6, 'ClusterFirst'),
      mapStr(7, { disk: 'ssd' }),
      str(8, 'sa'),
      str(10, 'n1'),
      bool(11, true),
      bool(12, false),
      bool(13, false),
      msg(14, int(2, 1000), int(5, 2000), int(4, 3000)),
      msg(15, str(1, 'regcred')),
      str(16, 'h'),
      str(17, 'sd'),
      msg(18, msg(1, msg(1, msg(1, msg(1, str(1, 'zone'), str(2, 'In'), strs(3, 'a', 'b')))))),
      str(19, 'default-scheduler'),
      msg(20, str(1, 'init'), str(2, 'busybox'), msg(10, msg(1, msg(4, int(1, 9000))))),
      bool(21, false),
      msg(22, str(1, 'k'), str(2, 'Exists'), str(4, 'NoSchedule'), int(5, 30)),
      str(24, 'high'),
      int(25, 0),
      msg(33, int(1, 1), str(2, 'zone'), str(3, 'DoNotSchedule'), msg(4, mapStr(1, { app: 'web' }), msg(2, str(1, 'tier'), str(2, 'NotIn'), strs(3, 'db')))),
    );
    const status = msg(3, str(1, 'Pending'), str(9, ''));
    assert.deepStrictEqual(decodeProtobufObject(frame('v1', 'Pod', meta, spec, status)), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'u-1',
        resourceVersion: '42',
        labels: { app: 'web' },
        annotations: { note: 'x' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', apiVersion: 'apps/v1', controller: true, blockOwnerDeletion: false }],
        finalizers: ['example.com/f'],
        managedFields: [
          { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } },
        ],
      },
      spec: {
        volumes: [
          { name: 'cfg', configMap: { name: 'app-config', items: [{ key: 'k', path: 'p' }], defaultMode: 420 } },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
          { name: 'data', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
          { name: 'logs', hostPath: { path: '/var/log', type: 'Directory' } },
          { name: 'sec', secret: { secretName: 's', optional: false } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } }] } },
        ],
        containers: [
          {
            name: 'app',
            image: 'nginx:1.25',
            command: ['sh'],
            args: ['-c', 'run'],
            workingDir: '/w',
            ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'pw', optional: false } } },
              { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            ],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
            volumeMounts: [{ name: 'cfg', readOnly: true, mountPath: '/etc/cfg' }],
            livenessProbe: {
              httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] },
              initialDelaySeconds: 5,
              timeoutSeconds: 1,
              periodSeconds: 10,
              successThreshold: 1,
              failureThreshold: 3,
            },
            readinessProbe: { tcpSocket: { port: 'http' } },
            lifecycle: { preStop: { exec: { command: ['sleep', '5'] } }, postStart: { httpGet: { port: 80 } } },
            terminationMessagePath: '/dev/termination-log',
            imagePullPolicy: 'IfNotPresent',
            securityContext: { capabilities: { drop: ['ALL'] }, privileged: false, runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false },
            tty: true,
            envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm' } }],
            terminationMessagePolicy: 'File',
            startupProbe: { exec: { command: ['cat', '/ready'] }, failureThreshold: 30 },
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 0,
        activeDeadlineSeconds: 600,
        dnsPolicy: 'ClusterFirst',
        nodeSelector: { disk: 'ssd' },
        serviceAccountName: 'sa',
        nodeName: 'n1',
        hostNetwork: true,
        securityContext: { runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000] },
        imagePullSecrets: [{ name: 'regcred' }],
        hostname: 'h',
        subdomain: 'sd',
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
        schedulerName: 'default-scheduler',
        initContainers: [{ name: 'init', image: 'busybox', livenessProbe: { grpc: { port: 9000 } } }],
        automountServiceAccountToken: false,
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }],
        priorityClassName: 'high',
        priority: 0,
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] } },
        ],
      },
      status: { phase: 'Pending' },
    });
  });

  it('policy/v1 Eviction with DeleteOptions', () => {
    const body = frame(
      'policy/v1',
      'Eviction',
      msg(1, str(1, 'p1'), str(3, 'default')),
      msg(2, int(1, 30), msg(2, str(1, 'uid-1'), str(2, '7')), str(4, 'Foreground'), strs(5, 'All')),
    );
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p1', namespace: 'default' },
      deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: 'uid-1', resourceVersion: '7' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
    // drain's own body: empty DeleteOptions.
    assert.deepStrictEqual(decodeProtobufObject(frame('policy/v1', 'Eviction', msg(1, str(1, 'p1'), str(3, 'default'), msg(8)), msg(2))), {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p1', namespace: 'default' },
      deleteOptions: {},
    });
  });

  it('autoscaling/v1 Scale: omitempty spec.replicas, non-omitempty status.replicas', () => {
    const body = frame('autoscaling/v1', 'Scale', msg(1, str(1, 'd'), str(3, 'default'), str(6, '9')), msg(2, int(1, 0)), msg(3, int(1, 0), str(2, 'app=d')));
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'd', namespace: 'default', resourceVersion: '9' },
      spec: {},
      status: { replicas: 0, selector: 'app=d' },
    });
  });

  it('apps/v1 ReplicaSet and Deployment with IntOrString and keep-zero replicas', () => {
    const template = msg(3, msg(1, mapStr(11, { app: 'a' })), msg(2, msg(2, str(1, 'c'), str(2, 'i'))));
    assert.deepStrictEqual(decodeProtobufObject(frame('apps/v1', 'ReplicaSet', msg(1, str(1, 'rs')), msg(2, int(1, 0), msg(2, mapStr(1, { app: 'a' })), template))), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    const deployment = frame(
      'apps/v1',
      'Deployment',
      msg(1, str(1, 'd')),
      msg(2, int(1, 3), msg(4, str(1, 'RollingUpdate'), msg(2, intOrInt(1, 0), intOrStr(2, '25%'))), int(6, 10), bool(7, false), int(9, 600)),
    );
    assert.deepStrictEqual(decodeProtobufObject(deployment), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 },
    });
  });

  it('Service spec: clusterIPs, ipFamilies, policies, session affinity', () => {
    const body = frame(
      'v1',
      'Service',
      msg(1, str(1, 's')),
      msg(
        2,
        msg(1, str(1, 'http'), str(2, 'TCP'), int(3, 80), intOrInt(4, 8080), int(5, 30080)),
        mapStr(2, { app: 's' }),
        str(3, '10.0.0.10'),
        str(4, 'NodePort'),
        str(7, 'ClientIP'),
        str(11, 'Local'),
        msg(14, msg(1, int(1, 10800))),
        str(17, 'SingleStack'),
        strs(18, '10.0.0.10'),
        strs(19, 'IPv4'),
        str(22, 'Cluster'),
      ),
    );
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        selector: { app: 's' },
        clusterIP: '10.0.0.10',
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        externalTrafficPolicy: 'Local',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ipFamilyPolicy: 'SingleStack',
        clusterIPs: ['10.0.0.10'],
        ipFamilies: ['IPv4'],
        internalTrafficPolicy: 'Cluster',
      },
    });
  });

  it('coordination/v1 Lease: MicroTime keeps microseconds', () => {
    const body = frame('coordination.k8s.io/v1', 'Lease', msg(1, str(1, 'node-1'), str(3, 'kube-node-lease')), msg(2, str(1, 'node-1'), int(2, 40), time(3, t0, 123456789), time(4, t0), int(5, 0)));
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'node-1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, acquireTime: '2026-01-02T03:04:05.123456Z', renewTime: '2026-01-02T03:04:05.000000Z', leaseTransitions: 0 },
    });
  });

  it('core/v1 Event: Time drops nanoseconds as metav1.Time does', () => {
    const body = frame(
      'v1',
      'Event',
      msg(1, str(1, 'web.1'), str(3, 'default')),
      msg(2, str(1, 'Pod'), str(2, 'default'), str(3, 'web'), str(4, 'u-1'), str(5, 'v1')),
      str(3, 'Scheduled'),
      str(4, 'Successfully assigned'),
      msg(5, str(1, 'default-scheduler')),
      time(6, t0, 999),
      time(7, t0 + 60),
      int(8, 1),
      str(9, 'Normal'),
      msg(10),
      str(14, 'default-scheduler'),
      str(15, ''),
    );
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u-1', apiVersion: 'v1' },
      reason: 'Scheduled',
      message: 'Successfully assigned',
      source: { component: 'default-scheduler' },
      firstTimestamp: '2026-01-02T03:04:05Z',
      lastTimestamp: '2026-01-02T03:05:05Z',
      count: 1,
      type: 'Normal',
      reportingComponent: 'default-scheduler',
      reportingInstance: '',
    });
  });

  it('core/v1 Node: spec and common status', () => {
    const body = frame(
      'v1',
      'Node',
      msg(1, str(1, 'n1')),
      msg(2, str(1, '10.244.0.0/24'), bool(4, true), msg(5, str(1, 'k'), str(3, 'NoSchedule'), time(4, t0)), strs(7, '10.244.0.0/24')),
      msg(
        3,
        mapQty(1, { cpu: '4', memory: '8Gi', pods: '110' }),
        mapQty(2, { cpu: '3900m' }),
        msg(4, str(1, 'Ready'), str(2, 'True'), time(3, t0), time(4, t0), str(5, 'KubeletReady'), str(6, 'ok')),
        msg(5, str(1, 'InternalIP'), str(2, '10.0.0.1')),
        msg(6, msg(1, int(1, 10250))),
        msg(7, str(7, 'v1.32.0'), str(9, 'linux'), str(10, 'amd64')),
      ),
    );
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.244.0.0/24', unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule', timeAdded: '2026-01-02T03:04:05Z' }], podCIDRs: ['10.244.0.0/24'] },
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '3900m' },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-02T03:04:05Z', lastTransitionTime: '2026-01-02T03:04:05Z', reason: 'KubeletReady', message: 'ok' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: { kubeletVersion: 'v1.32.0', operatingSystem: 'linux', architecture: 'amd64' },
      },
    });
  });

  it('core/v1 Endpoints and Binding', () => {
    const endpoints = frame(
      'v1',
      'Endpoints',
      msg(1, str(1, 'web')),
      msg(2, msg(1, str(1, '10.1.0.5'), msg(2, str(1, 'Pod'), str(2, 'default'), str(3, 'p')), str(4, 'n1')), msg(3, str(1, 'http'), int(2, 80), str(3, 'TCP'))),
    );
    assert.deepStrictEqual(decodeProtobufObject(endpoints), {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web' },
      subsets: [{ addresses: [{ ip: '10.1.0.5', targetRef: { kind: 'Pod', namespace: 'default', name: 'p' }, nodeName: 'n1' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    });
    assert.deepStrictEqual(decodeProtobufObject(frame('v1', 'Binding', msg(1, str(1, 'p'), str(3, 'default')), msg(2, str(1, 'Node'), str(3, 'n1')))), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'p', namespace: 'default' },
      target: { kind: 'Node', name: 'n1' },
    });
  });

  it('SubjectAccessReview: extra is a map of string lists', () => {
    const body = frame(
      'authorization.k8s.io/v1',
      'SubjectAccessReview',
      msg(1),
      msg(2, msg(2, str(1, '/healthz'), str(2, 'get')), str(3, 'alice'), strs(4, 'devs', 'ops'), msg(5, str(1, 'scopes'), msg(2, strs(1, 'a', 'b'))), msg(5, str(1, 'empty'))),
    );
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' }, user: 'alice', groups: ['devs', 'ops'], extra: { scopes: ['a', 'b'], empty: [] } },
    });
  });

  it('DeleteOptions under any group version, as every group registers it', () => {
    assert.deepStrictEqual(decodeProtobufObject(frame('apps/v1', 'DeleteOptions', str(4, 'Orphan'))), { apiVersion: 'apps/v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' });
    assert.deepStrictEqual(decodeProtobufObject(frame('meta.k8s.io/v1', 'DeleteOptions', bool(3, false))), { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', orphanDependents: false });
  });
});

describe('protobuf wire details', () => {
  it('packed and unpacked repeated integers both decode', () => {
    const packed = ld(4, Buffer.concat([varint(1), varint(2), varint(300)]));
    const pod = (sc: Buffer) => decodeProtobufObject(frame('v1', 'Pod', msg(2, msg(14, sc)))) as { spec: { securityContext: unknown } };
    assert.deepStrictEqual(pod(packed).spec.securityContext, { supplementalGroups: [1, 2, 300] });
    assert.deepStrictEqual(pod(Buffer.concat([int(4, 1), int(4, 2)])).spec.securityContext, { supplementalGroups: [1, 2] });
  });

  it('negative int32/int64 (ten-byte varints) and large int64', () => {
    const body = frame('v1', 'Pod', msg(1, str(1, 'p'), int(10, -1)), msg(2, int(5, 2n ** 40n), msg(14, int(2, -5))));
    assert.deepStrictEqual(decodeProtobufObject(body), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', deletionGracePeriodSeconds: -1 },
      spec: { activeDeadlineSeconds: 2 ** 40, securityContext: { runAsUser: -5 } },
    });
  });

  it('a later occurrence of a scalar field wins, as in protobuf', () => {
    assert.deepStrictEqual(decodeProtobufObject(frame('v1', 'Namespace', msg(1, str(1, 'a'), str(1, 'b')))), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } });
  });

  it('a "__proto__" label is an ordinary key, not a prototype', () => {
    const obj = decodeProtobufObject(frame('v1', 'ConfigMap', msg(1, mapStr(11, { __proto__: 'x' } as Record<string, string>)), mapStr(2, { ['__proto__']: 'y' }))) as Record<string, any>;
    assert.equal(Object.getPrototypeOf(obj.data), Object.prototype);
    assert.deepStrictEqual(Object.keys(obj.data), ['__proto__']);
    assert.equal(JSON.parse(JSON.stringify(obj)).data.__proto__, 'y');
  });

  it('map entries without a value get the zero value', () => {
    const body = frame('v1', 'Secret', msg(1, str(1, 's')), msg(2, str(1, 'k')), msg(4, str(1, 'x')));
    assert.deepStrictEqual(decodeProtobufObject(body), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: '' }, stringData: { x: '' } });
    const limits = decodeProtobufObject(frame('v1', 'Pod', msg(2, msg(2, str(1, 'c'), msg(8, msg(1, str(1, 'cpu'))))))) as any;
    assert.deepStrictEqual(limits.spec.containers[0].resources, { limits: { cpu: '0' } });
  });

  it('metav1.Duration formatting matches Go time.Duration.String', () => {
    assert.equal(formatGoDuration(0n), '0s');
    assert.equal(formatGoDuration(1500n), '1.5µs');
    assert.equal(formatGoDuration(150_000_000n), '150ms');
    assert.equal(formatGoDuration(3_723_500_000_000n), '1h2m3.5s');
    assert.equal(formatGoDuration(-90_000_000_000n), '-1m30s');
    assert.equal(formatGoDuration(5_000_000_000n), '5s');
  });
});

describe('protobuf tables', () => {
  it('every referenced message and kind resolves', () => {
    const known = knownMessageNames();
    const scalars = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'double']);
    const all = [{ messages: wellKnownMessages }, ...protobufSchemas];
    for (const schema of all) {
      for (const [name, fields] of Object.entries(schema.messages)) {
        const jsonNames = new Set<string>();
        for (const [number, [json, type, mode]] of Object.entries(fields)) {
          assert.ok(Number(number) > 0, `${name} field ${number}`);
          assert.ok(scalars.has(type) || known.has(type), `${name}.${json} refers to unknown ${type}`);
          if (mode === 'inline') assert.ok(!scalars.has(type), `${name}.${json} inlines a scalar`);
          assert.ok(!jsonNames.has(json), `${name} has two fields named ${json}`);
          jsonNames.add(json);
        }
      }
    }
    for (const schema of protobufSchemas) for (const message of Object.values(schema.kinds)) assert.ok(known.has(message), message);
  });

  it('message references are acyclic, so nesting is bounded by the tables', () => {
    const tables = new Map<string, Readonly<Record<number, readonly [string, string, string?]>>>(Object.entries(wellKnownMessages));
    for (const schema of protobufSchemas) for (const [name, fields] of Object.entries(schema.messages)) tables.set(name, fields);
    const depthOf = new Map<string, number>();
    const visiting = new Set<string>();
    const depth = (name: string): number => {
      const known = depthOf.get(name);
      if (known !== undefined) return known;
      assert.ok(!visiting.has(name), `cycle through ${name}`);
      visiting.add(name);
      let d = 0;
      for (const [, type] of Object.values(tables.get(name) ?? {})) if (tables.has(type)) d = Math.max(d, 1 + depth(type));
      visiting.delete(name);
      depthOf.set(name, d);
      return d;
    };
    for (const name of tables.keys()) assert.ok(depth(name) < 50, `${name} nests ${depth(name)} deep`);
  });

  it('covers every kind pier serves plus the bodies kubectl posts to subresources', () => {
    const kinds = new Set(protobufSchemas.flatMap((s) => Object.keys(s.kinds).map((k) => `${s.apiVersion} ${k}`)));
    for (const k of [
      'v1 Namespace', 'v1 ConfigMap', 'v1 Secret', 'v1 Service', 'v1 ServiceAccount', 'v1 Pod', 'v1 Binding', 'v1 Event', 'v1 Node', 'v1 Endpoints',
      'apps/v1 Deployment', 'apps/v1 ReplicaSet', 'autoscaling/v1 Scale', 'policy/v1 Eviction', 'authorization.k8s.io/v1 SelfSubjectAccessReview',
      'coordination.k8s.io/v1 Lease', 'meta.k8s.io/v1 DeleteOptions',
    ]) {
      assert.ok(kinds.has(k), k);
    }
  });
});

describe('undecodable protobuf is a 400', () => {
  const good = frame('v1', 'Namespace', msg(1, str(1, 'x')));

  it('missing or wrong magic', () => {
    assertBadRequest(Buffer.from('{"kind":"Namespace"}'), /k8s/);
    assertBadRequest(Buffer.from('6b38', 'hex'));
  });

  it('unknown kind or empty kind', () => {
    assertBadRequest(frame('v1', 'Widget', msg(1, str(1, 'x'))), /Widget/);
    assertBadRequest(frame('apps/v1', 'Namespace', msg(1)), /Namespace/);
    assertBadRequest(frame('v1', '', msg(1)), /Kind/);
  });

  it('compressed or foreign content inside the envelope', () => {
    assertBadRequest(Buffer.concat([magic, msg(1, str(1, 'v1'), str(2, 'Namespace')), ld(2, msg(1)), str(3, 'gzip')]), /gzip/);
    assertBadRequest(Buffer.concat([magic, msg(1, str(1, 'v1'), str(2, 'Namespace')), ld(2, msg(1)), str(4, 'application/json')]), /application\/json/);
  });

  it('wrong wire type for a known field', () => {
    assertBadRequest(frame('v1', 'Namespace', msg(1, int(1, 5))), /metadata\.name/);
    assertBadRequest(frame('apps/v1', 'Deployment', msg(2, str(1, 'three'))), /spec\.replicas/);
  });

  it('invalid UTF-8 in a string', () => {
    assertBadRequest(frame('v1', 'Namespace', msg(1, ld(1, Buffer.from([0xff, 0xfe])))), /UTF-8/);
  });

  it('length overruns, truncated varints, field number 0, groups', () => {
    assertBadRequest(Buffer.concat([good, Buffer.from([0x12, 0x7f])]));
    assertBadRequest(Buffer.concat([good.subarray(0, 4), Buffer.from([0x0a, 0xff, 0xff])]));
    assertBadRequest(frame('v1', 'Namespace', Buffer.from([0x00, 0x01])), /field number 0/);
    assertBadRequest(frame('v1', 'Namespace', Buffer.from([0x0b])), /wire type 3/);
  });

  it('FieldsV1 that is not JSON; times outside 0000-9999', () => {
    assertBadRequest(frame('v1', 'Namespace', msg(1, msg(17, msg(7, ld(1, Buffer.from('{nope')))))), /fieldsV1/);
    assertBadRequest(frame('v1', 'Namespace', msg(1, time(8, 300_000_000_000))), /0000-9999/);
  });

  it('random byte flips of valid bodies never throw anything but a 400', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const samples = [good, frame('policy/v1', 'Eviction', msg(1, str(1, 'p1'), str(3, 'default')), msg(2, int(1, 30), str(4, 'Foreground')))];
    for (let i = 0; i < 5000; i++) {
      const body = Buffer.from(samples[i % samples.length]!);
      const flips = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < flips; j++) body[4 + Math.floor(rand() * (body.length - 4))] = Math.floor(rand() * 256);
      try {
        decodeProtobufObject(body);
      } catch (err) {
        assert.ok(err instanceof StatusError && err.code === 400, `input ${body.toString('hex')}: ${String(err)}`);
      }
    }
  });
});
