/**
 * Pulls from a real registry (Debian's docker-registry, images pushed with
 * skopeo), through a local front that adds bearer-token or basic auth,
 * redirects blobs, or tampers with content — so the client's token flow,
 * redirects and digest checks all run against real HTTP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError } from '../../../agent/cri/errors.ts';
import { ImageStore } from '../../../agent/images/image-store.ts';
import { buildBusyboxImage, writeDockerSaveArchive, writeOciArchive, type BusyboxImage } from '../../support/busybox-image.ts';
import { startTestRegistry, type TestRegistry } from '../../support/test-registry.ts';

interface FrontOptions {
  auth?: 'bearer' | 'basic';
  /** Required at the token endpoint (bearer) or on every request (basic). */
  credentials?: { username: string; password: string };
  /** Answer blob GETs with a 307 to a signed URL on a second server (another origin, as object storage is). */
  redirectBlobs?: boolean;
  /** Rewrites an upstream response body; undefined leaves it alone. */
  tamper?: (path: string, body: Buffer) => Buffer | undefined;
}

interface Front {
  host: string;
  tokenRequests: URL[];
  unauthorized: number;
  redirected: number;
  close(): Promise<void>;
}

/** A node:http front for the registry: auth challenges, a token realm, redirects, tampering. */
async function startFront(upstream: string, options: FrontOptions): Promise<Front> {
  const tokens = new Set<string>();
  const front: Omit<Front, 'host' | 'close'> = { tokenRequests: [], unauthorized: 0, redirected: 0 };
  let self = '';
  const basic = options.credentials ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}` : undefined;
  const proxy = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const headers = { ...req.headers, host: upstream };
    delete headers.authorization;
    const up = httpRequest(`http://${upstream}${path}`, { method: req.method, headers }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const received = Buffer.concat(chunks);
        const body = options.tamper?.(path, received) ?? received;
        const out = { ...upRes.headers };
        delete out['content-length'];
        delete out['transfer-encoding'];
        res.writeHead(upRes.statusCode ?? 502, { ...out, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    up.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(up);
  };
  let storageHost = '';
  const storage: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${storageHost}`);
    if (url.searchParams.get('sig') !== 'ok') {
      res.writeHead(403);
      res.end();
      return;
    }
    // A signed URL needs no registry credentials, and must not receive them.
    if (req.headers.authorization) {
      res.writeHead(400);
      res.end('credentials leaked to storage');
      return;
    }
    proxy(req, res, url.pathname);
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${self}`);
    if (url.pathname === '/token') {
      front.tokenRequests.push(url);
      if (basic && req.headers.authorization !== basic) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"details":"incorrect username or password"}');
        return;
      }
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const given = req.headers.authorization;
    const authorized =
      options.auth === undefined ||
      (options.auth === 'bearer' && given?.startsWith('Bearer ') && tokens.has(given.slice(7))) ||
      (options.auth === 'basic' && given === basic);
    if (!authorized) {
      front.unauthorized++;
      const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? '';
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate':
          options.auth === 'bearer' ? `Bearer realm="http://${self}/token",service="pier-test",scope="repository:${repo}:pull"` : 'Basic realm="pier-test"',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (options.redirectBlobs && url.pathname.includes('/blobs/')) {
      front.redirected++;
      res.writeHead(307, { location: `http://${storageHost}${url.pathname}?sig=ok` });
      res.end();
      return;
    }
    proxy(req, res, url.pathname + url.search);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  storageHost = `127.0.0.1:${(storage.address() as AddressInfo).port}`;
  return {
    ...front,
    get tokenRequests() {
      return front.tokenRequests;
    },
    get unauthorized() {
      return front.unauthorized;
    },
    get redirected() {
      return front.redirected;
    },
    host: self,
    close: async () => {
      for (const s of [server, storage]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

async function blobsIn(root: string): Promise<string[]> {
  return readdir(join(root, 'images', 'blobs', 'sha256')).catch(() => []);
}

describe('pulling from a registry', () => {
  let dir: string;
  let registry: TestRegistry;
  let image: BusyboxImage;
  let multi: BusyboxImage;
  const fronts: Front[] = [];
  let n = 0;
  const newRoot = () => join(dir, `root-${++n}`);

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('the registry pull tests need root (unpacking keeps owners and makes whiteout devices): run them as root');
    dir = await mkdtemp(join(tmpdir(), `pier-images-pull-${process.pid}-`));
    image = await buildBusyboxImage(join(dir, 'single'));
    multi = await buildBusyboxImage(join(dir, 'multi'), { multiPlatform: true });
    registry = await startTestRegistry();
    await registry.push(image.layoutDir, image.tag, 'pier/busybox');
    await registry.push(multi.layoutDir, multi.tag, 'pier/multi');
  });

  after(async () => {
    for (const f of fronts) await f.close();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls an image by tag and by digest, with the same ID an archive import gives', async (t) => {
    const store = new ImageStore({ rootDir: newRoot() });
    const ref = `${registry.host}/pier/busybox:1.0`;
    const started = performance.now();
    const id = await store.pullImage({ image: ref });
    t.diagnostic(`pull of ${ref} (3 layers, ~1 MB) took ${Math.round(performance.now() - started)} ms`);
    assert.equal(id, image.imageId);
    const local = await store.resolve(ref);
    assert.deepEqual(local?.repoTags, [ref]);
    assert.equal(local?.repoDigests.length, 1);
    const repoDigest = local!.repoDigests[0]!;
    assert.match(repoDigest, new RegExp(`^${registry.host}/pier/busybox@sha256:[a-f0-9]{64}$`));
    assert.equal((await store.resolve(repoDigest))?.id, id);
    assert.deepEqual(local?.config.Cmd, ['sh']);

    const byDigest = new ImageStore({ rootDir: newRoot() });
    assert.equal(await byDigest.pullImage(repoDigest), id);
    assert.deepEqual((await byDigest.resolve(repoDigest))?.repoTags, [], 'a digest pull records no tag');

    const oci = join(dir, 'oci.tar');
    const docker = join(dir, 'docker.tar');
    await writeOciArchive(image.layoutDir, oci);
    await writeDockerSaveArchive(image, docker, 'pier/busybox:1.0');
    const imported = new ImageStore({ rootDir: newRoot() });
    assert.equal((await imported.importImageArchive(oci))[0]?.id, id);
    assert.equal((await imported.importImageArchive(docker))[0]?.id, id);

    // Pulling again fetches nothing new and keeps one image.
    assert.equal(await store.pullImage(ref), id);
    assert.equal((await store.listImages()).length, 1);
  });

  it('picks linux/amd64 from a multi-platform index (arm64 listed first)', async () => {
    const store = new ImageStore({ rootDir: newRoot() });
    const id = await store.pullImage(`${registry.host}/pier/multi:1.0`);
    assert.equal(id, multi.imageId);
    assert.notEqual(id, multi.otherPlatformImageId);
    const arm = new ImageStore({ rootDir: newRoot(), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    assert.equal(await arm.pullImage(`${registry.host}/pier/multi:1.0`), multi.otherPlatformImageId);
    const s390x = new ImageStore({ rootDir: newRoot(), platform: { os: 'linux', architecture: 's390x' } });
    await assert.rejects(s390x.pullImage(`${registry.host}/pier/multi:1.0`), /no manifest for platform linux\/s390x \(image has linux\/arm64\/v8, linux\/amd64\)/);
  });

  it('reports a missing image as NotFound, in one line', async () => {
    const store = new ImageStore({ rootDir: newRoot() });
    await assert.rejects(store.pullImage(`${registry.host}/pier/nothing:1`), (err: unknown) => {
      assert.ok(err instanceof CriError, String(err));
      assert.equal(err.code, 'NotFound');
      assert.match(err.message, /^failed to pull image "127\.0\.0\.1:\d+\/pier\/nothing:1": manifest .* not found/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    await assert.rejects(store.pullImage('Not/A Ref'), (err: unknown) => err instanceof CriError && err.code === 'InvalidArgument');
  });

  it('follows a bearer challenge: fetches a token from the realm (anonymously) and follows blob redirects', async () => {
    const front = await startFront(registry.host, { auth: 'bearer', redirectBlobs: true });
    fronts.push(front);
    const store = new ImageStore({ rootDir: newRoot() });
    assert.equal(await store.pullImage(`${front.host}/pier/busybox:1.0`), image.imageId);
    assert.ok(front.unauthorized >= 1);
    assert.ok(front.tokenRequests.length >= 1);
    const tokenRequest = front.tokenRequests[0]!;
    assert.equal(tokenRequest.searchParams.get('service'), 'pier-test');
    assert.deepEqual(tokenRequest.searchParams.getAll('scope'), ['repository:pier/busybox:pull']);
    assert.equal(tokenRequest.searchParams.get('account'), null);
    assert.equal(front.redirected, 4, 'config and three layers came through the redirect');
    assert.ok(front.tokenRequests.length <= 2, `the token is reused (${front.tokenRequests.length} token requests)`);
  });

  it('sends basic credentials to a token realm that requires them, and fails clearly without them', async () => {
    const credentials = { username: 'pier', password: 's3cret' };
    const front = await startFront(registry.host, { auth: 'bearer', credentials });
    fronts.push(front);
    const denied = new ImageStore({ rootDir: newRoot() });
    await assert.rejects(denied.pullImage(`${front.host}/pier/busybox:1.0`), /failed to pull image .*token request to http:\/\/127\.0\.0\.1:\d+\/token failed: 401/);
    const wrong = new ImageStore({ rootDir: newRoot() });
    await assert.rejects(wrong.pullImage(`${front.host}/pier/busybox:1.0`, { username: 'pier', password: 'nope' }), /token request .* failed: 401/);
    const store = new ImageStore({ rootDir: newRoot() });
    assert.equal(await store.pullImage(`${front.host}/pier/busybox:1.0`, credentials), image.imageId);
    assert.equal(front.tokenRequests.at(-1)?.searchParams.get('account'), 'pier');
    const viaAuthField = new ImageStore({ rootDir: newRoot() });
    assert.equal(await viaAuthField.pullImage(`${front.host}/pier/busybox:1.0`, { auth: Buffer.from('pier:s3cret').toString('base64') }), image.imageId);
  });

  it('answers a basic challenge with the credentials', async () => {
    const credentials = { username: 'pier', password: 'basic-pw' };
    const front = await startFront(registry.host, { auth: 'basic', credentials });
    fronts.push(front);
    const store = new ImageStore({ rootDir: newRoot() });
    await assert.rejects(store.pullImage(`${front.host}/pier/busybox:1.0`), /requires basic authentication and no credentials were given/);
    assert.equal(await store.pullImage(`${front.host}/pier/busybox:1.0`, credentials), image.imageId);
    const wrong = new ImageStore({ rootDir: newRoot() });
    await assert.rejects(wrong.pullImage(`${front.host}/pier/busybox:1.0`, { username: 'pier', password: 'x' }), (err: unknown) => err instanceof CriError && err.code === 'PermissionDenied');
  });

  it('fails the pull on a tampered blob and leaves nothing trusted in the store', async () => {
    // skopeo compresses the uncompressed layer on push, so ask the registry for the digests it serves.
    const served = await fetch(`http://${registry.host}/v2/pier/busybox/manifests/1.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = (await served.json()) as { layers: { digest: string }[] };
    const victim = manifest.layers[2]!.digest;
    const front = await startFront(registry.host, {
      tamper: (path, body) => {
        if (!path.endsWith(`/blobs/${victim}`)) return undefined;
        const copy = Buffer.from(body);
        copy[100] = copy[100]! ^ 0x01;
        return copy;
      },
    });
    fronts.push(front);
    const root = newRoot();
    const store = new ImageStore({ rootDir: root });
    await assert.rejects(store.pullImage(`${front.host}/pier/busybox:1.0`), (err: unknown) => {
      assert.ok(err instanceof CriError, String(err));
      assert.match(err.message, new RegExp(`blob ${victim}: digest mismatch: expected ${victim}, got sha256:`));
      return true;
    });
    assert.equal(await store.resolve(`${front.host}/pier/busybox:1.0`), undefined);
    assert.equal(await store.resolve(image.imageId), undefined);
    assert.deepEqual(await blobsIn(root), [], 'no blob (not even the good ones) outlives the failed pull');
    assert.deepEqual(await readdir(join(root, 'images', 'layers')), []);
    assert.deepEqual(await readdir(join(root, 'images', 'ingest')), []);
    assert.deepEqual(JSON.parse(await readFile(join(root, 'images', 'images.json'), 'utf8').catch(() => '{"images":[]}')).images, []);
  });

  it('refuses a manifest whose bytes do not match the digest the registry states', async () => {
    const front = await startFront(registry.host, {
      tamper: (path, body) => (path.includes('/manifests/') ? Buffer.concat([body, Buffer.from('\n')]) : undefined),
    });
    fronts.push(front);
    const root = newRoot();
    const store = new ImageStore({ rootDir: root });
    await assert.rejects(store.pullImage(`${front.host}/pier/busybox:1.0`), /Docker-Content-Digest\): digest mismatch/);
    assert.deepEqual(await blobsIn(root), []);
  });
});
