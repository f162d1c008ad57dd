/**
 * Event rules (legacyValidateEvent): the involved object's namespace must be
 * the event's; events with `eventTime` (the new API's shape) also need the
 * reporting fields.
 */
import type { KubeObject } from '../../../client/api/meta.ts';
import type { FieldError } from '../../errors/status-error.ts';
import { objectField, stringField } from '../kinds/unstructured.ts';
import type { FieldSelectors, Strategy } from '../types.ts';
import { isQualifiedName } from '../validation/qualified-name.ts';
import type { Event } from './schema.ts';

const lengthLimit = 128;
const noteLengthLimit = 1024;

export const eventStrategy: Strategy = {
  validate(obj: KubeObject) {
    const ev = obj as unknown as Event;
    const errs: FieldError[] = [];
    const ns = ev.metadata.namespace ?? '';
    const involvedNs = ev.involvedObject.namespace ?? '';
    const mismatch: FieldError = { type: 'Invalid', path: 'involvedObject.namespace', value: involvedNs, detail: 'does not match event.namespace' };
    if (!ev.eventTime) {
      // Cluster-scoped objects' events live in "default" (or nowhere), for old clients.
      if (involvedNs === '' ? ns !== '' && ns !== 'default' : ns !== involvedNs) errs.push(mismatch);
      return errs;
    }
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch);
    const controller = ev.reportingComponent ?? '';
    if (!controller) errs.push({ type: 'Required', path: 'reportingComponent' });
    else for (const msg of isQualifiedName(controller)) errs.push({ type: 'Invalid', path: 'reportingComponent', value: controller, detail: msg });
    const limited: [string, string | null | undefined, number][] = [
      ['reportingInstance', ev.reportingInstance, lengthLimit],
      ['action', ev.action, lengthLimit],
      ['reason', ev.reason, lengthLimit],
    ];
    for (const [field, value, limit] of limited) {
      if (!value) errs.push({ type: 'Required', path: field });
      else if (value.length > limit) errs.push({ type: 'TooLong', path: field, detail: `may not be more than ${limit} bytes` });
    }
    if ((ev.message ?? '').length > noteLengthLimit) errs.push({ type: 'TooLong', path: 'message', detail: `may not be more than ${noteLengthLimit} bytes` });
    return errs;
  },
};

function involved(field: string) {
  return (obj: KubeObject) => stringField(objectField(obj, 'involvedObject'), field);
}

/** event.ToSelectableFields (core/v1 names). */
export const eventFieldSelectors: FieldSelectors = {
  'involvedObject.kind': involved('kind'),
  'involvedObject.namespace': involved('namespace'),
  'involvedObject.name': involved('name'),
  'involvedObject.uid': involved('uid'),
  'involvedObject.apiVersion': involved('apiVersion'),
  'involvedObject.resourceVersion': involved('resourceVersion'),
  'involvedObject.fieldPath': involved('fieldPath'),
  reason: (obj) => stringField(obj, 'reason'),
  reportingComponent: (obj) => stringField(obj, 'reportingComponent'),
  source: (obj) => stringField(objectField(obj, 'source'), 'component') || stringField(obj, 'reportingComponent'),
  type: (obj) => stringField(obj, 'type'),
};
