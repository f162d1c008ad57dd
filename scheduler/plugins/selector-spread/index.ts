/**
 * SelectorSpread (the pre-1.27 default spreading score, keyed here on the
 * controller ownerReference instead of Service/ReplicaSet selectors): fewer
 * sibling pods on a node, and in its zone, scores higher.
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import { maxNodeScore, type ClusterEvent, type EnqueueExtensions, type NodeScore, type PreScorePlugin, type ScorePlugin } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { skip, type Status } from '../../framework/status.ts';
import type { Node, Pod } from '../../framework/types.ts';

export const name = 'SelectorSpread';
/** Zone spreading outweighs node spreading, as in kube-scheduler. */
const zoneWeighting = 2 / 3;
const zoneLabel = 'topology.kubernetes.io/zone';
const regionLabel = 'topology.kubernetes.io/region';
const stateKey = `PreScore${name}`;

interface PreScoreState {
  ownerUID: string;
  namespace: string;
  zoneOf: Map<string, string>;
}

export function controllerUID(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;
}

/** utilnode.GetZoneKey: region and zone together, empty when neither is set. */
function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const zone = labels[zoneLabel] ?? '';
  const region = labels[regionLabel] ?? '';
  return zone === '' && region === '' ? '' : `${region}:\x00:${zone}`;
}

export class SelectorSpread implements PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | null {
    const ownerUID = controllerUID(pod);
    if (!ownerUID) return skip();
    const zoneOf = new Map<string, string>();
    for (const n of nodes) {
      const z = zoneKey(n.node);
      if (z !== '') zoneOf.set(n.name, z);
    }
    state.write(stateKey, { ownerUID, namespace: pod.metadata.namespace ?? '', zoneOf } satisfies PreScoreState);
    return null;
  }

  /** Raw score: sibling pods already on the node. */
  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const s = state.read<PreScoreState>(stateKey);
    let n = 0;
    for (const p of nodeInfo.pods) {
      const m = p.pod.metadata;
      if (m.deletionTimestamp || (m.namespace ?? '') !== s.namespace) continue;
      if (controllerUID(p.pod) === s.ownerUID) n++;
    }
    return n;
  }

  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    const s = state.read<PreScoreState>(stateKey);
    let maxByNode = 0;
    const byZone = new Map<string, number>();
    for (const sc of scores) {
      maxByNode = Math.max(maxByNode, sc.score);
      const z = s.zoneOf.get(sc.name);
      if (z !== undefined) byZone.set(z, (byZone.get(z) ?? 0) + sc.score);
    }
    let maxByZone = 0;
    for (const v of byZone.values()) maxByZone = Math.max(maxByZone, v);
    const haveZones = byZone.size > 0;
    for (const sc of scores) {
      let f = maxNodeScore;
      if (maxByNode > 0) f = maxNodeScore * ((maxByNode - sc.score) / maxByNode);
      const z = haveZones ? s.zoneOf.get(sc.name) : undefined;
      if (z !== undefined) {
        let zoneScore = maxNodeScore;
        if (maxByZone > 0) zoneScore = maxNodeScore * ((maxByZone - (byZone.get(z) ?? 0)) / maxByZone);
        f = f * (1 - zoneWeighting) + zoneWeighting * zoneScore;
      }
      sc.score = Math.trunc(f);
    }
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return [{ resource: 'AssignedPod', actionTypes: ['Add', 'Delete'] }];
  }
}
