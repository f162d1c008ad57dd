/**
 * Layer chain IDs (OCI image-spec config.md "Layer ChainID"): the identity of a
 * layer *applied on top of its parents*, so an unpacked directory is shared
 * only between images whose stacks agree up to that layer.
 */
import { sha256Of } from './digest.ts';

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? diffId : sha256Of(`${parent} ${diffId}`));
  }
  return out;
}
