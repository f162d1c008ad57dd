/**
 * A small long-flag parser: `--name value`, `--name=value`, and boolean
 * `--name`. Anything it does not know is a usage error naming the flag, so a
 * typo never silently falls back to a default.
 */
import { parseGoDuration } from './go-duration.ts';
import { usageError } from './cli-error.ts';

/** One flag of a command. */
export interface FlagSpec {
  /** Without dashes: `data-dir`. */
  name: string;
  /** Placeholder of the value in help (`DIR`); absent for a boolean flag. */
  value?: string;
  help: string;
  /** Shown in help only; the command applies its own defaults. */
  defaultText?: string;
}

/** A subcommand's name, synopsis, and flags; `--help` is implied. */
export interface CommandSpec {
  /** `pier up`. */
  command: string;
  /** One line for `pier help`. */
  summary: string;
  /** Longer text under the usage line. */
  description: string;
  flags: readonly FlagSpec[];
}

/** Parsed flags with typed accessors; every accessor reports bad values as usage errors. */
export class ParsedFlags {
  readonly help: boolean;
  private readonly spec: CommandSpec;
  private readonly values: Map<string, string | true>;

  constructor(spec: CommandSpec, values: Map<string, string | true>, help: boolean) {
    this.spec = spec;
    this.values = values;
    this.help = help;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** A TCP port, 1..65535 (0 with `allowZero`, meaning "pick one"). */
  port(name: string, fallback: number, allowZero = false): number {
    const text = this.string(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) throw usageError(this.spec.command, `--${name} must be a port number (1-65535), got "${text}"`);
    return n;
  }

  /** A whole number in [min, max]. */
  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.string(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw usageError(this.spec.command, `--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  }

  /** A Go duration (`40s`, `1m30s`, `500ms`), in milliseconds. */
  duration(name: string, fallbackMs: number): number {
    const text = this.string(name);
    if (text === undefined) return fallbackMs;
    const ms = parseGoDuration(text);
    if (ms === undefined) throw usageError(this.spec.command, `--${name} must be a duration such as 40s, 5m or 1m30s, got "${text}"`);
    return ms;
  }

  /** A comma-separated list, empty items dropped. */
  list(name: string): string[] | undefined {
    return this.string(name)?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  /** Fails with a usage error when `name` is absent. */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw usageError(this.spec.command, `missing required flag --${name}`);
    return v;
  }
}

/** Parses `argv` against `spec`; throws a usage `CliError` (exit 2) on the first problem. */
export function parseFlags(spec: CommandSpec, argv: readonly string[]): ParsedFlags {
  const values = new Map<string, string | true>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw usageError(spec.command, `unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const flag = spec.flags.find((f) => f.name === name);
    if (!flag) throw usageError(spec.command, `unknown flag --${name}`);
    if (values.has(name)) throw usageError(spec.command, `flag --${name} given twice`);
    if (flag.value === undefined) {
      if (eq !== -1) throw usageError(spec.command, `flag --${name} takes no value`);
      values.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // A following flag is not a value: `--data-dir --port 1` means the value was forgotten.
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') throw usageError(spec.command, `flag --${name} needs a value`);
    values.set(name, value);
  }
  return new ParsedFlags(spec, values, help);
}

/** The `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const rows = [...spec.flags.map((f) => [`--${f.name}${f.value ? ` ${f.value}` : ''}`, f.defaultText ? `${f.help} (default ${f.defaultText})` : f.help]), ['-h, --help', 'show this help']];
  const width = Math.max(...rows.map(([left]) => left!.length));
  const flagLines = rows.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`);
  return `Usage: ${spec.command} [flags]\n\n${spec.description}\n\nFlags:\n${flagLines.join('\n')}\n`;
}

