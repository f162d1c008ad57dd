/**
 * Request bodies captured from the real kubectl 1.32.4 (`-v=9` hex dumps of
 * `application/vnd.kubernetes.protobuf` requests) must decode to exactly the
 * object `kubectl … --dry-run=client -o json` prints, minus its nulls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBody } from '../../../apiserver/endpoints/negotiation.ts';
import { decodeProtobufObject } from '../../../apiserver/endpoints/protobuf/decode.ts';
import { StatusError } from '../../../apiserver/errors/status-error.ts';

interface Capture {
  command: string;
  hex: string;
  want: unknown;
}

const captures: Capture[] = [
  {
    command: 'kubectl create namespace fx-ns',
    hex: '6b3873000a0f0a02763112094e616d657370616365121d0a150a0566782d6e7312001a0022002a0032003800420012001a020a001a002200',
    want: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fx-ns' }, spec: {}, status: {} },
  },
  {
    command: 'kubectl create configmap fx-cm --from-literal=a=b --from-literal=k=v',
    hex: '6b3873000a0f0a0276311209436f6e6669674d617012270a150a0566782d636d12001a0022002a0032003800420012060a016112016212060a016b1201761a002200',
    want: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fx-cm' }, data: { a: 'b', k: 'v' } },
  },
  {
    command: 'kubectl create configmap fx-bin --from-file=bin.dat --from-literal=t=x (bin.dat = 00 ff 10)',
    hex: '6b3873000a0f0a0276311209436f6e6669674d617012300a160a0666782d62696e12001a0022002a0032003800420012060a01741201781a0e0a0762696e2e646174120300ff101a002200',
    want: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fx-bin' }, data: { t: 'x' }, binaryData: { 'bin.dat': 'AP8Q' } },
  },
  {
    command: 'kubectl create secret generic fx-s --from-literal=a=b --from-literal=empty=',
    hex: '6b3873000a0c0a0276311206536563726574122b0a140a0466782d7312001a0022002a0032003800420012060a016112016212090a05656d70747912001a001a002200',
    want: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fx-s' }, data: { a: 'Yg==', empty: '' } },
  },
  {
    command: 'kubectl create secret docker-registry fx-reg --docker-server=r.example --docker-username=u --docker-password=p',
    hex: '6b3873000a0c0a02763112065365637265741294010a160a0666782d72656712001a0022002a00320038004200125a0a112e646f636b6572636f6e6669676a736f6e12457b226175746873223a7b22722e6578616d706c65223a7b22757365726e616d65223a2275222c2270617373776f7264223a2270222c2261757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a002200',
    want: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fx-reg' },
      data: { '.dockerconfigjson': Buffer.from('{"auths":{"r.example":{"username":"u","password":"p","auth":"dTpw"}}}').toString('base64') },
      type: 'kubernetes.io/dockerconfigjson',
    },
  },
  {
    command: 'kubectl create deployment fx-d --image=nginx:1.25 --replicas=2 --port=80 -- sleep 3600',
    hex:
      '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412ce010a210a0466782d6412001a0022002a003200380042005a0b0a03617070120466782d64129a010802120d0a0b0a03617070120466782d641a7f0a1d0a0012001a0022002a003200380042005a0b0a03617070120466782d64125e12400a056e67696e78120a6e67696e783a312e32351a05736c6565701a04333630302a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
    want: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fx-d', labels: { app: 'fx-d' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'fx-d' } },
        template: {
          metadata: { labels: { app: 'fx-d' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', command: ['sleep', '3600'], ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    command: 'kubectl create service clusterip fx-svc --tcp=80:8080',
    hex: '6b3873000a0d0a02763112075365727669636512720a250a0666782d73766312001a0022002a003200380042005a0d0a03617070120666782d73766312450a1b0a0738302d38303830120354435018502207080010903f1a002800120d0a03617070120666782d7376631a002209436c757374657249503a00420052005a00600068001a020a001a002200',
    want: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fx-svc', labels: { app: 'fx-svc' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'fx-svc' }, type: 'ClusterIP' },
      status: { loadBalancer: {} },
    },
  },
  {
    command: 'kubectl create service nodeport fx-np --tcp=443:https',
    hex: '6b3873000a0d0a02763112075365727669636512750a230a0566782d6e7012001a0022002a003200380042005a0c0a03617070120566782d6e70124a0a220a093434332d6874747073120354435018bb03220b080110001a0568747470732800120c0a03617070120566782d6e701a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200',
    want: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fx-np', labels: { app: 'fx-np' } },
      spec: { ports: [{ name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https' }], selector: { app: 'fx-np' }, type: 'NodePort' },
      status: { loadBalancer: {} },
    },
  },
  {
    command: 'kubectl create serviceaccount fx-sa',
    hex: '6b3873000a140a027631120e536572766963654163636f756e7412170a150a0566782d736112001a0022002a003200380042001a002200',
    want: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fx-sa' } },
  },
  {
    command: 'kubectl auth can-i get pods --subresource=log -n kube-system',
    hex: '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365737352657669657712430a100a0012001a0022002a0032003800420012250a230a0b6b7562652d73797374656d12036765741a0022002a04706f647332036c6f673a001a08080012001a0020001a002200',
    want: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'kube-system', verb: 'get', resource: 'pods', subresource: 'log' } },
      status: { allowed: false },
    },
  },
  {
    command: 'kubectl drain n1 --force --grace-period=0 (DELETE …/pods/p3 body)',
    hex: '6b3873000a130a027631120d44656c6574654f7074696f6e73120208001a002200',
    want: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
  },
];

describe('kubectl 1.32 protobuf request bodies', () => {
  for (const c of captures) {
    it(c.command, () => {
      assert.deepStrictEqual(decodeProtobufObject(Buffer.from(c.hex, 'hex')), c.want);
    });
  }

  it('decodeBody routes application/vnd.kubernetes.protobuf to the decoder', () => {
    const body = Buffer.from(captures[0]!.hex, 'hex');
    assert.deepStrictEqual(decodeBody('application/vnd.kubernetes.protobuf', body, false), captures[0]!.want);
  });

  it('decodeBody refuses protobuf patches with 415', () => {
    const body = Buffer.from(captures[0]!.hex, 'hex');
    assert.throws(() => decodeBody('application/vnd.kubernetes.protobuf', body, true), (err: unknown) => err instanceof StatusError && err.code === 415);
  });

  it('decodeBody treats a body without Content-Type as JSON (kubectl scale --current-replicas)', () => {
    const scale = { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd' }, spec: { replicas: 3 } };
    assert.deepStrictEqual(decodeBody(undefined, Buffer.from(JSON.stringify(scale)), false), scale);
  });

  it('every truncation of a captured body is a 400, never a crash', () => {
    for (const c of captures) {
      const body = Buffer.from(c.hex, 'hex');
      for (let n = 0; n < body.length; n++) {
        try {
          decodeProtobufObject(body.subarray(0, n));
        } catch (err) {
          assert.ok(err instanceof StatusError && err.code === 400, `${c.command} cut at ${n}: ${String(err)}`);
        }
      }
    }
  });
});
