/** Polls an HTTPS health endpoint the way a client would: verifying the serving certificate against the CA. */
import { request } from 'node:https';

function getStatus(url: string, caPem: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `url` answers 200; throws one line with the last answer after `timeoutSeconds`. */
export async function waitReady(url: string, caPem: string, timeoutSeconds = 30): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  for (;;) {
    try {
      const { status, body } = await getStatus(url, caPem);
      if (status === 200) return;
      last = `HTTP ${status}: ${body.trim().split('\n').filter((l) => l.startsWith('[-]')).join('; ') || body.trim().slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutSeconds}s (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
