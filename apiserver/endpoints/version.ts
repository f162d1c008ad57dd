/**
 * /version. kubectl's dispatcher picks its client by `minor`, so the server
 * reports Kubernetes 1.32 (see KUBECTL_WIRE.md §1); gitVersion must parse as semver.
 */
export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-pier.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-23T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'node',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
} as const;
