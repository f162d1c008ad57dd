/**
 * SIGINT/SIGTERM handling for long-running commands: the first signal runs
 * an orderly shutdown and exits 0; a second one, for a shutdown that hangs,
 * runs `force` and exits 1 at once.
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>, force: () => void): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      force();
      process.exit(1);
    }
    signalled = true;
    shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
