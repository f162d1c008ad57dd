/**
 * Issues the two certificates pier serves with: a self-signed CA and an
 * apiserver serving certificate signed by it, both ECDSA P-256 (fast to
 * generate, accepted by Go's crypto/tls). The extensions are the ones Go's
 * verifier checks, as Kubernetes' certutil.NewSelfSignedCACert and
 * kubeadm's apiserver certificate set them.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bitString, boolean, explicit, implicitPrimitive, integer, objectIdentifier, octetString, sequence, set, time, utf8String } from './der.ts';
import { encodeSubjectAltNames } from './subject-alt-names.ts';

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

const oid = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const day = 24 * 60 * 60 * 1000;
/** Ten years for the CA (as certutil), one year for the serving certificate (as kubeadm). */
export const caValidityDays = 3650;
export const servingValidityDays = 365;

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function name(commonName: string, organization?: string): Buffer {
  const rdns = [set(sequence(objectIdentifier(oid.commonName), utf8String(commonName)))];
  if (organization) rdns.unshift(set(sequence(objectIdentifier(oid.organization), utf8String(organization))));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN that equals its DEFAULT (critical FALSE).
  return critical ? sequence(objectIdentifier(id), boolean(true), octetString(value)) : sequence(objectIdentifier(id), octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

interface CertificateTemplate {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  validityDays: number;
  extensions: Buffer[];
}

function issue(template: CertificateTemplate): string {
  // A positive 127-bit serial: random enough to never repeat, high bit clear.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  // Backdated a little so a client whose clock is slightly behind accepts it.
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + template.validityDays * day);
  const algorithm = sequence(objectIdentifier(oid.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    algorithm,
    template.issuer,
    sequence(time(notBefore), time(notAfter)),
    template.subject,
    template.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...template.extensions)),
  );
  // Node's ECDSA signatures are DER Ecdsa-Sig-Value already, as X.509 wants.
  const signature = sign('sha256', tbs, template.signingKey);
  return toPem('CERTIFICATE', sequence(tbs, algorithm, bitString(signature)));
}

function newEcKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A self-signed CA: basicConstraints CA:TRUE, keyUsage keyCertSign + cRLSign + digitalSignature. */
export function newCertificateAuthority(commonName = `pier-ca@${Math.floor(Date.now() / 1000)}`): KeyPair {
  const { privateKey, publicKey } = newEcKey();
  const subject = name(commonName);
  const certPem = issue({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    validityDays: caValidityDays,
    extensions: [
      // digitalSignature(0) keyCertSign(5) cRLSign(6): 1000 0110, one unused bit.
      extension(oid.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
      extension(oid.basicConstraints, true, sequence(boolean(true))),
      extension(oid.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey))),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

/** A serving certificate for `names` (IPs and DNS names) signed by `ca`, with the serverAuth EKU. */
export function newServingCertificate(ca: KeyPair, names: readonly string[], commonName = 'pier-apiserver'): KeyPair {
  const caKey = createPrivateKey(ca.keyPem);
  const caPublicKey = createPublicKey(caKey);
  const { privateKey, publicKey } = newEcKey();
  const caSubject = subjectOf(ca.certPem);
  const certPem = issue({
    subject: name(commonName),
    issuer: caSubject,
    publicKey,
    signingKey: caKey,
    validityDays: servingValidityDays,
    extensions: [
      // digitalSignature(0) only: ECDSA keys do not encipher keys. 1000 0000, seven unused bits.
      extension(oid.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(oid.extKeyUsage, false, sequence(objectIdentifier(oid.serverAuth))),
      extension(oid.basicConstraints, true, sequence()),
      extension(oid.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(caPublicKey)))),
      extension(oid.subjectAltName, false, encodeSubjectAltNames(names)),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

/**
 * A client certificate signed by `ca` (clientAuth EKU): Kubernetes reads the
 * user from the CN and the groups from O, e.g. the API server's
 * `kube-apiserver-kubelet-client` in `system:masters` for calls to node agents.
 */
export function newClientCertificate(ca: KeyPair, commonName: string, organization?: string): KeyPair {
  const caKey = createPrivateKey(ca.keyPem);
  const caPublicKey = createPublicKey(caKey);
  const { privateKey, publicKey } = newEcKey();
  const certPem = issue({
    subject: name(commonName, organization),
    issuer: subjectOf(ca.certPem),
    publicKey,
    signingKey: caKey,
    validityDays: servingValidityDays,
    extensions: [
      extension(oid.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(oid.extKeyUsage, false, sequence(objectIdentifier(oid.clientAuth))),
      extension(oid.basicConstraints, true, sequence()),
      extension(oid.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(caPublicKey)))),
    ],
  });
  return { certPem, keyPem: keyPem(privateKey) };
}

/**
 * The issuer field must repeat the CA's subject byte for byte (Go chains by
 * raw subject), so it is cut out of the CA certificate rather than rebuilt.
 */
function subjectOf(certPem: string): Buffer {
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const tbs = new DerReader(der).enter(0x30).enter(0x30);
  if (tbs.peekTag() === 0xa0) tbs.skip(); // version
  tbs.skip(); // serialNumber
  tbs.skip(); // signature
  tbs.skip(); // issuer
  tbs.skip(); // validity
  return tbs.raw();
}

/** Just enough DER reading to walk to a TBSCertificate's subject. */
class DerReader {
  private readonly buf: Buffer;
  private offset = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  peekTag(): number {
    return this.buf[this.offset]!;
  }
  private header(): { contentStart: number; end: number } {
    let pos = this.offset + 1;
    let length = this.buf[pos++]!;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.buf[pos++]!;
    }
    return { contentStart: pos, end: pos + length };
  }
  enter(tag: number): DerReader {
    if (this.peekTag() !== tag) throw new Error(`malformed certificate: expected tag 0x${tag.toString(16)}`);
    const { contentStart, end } = this.header();
    return new DerReader(this.buf.subarray(contentStart, end));
  }
  skip(): void {
    this.offset = this.header().end;
  }
  raw(): Buffer {
    return this.buf.subarray(this.offset, this.header().end);
  }
}
