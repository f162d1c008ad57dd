/**
 * Renders the `nft -f` script that turns the table from what was last
 * applied into the desired ruleset, as one kernel transaction: either every
 * change lands or none does. Only changed chains are rewritten and only
 * changed map elements touched, so a sync costs in proportion to what
 * changed (kube-proxy's partial syncs). Without a previous state the table
 * is deleted and rebuilt, which also clears anything a crash left behind.
 */
import type { NftRuleset } from './nftables-ruleset.ts';

export function renderNftTransaction(family: string, table: string, previous: NftRuleset | undefined, desired: NftRuleset): string {
  const t = `${family} ${table}`;
  const out: string[] = [];
  out.push(`add table ${t} { comment "pier service proxy rules" ; }`);
  if (!previous) {
    out.push(`delete table ${t}`);
    out.push(`add table ${t} { comment "pier service proxy rules" ; }`);
  }
  const prev: NftRuleset = previous ?? { chains: new Map(), sets: new Map() };

  // Sets first: rules refer to them.
  for (const [name, set] of desired.sets) {
    const old = prev.sets.get(name);
    if (!old || old.spec !== set.spec || old.kind !== set.kind) {
      if (old) out.push(`delete ${old.kind} ${t} ${name}`);
      out.push(`add ${set.kind} ${t} ${name} { ${set.spec} }`);
    }
  }
  // Element removals before chain deletions: a map element may point at a chain about to go.
  for (const [name, set] of desired.sets) {
    const old = prev.sets.get(name);
    if (!old || set.dynamic || old.spec !== set.spec || old.kind !== set.kind) continue;
    const removed = [...old.elements].filter(([key, value]) => set.elements.get(key) !== value || !set.elements.has(key)).map(([key]) => key);
    if (removed.length > 0) out.push(`delete element ${t} ${name} { ${removed.join(', ')} }`);
  }
  // Declare every new chain before any rule, since rules jump forward.
  for (const [name, chain] of desired.chains) {
    if (!prev.chains.has(name)) out.push(`add chain ${t} ${name}${chain.hook ? ` ${chain.hook}` : ''}`);
  }
  for (const [name, chain] of desired.chains) {
    const old = prev.chains.get(name);
    if (old && sameRules(old.rules, chain.rules) && old.hook === chain.hook) continue;
    if (old) {
      if (old.hook !== chain.hook) {
        // A base chain's hook cannot be changed in place.
        out.push(`delete chain ${t} ${name}`, `add chain ${t} ${name}${chain.hook ? ` ${chain.hook}` : ''}`);
      } else {
        out.push(`flush chain ${t} ${name}`);
      }
    }
    for (const rule of chain.rules) out.push(`add rule ${t} ${name} ${rule}`);
  }
  for (const [name, set] of desired.sets) {
    if (set.dynamic) continue;
    const old = prev.sets.get(name);
    const fresh = !old || old.spec !== set.spec || old.kind !== set.kind;
    const added = [...set.elements].filter(([key, value]) => fresh || !old.elements.has(key) || old.elements.get(key) !== value);
    if (added.length > 0) {
      out.push(`add element ${t} ${name} { ${added.map(([key, value]) => (value === undefined ? key : `${key} : ${value}`)).join(', ')} }`);
    }
  }
  // Stale chains: flush them all first, since one may jump to another.
  const staleChains = [...prev.chains.keys()].filter((name) => !desired.chains.has(name));
  for (const name of staleChains) out.push(`flush chain ${t} ${name}`);
  for (const name of staleChains) out.push(`delete chain ${t} ${name}`);
  for (const [name, set] of prev.sets) {
    if (!desired.sets.has(name)) out.push(`delete ${set.kind} ${t} ${name}`);
  }
  return `${out.join('\n')}\n`;
}

/** True when applying `desired` over `previous` would change nothing. */
export function rulesetsEqual(previous: NftRuleset, desired: NftRuleset): boolean {
  if (previous.chains.size !== desired.chains.size || previous.sets.size !== desired.sets.size) return false;
  for (const [name, chain] of desired.chains) {
    const old = previous.chains.get(name);
    if (!old || old.hook !== chain.hook || !sameRules(old.rules, chain.rules)) return false;
  }
  for (const [name, set] of desired.sets) {
    const old = previous.sets.get(name);
    if (!old || old.kind !== set.kind || old.spec !== set.spec || old.elements.size !== set.elements.size) return false;
    for (const [key, value] of set.elements) if (!old.elements.has(key) || old.elements.get(key) !== value) return false;
  }
  return true;
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((rule, i) => rule === b[i]);
}
