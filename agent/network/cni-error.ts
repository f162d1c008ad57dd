/**
 * A failed CNI plugin call, carrying the spec's error fields so callers can
 * branch on `code` (SPEC.md "Error" and "Well-known error codes").
 */
import type { CniCommand } from './cni-types.ts';

/** Well-known CNI error codes; 100 and up are plugin-specific. */
export const CniErrorCode = {
  IncompatibleCniVersion: 1,
  UnsupportedField: 2,
  ContainerUnknown: 3,
  InvalidEnvironmentVariables: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
} as const;

const codeNames: Record<number, string> = Object.fromEntries(
  Object.entries(CniErrorCode).map(([name, code]) => [code, name]),
);

/** The error a plugin reported (or that the runtime synthesized for a plugin that did not). */
export class CniError extends Error {
  /** The plugin's `type` (binary name). */
  readonly plugin: string;
  readonly command: CniCommand;
  /** The spec's `code`; 0 when the plugin printed no error object. */
  readonly code: number;
  /** The spec's `msg`. */
  readonly msg: string;
  /** The spec's `details`. */
  readonly details: string;

  constructor(plugin: string, command: CniCommand, code: number, msg: string, details = '', cause?: unknown) {
    const name = codeNames[code];
    const label = code === 0 ? '' : name ? ` (code ${code} ${name})` : ` (code ${code})`;
    super(`CNI plugin ${plugin} ${command} failed${label}: ${msg}${details ? `; ${details}` : ''}`, { cause });
    this.name = 'CniError';
    this.plugin = plugin;
    this.command = command;
    this.code = code;
    this.msg = msg;
    this.details = details;
  }
}
