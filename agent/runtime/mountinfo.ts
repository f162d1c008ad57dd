/** /proc/self/mountinfo, parsed (proc(5)): what is mounted where, and as what. */
import { readFile } from 'node:fs/promises';

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const preFields = pre.split(' ');
    const postFields = post.split(' ');
    out.push({
      mountPoint: unescape(preFields[4] ?? ''),
      fsType: postFields[0] ?? '',
      source: unescape(postFields[1] ?? ''),
      superOptions: (postFields[2] ?? '').split(','),
    });
  }
  return out;
}

export async function readMountInfo(): Promise<MountInfo[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mount points at or below `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix));
}
