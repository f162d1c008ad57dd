/**
 * A minimal root filesystem for runtime tests: Debian's static busybox with
 * a symlink per applet, plus /etc/passwd and /etc/group (root, `app` 1000,
 * nobody). Built from the host's /bin/busybox, so tests need no registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { access, chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const busyboxCandidates = ['/bin/busybox', '/usr/bin/busybox'];

async function findStaticBusybox(): Promise<string> {
  for (const path of busyboxCandidates) {
    try {
      await access(path);
    } catch {
      continue;
    }
    // A dynamically linked busybox would need the host's libc inside the rootfs.
    const ldd = spawnSync('ldd', [path], { encoding: 'utf8' });
    if (ldd.status !== 0 && /not a dynamic executable/.test(ldd.stdout + ldd.stderr)) return path;
  }
  throw new Error('busybox-static is missing: apt-get install busybox-static');
}

/** Builds the rootfs in `dir` (created if needed); returns `dir`. */
export async function buildBusyboxRootfs(dir: string): Promise<string> {
  const busybox = await findStaticBusybox();
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(busybox, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list-full']).toString().split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    const target = join(dir, applet);
    await mkdir(dirname(target), { recursive: true });
    await symlink('/bin/busybox', target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/app', 'var', 'run']) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await chmod(join(dir, 'tmp'), 0o1777);
  await writeFile(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n');
  return dir;
}
