/** Backpressure for code that writes chunks to a stream it does not pipe into. */
import type { Writable } from 'node:stream';

/** Writes `data`, resolving once `out` can take more (or is gone): a slow reader slows the follower, not memory. */
export function writeWithBackpressure(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
