/**
 * Which uid/gid a container's process runs as: the CRI security context wins,
 * then the image's `User` (`uid`, `uid:gid`, `name`, `name:group`, names
 * looked up in the rootfs' /etc/passwd and /etc/group, as containerd's
 * `oci.WithUser`), then root.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ContainerUser {
  uid: number;
  gid: number;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && f[0])
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

export function parseGroup(text: string): { name: string; gid: number }[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => ({ name: f[0]!, gid: Number(f[2]) }));
}

const numeric = /^\d+$/;

export async function resolveContainerUser(
  rootfs: string,
  imageUser: string | undefined,
  runAsUser: number | undefined,
  runAsGroup: number | undefined,
  runAsUsername: string | undefined,
): Promise<ContainerUser> {
  const passwd = parsePasswd(await readFile(join(rootfs, 'etc/passwd'), 'utf8').catch(() => ''));
  const groups = parseGroup(await readFile(join(rootfs, 'etc/group'), 'utf8').catch(() => ''));
  const [userPart, groupPart] = (runAsUsername ?? imageUser ?? '').split(':');

  let uid = 0;
  let gid: number | undefined;
  if (runAsUser !== undefined) {
    uid = runAsUser;
    gid = passwd.find((p) => p.uid === uid)?.gid;
  } else if (userPart) {
    if (numeric.test(userPart)) {
      uid = Number(userPart);
      gid = passwd.find((p) => p.uid === uid)?.gid;
    } else {
      const entry = passwd.find((p) => p.name === userPart);
      if (!entry) throw new Error(`user ${JSON.stringify(userPart)} not found in the image's /etc/passwd`);
      uid = entry.uid;
      gid = entry.gid;
    }
  }
  if (runAsGroup !== undefined) gid = runAsGroup;
  else if (groupPart) {
    if (numeric.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new Error(`group ${JSON.stringify(groupPart)} not found in the image's /etc/group`);
      gid = g.gid;
    }
  }
  return { uid, gid: gid ?? 0 };
}
