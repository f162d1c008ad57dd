/**
 * Serves a watch as Kubernetes does: HTTP 200, chunked application/json, one
 * WatchEvent per line, ended by timeoutSeconds, the client going away, or an
 * ERROR event. Table watches carry a one-row Table per event.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject, WatchEvent } from '../../client/api/meta.ts';
import type { GenericStore } from '../registry/generic-store.ts';
import type { Watcher } from '../storage/interface.ts';
import { type IncludeObject, toTable } from './table.ts';

export interface WatchStreamOptions {
  store: GenericStore;
  watcher: Watcher;
  abort: AbortController;
  timeoutSeconds: number | undefined;
  table: { include: IncludeObject } | undefined;
}

function encodeEvent(event: WatchEvent, opts: WatchStreamOptions): string {
  const { store } = opts;
  let object: unknown = event.object;
  if (event.type === 'BOOKMARK') {
    object = { kind: store.def.kind, apiVersion: store.apiVersion, metadata: { resourceVersion: event.object.metadata?.resourceVersion ?? '' } };
  } else if (event.type !== 'ERROR') {
    // Watch objects are shared with the watch cache: never mutate them.
    let obj = event.object as KubeObject;
    if (obj.kind === undefined || obj.apiVersion === undefined) obj = { ...obj, kind: store.def.kind, apiVersion: store.apiVersion };
    object = obj;
    if (opts.table) object = toTable(store.def, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, opts.table.include);
  }
  return `${JSON.stringify({ type: event.type, object })}\n`;
}

/** Streams until the watch ends; never throws (errors end the stream). */
export async function serveWatch(res: ServerResponse, opts: WatchStreamOptions): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const { abort } = opts;
  const onClose = () => abort.abort();
  res.on('close', onClose);
  const timer = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0 ? setTimeout(() => abort.abort(), opts.timeoutSeconds * 1000) : undefined;
  try {
    for await (const event of opts.watcher) {
      if (abort.signal.aborted) break;
      const ok = res.write(encodeEvent(event, opts));
      if (event.type === 'ERROR') break;
      if (!ok) {
        // Back-pressure: wait for the socket to drain (or the client to leave).
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            abort.signal.removeEventListener('abort', done);
            resolve();
          };
          res.once('drain', done);
          abort.signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  } catch {
    // A broken watch ends the stream; the client re-lists or re-watches.
  } finally {
    if (timer) clearTimeout(timer);
    res.off('close', onClose);
    abort.abort();
    if (!res.writableEnded) res.end();
  }
}
