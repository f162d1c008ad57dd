/** What every component command does with its `--kubeconfig`: load it, or fail in one line naming the command. */
import { resolve } from 'node:path';
import { loadKubeconfig, type ClusterAccess } from '../client/kubeconfig.ts';
import { CliError } from './cli-error.ts';

export function clusterAccessFor(command: string, kubeconfigPath: string): ClusterAccess {
  try {
    return loadKubeconfig(resolve(kubeconfigPath));
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message}`);
  }
}
