/**
 * Errors the CLI reports as one line on stderr: the message is complete
 * (`pier up: ...`), and `exitCode` is 2 for usage mistakes, 1 otherwise.
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A command-line mistake (unknown flag, missing value, bad value): exit code 2, as getopt tools do. */
export function usageError(command: string, problem: string): CliError {
  return new CliError(`${command}: ${problem} (see ${command} --help)`, 2);
}
