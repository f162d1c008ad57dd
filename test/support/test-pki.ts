/** Certificates for test API servers, issued by the same code `pier up` uses. */
import { ensurePki } from '../../client/pki/pki-dir.ts';

export interface TestTls {
  key: string;
  cert: string;
  /** The CA certificate clients trust. */
  ca: string;
}

export async function testPki(dir: string): Promise<TestTls> {
  const pki = ensurePki(dir);
  return { key: pki.serving.keyPem, cert: pki.serving.certPem, ca: pki.ca.certPem };
}
