/**
 * apimachinery types whose protobuf form is a message but whose JSON form is a
 * scalar or raw JSON: metav1.Time/MicroTime/Duration, metav1.FieldsV1,
 * resource.Quantity, intstr.IntOrString and runtime.RawExtension.
 */
import { hasProtobufMagic } from './envelope.ts';
import { WireFormatError } from '../../protobuf/wire-reader.ts';
import type { MessageConverter, MessageTable } from './message-descriptor.ts';

export const wellKnownMessages: MessageTable = {
  // Both are a google.protobuf.Timestamp.
  'meta/v1.Time': { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] },
  'meta/v1.MicroTime': { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] },
  'meta/v1.Duration': { 1: ['duration', 'int64'] },
  'meta/v1.FieldsV1': { 1: ['Raw', 'bytes'] },
  'resource.Quantity': { 1: ['string', 'string'] },
  'intstr.IntOrString': { 1: ['type', 'int64'], 2: ['intVal', 'int32'], 3: ['strVal', 'string'] },
  'runtime.RawExtension': { 1: ['raw', 'bytes'] },
};

function bigintField(fields: Readonly<Record<string, unknown>>, name: string): bigint {
  const v = fields[name];
  return typeof v === 'bigint' ? v : 0n;
}

function numberField(fields: Readonly<Record<string, unknown>>, name: string): number {
  const v = fields[name];
  return typeof v === 'number' ? v : 0;
}

function timestamp(fields: Readonly<Record<string, unknown>>, fractionDigits: 0 | 6): string | undefined {
  // metav1.Time marshals a zero time as no bytes at all; an empty message is Go's nil time (JSON null).
  if (!('seconds' in fields) && !('nanos' in fields)) return undefined;
  const seconds = bigintField(fields, 'seconds');
  // RFC 3339 (and Go's JSON marshaller) only covers years 0000-9999.
  if (seconds < -62167219200n || seconds > 253402300799n) throw new WireFormatError(`timestamp ${seconds}s is outside the years 0000-9999`);
  const nanos = numberField(fields, 'nanos');
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  // As metav1.Time.Unmarshal, which keeps only seconds so JSON and protobuf clients agree.
  if (fractionDigits === 0) return `${iso}Z`;
  const micros = Math.max(0, Math.min(999_999, Math.trunc(nanos / 1000)));
  return `${iso}.${String(micros).padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(): `1h2m3.5s`, `150ms`, `0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  const abs = negative ? -nanoseconds : nanoseconds;
  const sign = negative ? '-' : '';
  const fraction = (value: bigint, unit: bigint, digits: number): string => {
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (abs < 1000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${fraction(abs, 1000n, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${fraction(abs, 1_000_000n, 6)}ms`;
  const hours = abs / 3_600_000_000_000n;
  const minutes = (abs / 60_000_000_000n) % 60n;
  const seconds = fraction(abs % 60_000_000_000n, 1_000_000_000n, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function parseRawJson(raw: Buffer, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new WireFormatError(`${what} is not valid UTF-8`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WireFormatError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export const wellKnownConverters: Readonly<Record<string, MessageConverter>> = {
  'meta/v1.Time': (f) => timestamp(f, 0),
  'meta/v1.MicroTime': (f) => timestamp(f, 6),
  'meta/v1.Duration': (f) => formatGoDuration(bigintField(f, 'duration')),
  'meta/v1.FieldsV1': (f) => {
    const raw = f.Raw;
    return Buffer.isBuffer(raw) && raw.length > 0 ? parseRawJson(raw, 'fieldsV1') : undefined;
  },
  // The canonical string form travels as is; a zero Quantity is "0" in JSON.
  'resource.Quantity': (f) => (typeof f.string === 'string' && f.string !== '' ? f.string : '0'),
  'intstr.IntOrString': (f) => (bigintField(f, 'type') === 1n ? (typeof f.strVal === 'string' ? f.strVal : '') : numberField(f, 'intVal')),
  // Raw holds whatever the client serialized: JSON, or a nested k8s\0 protobuf object.
  'runtime.RawExtension': (f, ctx) => {
    const raw = f.raw;
    if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
    if (hasProtobufMagic(raw)) return ctx.decodeEmbedded(raw);
    return parseRawJson(raw, 'RawExtension');
  },
};
