import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, type PkiFiles } from '../../../client/pki/pki-dir.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(pki: PkiFiles): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * GETs / over TLS from 127.0.0.1, verifying the certificate chain against `ca`
 * and its names against `name` exactly as a client dialing `name` would.
 */
function get(port: number, name: string, ca: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        ...(ca ? { ca } : {}),
        ...(isIP(name) ? {} : { servername: name }),
        checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('the serving certificate verifies against the CA for 127.0.0.1, localhost and extra names', async (t) => {
  const dir = tempDir(t);
  const pki = ensurePki(join(dir, 'pki'), ['node-1.example', '10.20.30.40']);
  assert.deepEqual(pki.issued, ['ca', 'serving', 'kubelet-client']);
  const { server, port } = await serve(pki);
  t.after(() => server.close());

  for (const name of ['127.0.0.1', 'localhost', '::1', 'node-1.example', '10.20.30.40']) assert.equal(await get(port, name, pki.ca.certPem), 'ok', name);
  await assert.rejects(get(port, 'other.example', pki.ca.certPem), /ERR_TLS_CERT_ALTNAME_INVALID|altnames/);
  await assert.rejects(get(port, 'localhost', undefined), /self.signed|unable to verify|local issuer/i);

  const serving = new X509Certificate(pki.serving.certPem);
  const ca = new X509Certificate(pki.ca.certPem);
  assert.equal(ca.ca, true);
  assert.equal(serving.ca, false);
  assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(serving.checkIP('::1'), '::1');
  assert.equal(serving.checkIP('10.20.30.40'), '10.20.30.40');
});

test('CA extensions say CA:TRUE with keyCertSign, as Go requires of a root', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pier-pki-'));
  try {
    const pki = ensurePki(dir);
    // Node exposes no keyUsage bits, so read the DER: basicConstraints (2.5.29.19) critical with cA TRUE,
    // keyUsage (2.5.29.15) critical with digitalSignature|keyCertSign|cRLSign.
    const der = new X509Certificate(pki.ca.certPem).raw.toString('hex');
    assert.ok(der.includes('0603551d130101ff040530030101ff'), 'basicConstraints critical CA:TRUE');
    assert.ok(der.includes('0603551d0f0101ff040403020186'), 'keyUsage critical keyCertSign');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files are reused while valid, and only what is unusable is issued again', (t) => {
  const dir = join(tempDir(t), 'pki');
  const first = ensurePki(dir, ['node-1']);
  assert.equal(statSync(first.caKeyFile).mode & 0o777, 0o600);
  assert.equal(statSync(first.servingKeyFile).mode & 0o777, 0o600);

  const again = ensurePki(dir, ['node-1']);
  assert.deepEqual(again.issued, []);
  assert.equal(again.serving.certPem, first.serving.certPem);

  // A name the certificate lacks: new serving certificate, same CA.
  const widened = ensurePki(dir, ['node-1', 'node-2']);
  assert.deepEqual(widened.issued, ['serving']);
  assert.equal(widened.ca.certPem, first.ca.certPem);
  assert.equal(new X509Certificate(widened.serving.certPem).checkHost('node-2'), 'node-2');

  // A serving key that no longer matches its certificate.
  writeFileSync(widened.servingKeyFile, first.ca.keyPem);
  assert.deepEqual(ensurePki(dir, ['node-1', 'node-2']).issued, ['serving']);

  // A broken CA brings a new CA and a new serving certificate.
  writeFileSync(first.caCertFile, 'garbage');
  const replaced = ensurePki(dir);
  assert.deepEqual(replaced.issued, ['ca', 'serving', 'kubelet-client']);
  assert.notEqual(readFileSync(replaced.caCertFile, 'utf8'), first.ca.certPem);
});

test('the kubelet client certificate names the API server in system:masters, for clientAuth, signed by the CA', (t) => {
  const pki = ensurePki(join(tempDir(t), 'pki'));
  const client = new X509Certificate(pki.kubeletClient.certPem);
  const ca = new X509Certificate(pki.ca.certPem);
  assert.ok(client.checkIssued(ca) && client.verify(ca.publicKey));
  assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.match(client.subject, /O=system:masters/);
  assert.match(client.subject, /CN=kube-apiserver-kubelet-client/);
  assert.equal(statSync(pki.kubeletClientKeyFile).mode & 0o777, 0o600);
});
