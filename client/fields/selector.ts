/**
 * Field selectors, as k8s.io/apimachinery pkg/fields: `?fieldSelector=` and
 * `kubectl --field-selector`. Terms are `field=value`, `field==value` or
 * `field!=value`, joined by commas; `\`, `,` and `=` in a value are escaped
 * with a backslash. Which fields exist is the resource's business, not the
 * parser's.
 */
import { SelectorParseError } from '../labels/selector.ts';

export { SelectorParseError };

/** One term; `==` parses to `=`. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A compiled field selector (fields.Selector). */
export interface FieldSelector {
  /**
   * Whether every term holds; `get` returns a field's value, and a missing
   * field reads as the empty string (fields.Set.Get).
   */
  matches(get: (field: string) => string | undefined): boolean;
  /** True when the selector has no terms. */
  empty(): boolean;
  requirements(): readonly FieldRequirement[];
  /** The value `field` must equal, if a `=` term pins it. */
  requiresExactMatch(field: string): string | undefined;
  /** Terms in parse (sorted) order, values escaped. */
  toString(): string;
}

class AndSelector implements FieldSelector {
  readonly #terms: readonly FieldRequirement[];

  constructor(terms: readonly FieldRequirement[]) {
    this.#terms = terms;
  }

  matches(get: (field: string) => string | undefined): boolean {
    return this.#terms.every((t) => ((get(t.field) ?? '') === t.value) === (t.operator === '='));
  }

  empty(): boolean {
    return this.#terms.length === 0;
  }

  requirements(): readonly FieldRequirement[] {
    return this.#terms;
  }

  requiresExactMatch(field: string): string | undefined {
    return this.#terms.find((t) => t.field === field && t.operator === '=')?.value;
  }

  toString(): string {
    return this.#terms.map((t) => `${t.field}${t.operator}${escapeValue(t.value)}`).join(',');
  }
}

/** Selects everything. */
export function everything(): FieldSelector {
  return new AndSelector([]);
}

/** fields.OneTermEqualSelector. */
export function oneTermEqualSelector(field: string, value: string): FieldSelector {
  return new AndSelector([{ field, operator: '=', value }]);
}

/** fields.EscapeValue. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,=]/g, (ch) => `\\${ch}`);
}

/** fields.UnescapeValue: only `\\`, `\,` and `\=` are escapes, and `,`/`=` must be escaped. */
export function unescapeValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  let inSlash = false;
  for (const ch of value) {
    if (inSlash) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      out += ch;
      inSlash = false;
    } else if (ch === '\\') {
      inSlash = true;
    } else if (ch === ',' || ch === '=') {
      // Go prints the rune with %v, i.e. as its code point.
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    } else {
      out += ch;
    }
  }
  if (inSlash) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (inSlash) inSlash = false;
    else if (ch === '\\') inSlash = true;
    else if (ch === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const termOperators = ['!=', '==', '='] as const;

/** Splits a term at its first operator. */
function splitTerm(term: string): { lhs: string; op: (typeof termOperators)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector. Terms are sorted (byte order) as apimachinery sorts
 * them; empty terms are skipped. Throws SelectorParseError.
 */
export function parseFieldSelector(text: string): FieldSelector {
  const parts = splitTerms(text).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const terms: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${part}'`);
    terms.push({ field: split.lhs, operator: split.op === '!=' ? '!=' : '=', value: unescapeValue(split.rhs) });
  }
  return new AndSelector(terms);
}
