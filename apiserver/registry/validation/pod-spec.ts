/**
 * The semantic half of ValidatePodSpec (pkg/apis/core/validation): names,
 * uniqueness and cross-field rules the zod schema cannot express. Runs on
 * schema-valid specs only. Paths are relative to `path` (`spec`,
 * `spec.template.spec`).
 */
import type { FieldError } from '../../errors/status-error.ts';
import type { Container, PodSpec } from '../kinds/pod-spec.ts';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isValidPortName } from './dns.ts';
import { validateLabels } from './object-meta.ts';
import { isQualifiedName } from './qualified-name.ts';

const maxInt32 = 2147483647;

function validateContainer(c: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of isDNS1123Label(c.name)) errs.push({ type: 'Invalid', path: `${path}.name`, value: c.name, detail: msg });
  if (c.image.trim().length !== c.image.length) {
    errs.push({ type: 'Invalid', path: `${path}.image`, value: c.image, detail: 'must not have leading or trailing whitespace' });
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = `${path}.ports[${i}]`;
    if (port.name) {
      for (const msg of isValidPortName(port.name)) errs.push({ type: 'Invalid', path: `${p}.name`, value: port.name, detail: msg });
      if (portNames.has(port.name)) errs.push({ type: 'Duplicate', path: `${p}.name`, value: port.name });
      portNames.add(port.name);
    }
  });
  (c.volumeMounts ?? []).forEach((m, i) => {
    if (!volumes.has(m.name)) {
      errs.push({ type: 'Invalid', path: `${path}.volumeMounts[${i}].name`, value: m.name, detail: 'must match the name of a volume' });
    }
  });
  return errs;
}

export function validatePodSpec(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const p = `${path}.volumes[${i}].name`;
    for (const msg of isDNS1123Label(v.name)) errs.push({ type: 'Invalid', path: p, value: v.name, detail: msg });
    if (volumes.has(v.name)) errs.push({ type: 'Duplicate', path: p, value: v.name });
    volumes.add(v.name);
  });
  // Container names are unique across init and regular containers.
  const names = new Set<string>();
  const check = (list: readonly Container[] | null | undefined, field: string) => {
    (list ?? []).forEach((c, i) => {
      const p = `${path}.${field}[${i}]`;
      errs.push(...validateContainer(c, p, volumes));
      if (names.has(c.name)) errs.push({ type: 'Duplicate', path: `${p}.name`, value: c.name });
      names.add(c.name);
    });
  };
  check(spec.initContainers, 'initContainers');
  check(spec.containers, 'containers');
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (v < 1 || v > maxInt32) errs.push({ type: 'Invalid', path: `${path}.activeDeadlineSeconds`, value: v, detail: inclusiveRangeError(1, maxInt32) });
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  for (const [field, value] of [['serviceAccountName', spec.serviceAccountName], ['nodeName', spec.nodeName]] as const) {
    if (value) for (const msg of isDNS1123Subdomain(value)) errs.push({ type: 'Invalid', path: `${path}.${field}`, value, detail: msg });
  }
  for (const [field, value] of [['hostname', spec.hostname], ['subdomain', spec.subdomain]] as const) {
    if (value) for (const msg of isDNS1123Label(value)) errs.push({ type: 'Invalid', path: `${path}.${field}`, value, detail: msg });
  }
  (spec.tolerations ?? []).forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`;
    if (t.key) for (const msg of isQualifiedName(t.key)) errs.push({ type: 'Invalid', path: `${p}.key`, value: t.key, detail: msg });
    if (!t.key && t.operator !== 'Exists') {
      errs.push({ type: 'Invalid', path: `${p}.operator`, value: t.operator ?? '', detail: 'operator must be Exists when `key` is empty, which means "match all values and all keys"' });
    }
    if (t.operator === 'Exists' && t.value) {
      errs.push({ type: 'Invalid', path: `${p}.operator`, value: t.value, detail: 'value must be empty when `operator` is \'Exists\'' });
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push({ type: 'Invalid', path: `${p}.effect`, value: t.effect ?? '', detail: 'effect must be \'NoExecute\' when `tolerationSeconds` is set' });
    }
  });
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    errs.push({ type: 'Required', path: `${path}.dnsConfig`, detail: "must provide `dnsConfig` when `dnsPolicy` is None" });
  }
  return errs;
}
