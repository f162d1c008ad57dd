/**
 * Waiting that a component's stop can cut short (apimachinery's wait
 * package): resolves after `ms`, or at once when `signal` aborts, and never
 * leaves a listener on the signal behind.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
