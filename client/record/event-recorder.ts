/**
 * Records core/v1 Events about objects, as client-go's tools/record recorder:
 * the event is named after the object plus the time in hex nanoseconds, and a
 * repeat of the same reason and message for the same object within the
 * correlation window bumps `count` and `lastTimestamp` on the first event
 * instead of creating another (events_cache.go's aggregation, simplified).
 * Recording never throws: a lost event must not fail the controller's sync.
 */
import type { KubeObject } from '../api/meta.ts';
import { metaNow } from '../api/meta-time.ts';
import type { RestClient } from '../rest/rest-client.ts';

export type EventType = 'Normal' | 'Warning';

/** The reference to the object an event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventRecorderOptions {
  client: RestClient;
  /** `source.component` and `reportingComponent`, e.g. `deployment-controller`. */
  component: string;
  /** Repeats within this window are aggregated. Default 10 minutes. */
  correlationWindowMs?: number;
  onError?: (err: unknown) => void;
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
  at: number;
}

const eventsPath = (namespace: string) => ({ group: '', version: 'v1', plural: 'events', namespace }) as const;

/** A Kubernetes-style event name: object name + hex nanoseconds (never ends in '.'). */
export function eventName(objectName: string): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return `${objectName}.${nanos.toString(16)}`;
}

export function objectReference(obj: KubeObject): InvolvedObject {
  const ref: InvolvedObject = { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? '', name: obj.metadata.name ?? '' };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export class EventRecorder {
  readonly #client: RestClient;
  readonly #component: string;
  readonly #windowMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #recent = new Map<string, Recorded>();

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#component = options.component;
    this.#windowMs = options.correlationWindowMs ?? 600_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Records an event about `obj` (an object or a reference) and resolves once written or given up. */
  async event(obj: KubeObject | InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    const ref = 'metadata' in obj ? objectReference(obj as KubeObject) : (obj as InvolvedObject);
    // Cluster-scoped objects' events live in default, as in Kubernetes.
    const namespace = ref.namespace ?? 'default';
    const key = `${ref.kind}/${namespace}/${ref.name}/${ref.uid ?? ''}/${type}/${reason}/${message}`;
    const now = Date.now();
    this.#expire(now);
    const seen = this.#recent.get(key);
    const stamp = metaNow();
    try {
      if (seen && now - seen.at < this.#windowMs) {
        seen.count++;
        seen.at = now;
        await this.#client.patch(
          { ...eventsPath(seen.namespace), name: seen.name },
          'merge',
          { count: seen.count, lastTimestamp: stamp },
        );
        return;
      }
      const name = eventName(ref.name);
      this.#recent.set(key, { namespace, name, count: 1, at: now });
      await this.#client.create(eventsPath(namespace), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: ref,
        reason,
        message,
        type,
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: '',
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        count: 1,
      } as KubeObject);
    } catch (err) {
      this.#recent.delete(key);
      this.#onError(err);
    }
  }

  #expire(now: number): void {
    if (this.#recent.size < 4096) return;
    for (const [key, rec] of this.#recent) if (now - rec.at >= this.#windowMs) this.#recent.delete(key);
  }
}
