/**
 * `kubectl get events` columns (printers.go printEvent). Unlike other kinds
 * the name is not first: LAST SEEN TYPE REASON OBJECT MESSAGE, with the name
 * last among the wide columns, exactly as Kubernetes prints it.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import { numberField, objectField, stringField } from '../kinds/unstructured.ts';
import { nameDescription, stringColumn } from '../printing/common-columns.ts';
import { translateTimestampSince } from '../printing/human-duration.ts';
import type { PrintColumn } from '../types.ts';

function firstSeen(obj: KubeObject, now: Date): string {
  const first = stringField(obj, 'firstTimestamp');
  return first ? translateTimestampSince(first, now) : translateTimestampSince(stringField(obj, 'eventTime'), now);
}

function lastSeen(obj: KubeObject, now: Date): string {
  const series = objectField(obj, 'series');
  if (series) return translateTimestampSince(stringField(series, 'lastObservedTime'), now);
  const last = stringField(obj, 'lastTimestamp');
  return last ? translateTimestampSince(last, now) : firstSeen(obj, now);
}

function count(obj: KubeObject): number {
  const series = objectField(obj, 'series');
  if (series) return numberField(series, 'count') ?? 0;
  // Singleton events of the new API carry no count.
  return numberField(obj, 'count') || 1;
}

/** `kind/name` of the involved object, kind lower-cased. */
function target(obj: KubeObject): string {
  const ref = objectField(obj, 'involvedObject');
  const kind = (stringField(ref, 'kind') ?? '').toLowerCase();
  const name = stringField(ref, 'name');
  return name ? `${kind}/${name}` : kind;
}

/** formatEventSource: component (or reportingComponent), then host (or reportingInstance). */
function source(obj: KubeObject): string {
  const src = objectField(obj, 'source');
  const component = stringField(src, 'component') || stringField(obj, 'reportingComponent') || '';
  const instance = stringField(src, 'host') || stringField(obj, 'reportingInstance') || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrintColumns: readonly PrintColumn[] = [
  stringColumn('Last Seen', 'The time at which the most recent occurrence of this event was recorded.', lastSeen),
  stringColumn('Type', 'Type of this event (Normal, Warning), new types could be added in the future', (o) => stringField(o, 'type') ?? ''),
  stringColumn('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.', (o) => stringField(o, 'reason') ?? ''),
  stringColumn('Object', 'The object that this event is about.', target),
  stringColumn('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', (o) => stringField(objectField(o, 'involvedObject'), 'fieldPath') ?? '', 1),
  stringColumn('Source', 'The component reporting this event. Should be a short machine understandable string.', source, 1),
  stringColumn('Message', 'A human-readable description of the status of this operation.', (o) => (stringField(o, 'message') ?? '').trim()),
  stringColumn('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', firstSeen, 1),
  stringColumn('Count', 'The number of times this event has occurred.', count, 1),
  { name: 'Name', type: 'string', format: 'name', description: nameDescription, priority: 1, cell: (o) => o.metadata.name ?? '' },
];
