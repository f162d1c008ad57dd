/**
 * Label selectors, as k8s.io/apimachinery pkg/labels: the string syntax of
 * `?labelSelector=` and `kubectl -l`, and metav1.LabelSelector from specs.
 *
 *   <selector>    ::= <requirement> | <requirement> "," <selector>
 *   <requirement> ::= [!] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
 *
 * Error texts follow labels.Parse, since clients show them verbatim.
 */
import { isLabelKey, isValidLabelValue } from './label-syntax.ts';

/** A selector (label or field) that could not be parsed; the message is apimachinery's. */
export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

/** selection.Operator values, spelled as apimachinery spells them. */
export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One `key op values` term; all terms of a selector must match. */
export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Sorted and unique when parsed from a string; as given when built from a metav1.LabelSelector. */
  readonly values: readonly string[];
}

/** A compiled label selector (labels.Selector). */
export interface LabelSelector {
  /** Whether the labels satisfy every requirement; `undefined` labels are an empty set. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when the selector selects everything (no requirements). */
  empty(): boolean;
  /** The canonical text, requirements sorted by key: `a=b,c in (d,e),!f`. */
  toString(): string;
  requirements(): readonly Requirement[];
  /** The value `key` must have, if the selector pins it to exactly one. */
  requiresExactMatch(key: string): string | undefined;
}

/** The metav1.LabelSelector API type. */
export interface Metav1LabelSelector {
  matchLabels?: Readonly<Record<string, string>> | undefined;
  matchExpressions?: ReadonlyArray<Metav1LabelSelectorRequirement> | undefined;
}

/** One metav1.LabelSelectorRequirement: `values` must be empty for Exists/DoesNotExist and non-empty for In/NotIn. */
export interface Metav1LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: readonly string[] | undefined;
}

// ---- requirements --------------------------------------------------------

function lookup(labels: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  return labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** An integer as strconv.ParseInt(s, 10, 64) accepts it. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  return valueMatches(r.operator, r.values, lookup(labels, r.key));
}

/** Whether a label's value (undefined: no such label) satisfies `operator values` (Requirement.Matches). */
export function valueMatches(operator: Operator, values: readonly string[], value: string | undefined): boolean {
  switch (operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case 'gt':
    case 'lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = parseInt64(value);
      const want = parseInt64(values[0]!);
      if (have === undefined || want === undefined) return false;
      return operator === 'gt' ? have > want : have < want;
    }
  }
}

function sortedValues(values: readonly string[]): readonly string[] {
  return values.every((v, i) => i === 0 || values[i - 1]! <= v) ? values : [...values].sort();
}

/** Requirement.String. */
export function requirementToString(r: Requirement): string {
  const prefix = r.operator === '!' ? '!' : '';
  switch (r.operator) {
    case 'exists':
    case '!':
      return `${prefix}${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${sortedValues(r.values).join(',')})`;
    case 'gt':
      return `${r.key}>${sortedValues(r.values).join(',')}`;
    case 'lt':
      return `${r.key}<${sortedValues(r.values).join(',')}`;
    default:
      return `${r.key}${r.operator}${sortedValues(r.values).join(',')}`;
  }
}

