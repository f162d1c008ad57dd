/**
 * The apiserver's PKI directory (`<data-dir>/pki`): `ca.crt`, `ca.key`,
 * `apiserver.crt`, `apiserver.key`. Files are reused while they are valid, so
 * kubeconfigs handed out earlier keep working; only what is missing, expired
 * or lacking a wanted name is issued again.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { newCertificateAuthority, newClientCertificate, newServingCertificate, type KeyPair } from './certificate.ts';
import { servingNames } from './subject-alt-names.ts';

/** What `ensurePki` found or made; PEM contents plus the file paths. */
export interface PkiFiles {
  dir: string;
  caCertFile: string;
  caKeyFile: string;
  servingCertFile: string;
  servingKeyFile: string;
  kubeletClientCertFile: string;
  kubeletClientKeyFile: string;
  ca: KeyPair;
  serving: KeyPair;
  /** The API server's client certificate for node agents (CN kube-apiserver-kubelet-client, O system:masters). */
  kubeletClient: KeyPair;
  /** Which files were (re)written this time, for the caller's log line. */
  issued: ('ca' | 'serving' | 'kubelet-client')[];
}

/** Renew a certificate this long before it expires, so a running cluster never serves an expired one after restart. */
const renewBeforeMs = 30 * 24 * 60 * 60 * 1000;

function readPair(certFile: string, keyFile: string): KeyPair | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

function writePair(pair: KeyPair, certFile: string, keyFile: string): void {
  // Write-then-rename so a crash never leaves a half-written key next to a valid cert.
  for (const [file, content, mode] of [
    [keyFile, pair.keyPem, 0o600],
    [certFile, pair.certPem, 0o644],
  ] as const) {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, content, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  }
}

function usable(pair: KeyPair): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return undefined;
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) - renewBeforeMs < now) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

/** A CA certificate pier can sign with: valid, matching key, and marked as a CA. */
function usableCa(pair: KeyPair | undefined): boolean {
  const cert = pair && usable(pair);
  return cert !== undefined && cert.ca;
}

/** A serving certificate signed by `ca` that covers every name and allows serverAuth. */
function usableServing(pair: KeyPair | undefined, ca: KeyPair, names: readonly string[]): boolean {
  const cert = pair && usable(pair);
  if (!cert) return false;
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
  if (!(cert.keyUsage ?? []).includes('1.3.6.1.5.5.7.3.1')) return false;
  return names.every((n) => (isIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n, { subject: 'never' }) !== undefined));
}

/** A client certificate signed by `ca` that allows clientAuth. */
function usableClient(pair: KeyPair, ca: KeyPair): boolean {
  const cert = usable(pair);
  if (!cert) return false;
  const caCert = new X509Certificate(ca.certPem);
  return cert.checkIssued(caCert) && cert.verify(caCert.publicKey) && (cert.keyUsage ?? []).includes('1.3.6.1.5.5.7.3.2');
}

/**
 * Loads `dir`'s CA and serving certificate, issuing whatever is missing or
 * unusable. The serving certificate names 127.0.0.1, ::1 and localhost plus
 * `extraNames` (host names or IPs). A new CA always brings a new serving
 * certificate; a new serving certificate keeps the CA.
 */
export function ensurePki(dir: string, extraNames: readonly string[] = []): PkiFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caCertFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    servingCertFile: join(dir, 'apiserver.crt'),
    servingKeyFile: join(dir, 'apiserver.key'),
    kubeletClientCertFile: join(dir, 'apiserver-kubelet-client.crt'),
    kubeletClientKeyFile: join(dir, 'apiserver-kubelet-client.key'),
  };
  const names = servingNames(extraNames);
  const issued: PkiFiles['issued'] = [];
  let ca = readPair(files.caCertFile, files.caKeyFile);
  if (!ca || !usableCa(ca)) {
    ca = newCertificateAuthority();
    writePair(ca, files.caCertFile, files.caKeyFile);
    issued.push('ca');
  }
  let serving = readPair(files.servingCertFile, files.servingKeyFile);
  if (!serving || !usableServing(serving, ca, names)) {
    serving = newServingCertificate(ca, names);
    writePair(serving, files.servingCertFile, files.servingKeyFile);
    issued.push('serving');
  }
  let kubeletClient = readPair(files.kubeletClientCertFile, files.kubeletClientKeyFile);
  if (!kubeletClient || !usableClient(kubeletClient, ca) || issued.includes('ca')) {
    kubeletClient = newClientCertificate(ca, 'kube-apiserver-kubelet-client', 'system:masters');
    writePair(kubeletClient, files.kubeletClientCertFile, files.kubeletClientKeyFile);
    issued.push('kubelet-client');
  }
  return { dir, ...files, ca, serving, kubeletClient, issued };
}
