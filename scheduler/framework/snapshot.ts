/**
 * The cluster as one scheduling cycle sees it: NodeInfos in a stable order
 * (the sampling cursor walks this list) and an index by node name.
 */
import { NodeInfo } from './node-info.ts';
import type { Node, Pod } from './types.ts';

export class Snapshot {
  readonly nodeInfoList: NodeInfo[];
  private readonly byName: Map<string, NodeInfo>;

  constructor(nodeInfoList: NodeInfo[]) {
    this.nodeInfoList = nodeInfoList;
    this.byName = new Map(nodeInfoList.map((n) => [n.name, n]));
  }

  /** Builds NodeInfos from plain objects: pods count where spec.nodeName says. */
  static fromObjects(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
    const infos = nodes.map((n) => new NodeInfo(n));
    const snap = new Snapshot(infos);
    for (const p of pods) {
      const name = p.spec.nodeName;
      if (name) snap.get(name)?.addPod(p);
    }
    return snap;
  }

  get(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  get numNodes(): number {
    return this.nodeInfoList.length;
  }
}