/** field.Error.ErrorBody for an Invalid value, as `<path>: Invalid value: <value>: <detail>`. */
function invalid(path: string, value: string | readonly string[], detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

/** utilerrors aggregate text: one error alone, several as `[a, b]`. */
function aggregate(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/**
 * labels.NewRequirement: validates the key, the operator's arity and each
 * value. Throws SelectorParseError carrying the aggregated field errors.
 */
export function newRequirement(key: string, operator: Operator, values: readonly string[]): Requirement {
  const errs: string[] = [];
  const keyErrs = isLabelKey(key);
  if (keyErrs.length > 0) errs.push(invalid('key', key, keyErrs.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${JSON.stringify(operator)}`);
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length > 0) throw new SelectorParseError(aggregate(errs));
  return { key, operator, values: [...values] };
}

// ---- selectors -----------------------------------------------------------

class InternalSelector implements LabelSelector {
  readonly #requirements: readonly Requirement[];

  /** Requirements are kept sorted by key (stable), as labels.Selector.Add does. */
  constructor(requirements: readonly Requirement[]) {
    this.#requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.#requirements.every((r) => requirementMatches(r, labels));
  }

  empty(): boolean {
    return this.#requirements.length === 0;
  }

  toString(): string {
    return this.#requirements.map(requirementToString).join(',');
  }

  requirements(): readonly Requirement[] {
    return this.#requirements;
  }

  requiresExactMatch(key: string): string | undefined {
    const r = this.#requirements.find((req) => req.key === key);
    if (!r || r.values.length !== 1) return undefined;
    return r.operator === '=' || r.operator === '==' || r.operator === 'in' ? r.values[0] : undefined;
  }
}

/** labels.Nothing: what a nil metav1.LabelSelector selects. */
class NothingSelector implements LabelSelector {
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  requirements(): readonly Requirement[] {
    return [];
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

const everythingSelector: LabelSelector = new InternalSelector([]);
const nothingSelector: LabelSelector = new NothingSelector();

/** Selects every object. */
export function everything(): LabelSelector {
  return everythingSelector;
}

/** Selects no object. */
export function nothing(): LabelSelector {
  return nothingSelector;
}

/** True for the selector `nothing()` returns (labels.MatchesNothing). */
export function matchesNothing(selector: LabelSelector): boolean {
  return selector === nothingSelector;
}

/** A selector from already-valid requirements; they are sorted by key. */
export function selectorFromRequirements(requirements: readonly Requirement[]): LabelSelector {
  return new InternalSelector(requirements);
}

/** labels.SelectorFromSet: `k=v` for each label; an empty set selects everything. No validation. */
export function selectorFromSet(labels: Readonly<Record<string, string>> | undefined): LabelSelector {
  if (!labels) return everythingSelector;
  return new InternalSelector(Object.keys(labels).map((key) => ({ key, operator: '=' as const, values: [labels[key]!] })));
}

/**
 * metav1.LabelSelectorAsSelector: a nil selector matches nothing, an empty
 * one everything. Throws SelectorParseError for an invalid key, value or
 * operator.
 */
export function labelSelectorFromMetav1(selector: Metav1LabelSelector | undefined | null): LabelSelector {
  if (selector === undefined || selector === null) return nothingSelector;
  return new InternalSelector(metav1Requirements(selector, true));
}

/**
 * The canonical string of a metav1.LabelSelector (LabelSelectorAsSelector
 * then String), as the scale subresource reports in `status.selector`.
 * Stored selectors were validated on write, so this one does not validate.
 */
export function selectorToString(selector: Metav1LabelSelector | undefined | null): string {
  if (selector === undefined || selector === null) return '';
  return new InternalSelector(metav1Requirements(selector, false)).toString();
}

const metav1Operators: Readonly<Record<Metav1LabelSelectorRequirement['operator'], Operator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

function metav1Requirements(selector: Metav1LabelSelector, validate: boolean): Requirement[] {
  const out: Requirement[] = [];
  const matchLabels = selector.matchLabels ?? {};
  for (const key of Object.keys(matchLabels).sort()) {
    const values = [matchLabels[key]!];
    out.push(validate ? newRequirement(key, '=', values) : { key, operator: '=', values });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const op = Object.hasOwn(metav1Operators, expr.operator) ? metav1Operators[expr.operator] : undefined;
    if (op === undefined) throw new SelectorParseError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    const values = [...(expr.values ?? [])];
    out.push(validate ? newRequirement(expr.key, op, values) : { key: expr.key, operator: op, values });
  }
  return out;
}

// ---- parsing -------------------------------------------------------------

type Token =
  | 'error'
  | 'end'
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | 'identifier'
  | 'in'
  | '<'
  | '!='
  | 'notin'
  | '(';

/** Literal tokens; anything else made of non-special characters is an identifier. */
const literalTokens: ReadonlyMap<string, Token> = new Map<string, Token>([
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['==', '=='],
  ['=', '='],
  ['>', '>'],
  ['in', 'in'],
  ['<', '<'],
  ['!=', '!='],
  ['notin', 'notin'],
  ['(', '('],
]);

interface ScannedItem {
  token: Token;
  literal: string;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return '=!(),><'.includes(ch);
}

/** labels.Lexer: splits the input into tokens, longest literal match first for operators. */
function scan(input: string): ScannedItem[] {
  const items: ScannedItem[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos]!)) pos++;
    if (pos >= input.length) {
      items.push({ token: 'end', literal: '' });
      return items;
    }
    if (isSpecialSymbol(input[pos]!)) {
      let buffer = '';
      let last: ScannedItem | undefined;
      while (pos < input.length && isSpecialSymbol(input[pos]!)) {
        const next = buffer + input[pos]!;
        const token = literalTokens.get(next);
        if (token !== undefined) {
          last = { token, literal: next };
        } else if (last !== undefined) {
          break;
        }
        buffer = next;
        pos++;
      }
      items.push(last ?? { token: 'error', literal: `error expected: keyword found '${buffer}'` });
    } else {
      const start = pos;
      while (pos < input.length && !isSpecialSymbol(input[pos]!) && !isWhitespace(input[pos]!)) pos++;
      const literal = input.slice(start, pos);
      items.push({ token: literalTokens.get(literal) ?? 'identifier', literal });
    }
  }
}

/** Whether `in`/`notin` are keywords (after a key) or plain values. */
type ParserContext = 'keyAndOperator' | 'values';

class Parser {
  readonly #items: ScannedItem[];
  #position = 0;

  constructor(input: string) {
    this.#items = scan(input);
  }

  #token(item: ScannedItem, context: ParserContext): ScannedItem {
    if (context === 'values' && (item.token === 'in' || item.token === 'notin')) return { token: 'identifier', literal: item.literal };
    return item;
  }

  lookahead(context: ParserContext): ScannedItem {
    return this.#token(this.#items[this.#position]!, context);
  }

  consume(context: ParserContext): ScannedItem {
    const item = this.#items[this.#position]!;
    if (item.token !== 'end') this.#position++;
    return this.#token(item, context);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const { token, literal } = this.lookahead('values');
      if (token === 'end') return requirements;
      if (token !== 'identifier' && token !== '!') {
        throw new SelectorParseError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (err) {
        if (err instanceof SelectorParseError) throw new SelectorParseError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const next = this.consume('values');
      if (next.token === 'end') return requirements;
      if (next.token !== ',') throw new SelectorParseError(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.lookahead('values');
      if (after.token !== 'identifier' && after.token !== '!') {
        throw new SelectorParseError(`found '${after.literal}', expected: identifier after ','`);
      }
    }
  }

  parseRequirement(): Requirement {
    const { key, operator: inferred } = this.parseKeyAndInferOperator();
    if (inferred !== undefined) return newRequirement(key, inferred, []);
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  /** A key, and `exists`/`!` when no binary operator follows. */
  parseKeyAndInferOperator(): { key: string; operator: Operator | undefined } {
    let item = this.consume('values');
    let operator: Operator | undefined;
    if (item.token === '!') {
      operator = '!';
      item = this.consume('values');
    }
    if (item.token !== 'identifier') throw new SelectorParseError(`found '${item.literal}', expected: identifier`);
    const keyErrs = isLabelKey(item.literal);
    if (keyErrs.length > 0) throw new SelectorParseError(invalid('<nil>', item.literal, keyErrs.join('; ')));
    const next = this.lookahead('values').token;
    if ((next === 'end' || next === ',') && operator === undefined) operator = 'exists';
    return { key: item.literal, operator };
  }

  parseOperator(): Operator {
    const { token, literal } = this.consume('keyAndOperator');
    switch (token) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new SelectorParseError(`found '${literal}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** `(a,b,c)`; empty members (`(a,,b)`, `()`) are the empty string. */
  parseValues(): Set<string> {
    const open = this.consume('values');
    if (open.token !== '(') throw new SelectorParseError(`found '${open.literal}' expected: '('`);
    const { token, literal } = this.lookahead('values');
    if (token === ')') {
      this.consume('values');
      return new Set(['']);
    }
    if (token !== 'identifier' && token !== ',') throw new SelectorParseError(`found '${literal}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume('values').token !== ')') throw new SelectorParseError(`found '${literal}', expected: ')'`);
    return values;
  }

  parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { token, literal } = this.consume('values');
      if (token === 'identifier') {
        values.add(literal);
        const next = this.lookahead('values');
        if (next.token === ',') continue;
        if (next.token === ')') return values;
        throw new SelectorParseError(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (token === ',') {
        if (values.size === 0) values.add('');
        const next = this.lookahead('values').token;
        if (next === ')') {
          values.add('');
          return values;
        }
        if (next === ',') values.add('');
        continue;
      }
      throw new SelectorParseError(`found '${literal}', expected: ',', or identifier`);
    }
  }

  parseExactValue(): Set<string> {
    const next = this.lookahead('values').token;
    if (next === 'end' || next === ',') return new Set(['']);
    const { token, literal } = this.consume('values');
    if (token === 'identifier') return new Set([literal]);
    throw new SelectorParseError(`found '${literal}', expected: identifier`);
  }
}

/**
 * labels.Parse: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
 * `!k`, `k>1`, `k<1`, joined by commas. Throws SelectorParseError.
 */
export function parseLabelSelector(text: string): LabelSelector {
  return new InternalSelector(new Parser(text).parse());
}
