/**
 * Protobuf bodies of the new kinds decode to the JSON kubectl would send:
 * pointer fields keep their zero values (`ready: false`, `suspend: false`),
 * ControllerRevision data stays raw JSON, unknown kinds are a 400.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobufObject } from '../../../apiserver/endpoints/protobuf/decode.ts';
import { StatusError } from '../../../apiserver/errors/status-error.ts';

function varint(n: number): Buffer {
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
const int = (field: number, v: number) => Buffer.concat([key(field, 0), varint(v)]);
const bool = (field: number, v: boolean) => int(field, v ? 1 : 0);

/** runtime.Unknown in the `k8s\0` envelope. */
function frame(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = msg(1, str(1, apiVersion), str(2, kind));
  return Buffer.concat([Buffer.from('6b387300', 'hex'), typeMeta, ld(2, raw)]);
}

const podTemplate = (field: number) => msg(field, msg(2, msg(2, str(1, 'c'), str(2, 'busybox')), str(3, 'Never')));

describe('protobuf bodies of the new kinds', () => {
  it('batch/v1 Job as kubectl create job sends it', () => {
    const body = frame('batch/v1', 'Job', Buffer.concat([msg(1, str(1, 'j')), msg(2, podTemplate(6), bool(10, false), int(2, 0))]));
    assert.deepEqual(decodeProtobufObject(body), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } }, suspend: false, completions: 0 },
    });
  });

  it('apps/v1 DaemonSet with an IntOrString strategy and a ControllerRevision with JSON data', () => {
    const ds = frame('apps/v1', 'DaemonSet', Buffer.concat([msg(1, str(1, 'ds')), msg(2, podTemplate(2), msg(3, str(1, 'RollingUpdate'), msg(2, msg(1, int(1, 1), str(3, '10%')))))]));
    assert.deepEqual((decodeProtobufObject(ds) as any).spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
    const rev = frame('apps/v1', 'ControllerRevision', Buffer.concat([msg(1, str(1, 'ds-1')), msg(2, str(1, '{"spec":{"a":1}}')), int(3, 0)]));
    assert.deepEqual(decodeProtobufObject(rev), { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'ds-1' }, data: { spec: { a: 1 } }, revision: 0 });
  });

  it('discovery.k8s.io/v1 EndpointSlice keeps ready: false and port 0-less pointers', () => {
    const endpoint = msg(2, str(1, '10.0.0.1'), msg(2, bool(1, false), bool(3, true)), str(6, 'node-1'), msg(4, str(1, 'Pod'), str(3, 'web-1')));
    const port = msg(3, str(1, ''), str(2, 'TCP'), int(3, 80));
    const body = frame('discovery.k8s.io/v1', 'EndpointSlice', Buffer.concat([msg(1, str(1, 'web-abc')), str(4, 'IPv4'), endpoint, port]));
    assert.deepEqual(decodeProtobufObject(body), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false, terminating: true }, nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'web-1' } }],
      ports: [{ name: '', protocol: 'TCP', port: 80 }],
    });
  });

  it('CronJob is not registered: a 400', () => {
    assert.throws(() => decodeProtobufObject(frame('batch/v1', 'CronJob', Buffer.alloc(0))), (err) => err instanceof StatusError && err.code === 400);
  });
});
