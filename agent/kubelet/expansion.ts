/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), used
 * on env values, command and args: `$(NAME)` becomes the variable's value,
 * a reference to an unknown variable is left as written, and `$$` escapes a
 * `$` (so `$$(NAME)` stays literal). No shell syntax (`$NAME`, `${NAME}`).
 */

/** Looks a name up; undefined when unknown. */
export type VariableLookup = (name: string) => string | undefined;

export function expand(input: string, lookup: VariableLookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close < 0) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A lookup over maps, the first that has the name winning (kubelet's MappingFuncFor). */
export function lookupIn(...contexts: ReadonlyArray<ReadonlyMap<string, string>>): VariableLookup {
  return (name) => {
    for (const c of contexts) {
      const v = c.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
