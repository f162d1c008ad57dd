/** Where pier keeps a cluster's files when `--data-dir` is not given. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_DATA_HOME/pier`, else `~/.local/share/pier` (per user, as the XDG base directory spec). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  // The spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 'pier');
  return join(env.HOME || homedir(), '.local', 'share', 'pier');
}

/** The files a data directory holds, in one place so `up` and `apiserver` agree. */
export function dataDirLayout(dir: string) {
  return {
    dir,
    pkiDir: join(dir, 'pki'),
    tokenAuthFile: join(dir, 'tokens.csv'),
    kubeconfig: join(dir, 'kubeconfig'),
    etcdDataDir: join(dir, 'etcd'),
    etcdLog: join(dir, 'etcd.log'),
    /** The node agent's root dir (containers, images, volumes, logs) when `pier up` runs one. */
    agentRootDir: join(dir, 'agent'),
  };
}
