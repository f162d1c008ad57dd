/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`,
 * what kubectl's typed clients send) into the plain JSON objects the JSON path
 * produces, driven by the message tables of each API group. Unknown field numbers
 * are skipped, as protobuf requires; malformed input is a 400 BadRequest.
 */
import { newBadRequest } from '../../errors/status-error.ts';
import { appsV1 } from './apps-v1.ts';
import { appsV1DaemonSet } from './apps-v1-daemonset.ts';
import { authorizationV1 } from './authorization-v1.ts';
import { autoscalingV1 } from './autoscaling-v1.ts';
import { batchV1 } from './batch-v1.ts';
import { coordinationV1 } from './coordination-v1.ts';
import { coreV1 } from './core-v1.ts';
import { discoveryV1 } from './discovery-v1.ts';
import { readEnvelope } from './envelope.ts';
import type { ConvertContext, FieldDescriptor, GroupVersionSchema, MessageConverter } from './message-descriptor.ts';
import { metaV1 } from './meta-v1.ts';
import { policyV1 } from './policy-v1.ts';
import { wellKnownConverters, wellKnownMessages } from './well-known-types.ts';
import { WireFormatError, WireReader, wireType } from '../../protobuf/wire-reader.ts';

export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

/** Every group version whose objects can arrive as protobuf. */
export const protobufSchemas: readonly GroupVersionSchema[] = [metaV1, coreV1, appsV1, autoscalingV1, policyV1, authorizationV1, coordinationV1, appsV1DaemonSet, batchV1, discoveryV1];

const messages = new Map<string, Readonly<Record<number, FieldDescriptor>>>(Object.entries(wellKnownMessages));
const converters = new Map<string, MessageConverter>(Object.entries(wellKnownConverters));
const kinds = new Map<string, string>();
for (const schema of protobufSchemas) {
  for (const [name, fields] of Object.entries(schema.messages)) messages.set(name, fields);
  for (const [name, convert] of Object.entries(schema.converters ?? {})) converters.set(name, convert);
  for (const [kind, message] of Object.entries(schema.kinds)) kinds.set(`${schema.apiVersion}/${kind}`, message);
}

/** Message names the tables know, for tests that check every reference resolves. */
export function knownMessageNames(): ReadonlySet<string> {
  return new Set(messages.keys());
}

/** Message and converter nesting beyond this is refused before it can exhaust the stack. */
const maxDepth = 100;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const scalarTypes: ReadonlySet<string> = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'double']);

function wantWireType(type: string): number {
  switch (type) {
    case 'bool':
    case 'int32':
    case 'int64':
      return wireType.varint;
    case 'double':
      return wireType.fixed64;
    default:
      return wireType.lengthDelimited;
  }
}

function setProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, because a label key may well be "__proto__".
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

class MessageDecoder {
  private readonly depth: number;

  constructor(depth: number) {
    this.depth = depth;
  }

  /**
   * One message. `raw` keeps every present field with its wire value (bigint, Buffer)
   * for a converter; otherwise the result is JSON-shaped and omitempty zeros are dropped.
   */
  message(name: string, buf: Buffer, path: string): unknown {
    if (this.depth > maxDepth) throw new WireFormatError(`${path}: messages are nested deeper than ${maxDepth} levels`, true);
    const table = messages.get(name);
    if (!table) throw new Error(`protobuf tables reference unknown message ${name}`);
    const converter = converters.get(name);
    const raw = converter !== undefined;
    const inner = new MessageDecoder(this.depth + 1);
    const out: Record<string, unknown> = {};
    const reader = new WireReader(buf);
    try {
      this.fields(table, reader, out, raw, inner, path);
      return converter ? converter(out, this.convertContext()) : out;
    } catch (err) {
      // Say where: the innermost message that hit the problem names itself once.
      if (err instanceof WireFormatError && !err.located) throw new WireFormatError(`${path || 'object'}: ${err.message}`, true);
      throw err;
    }
  }

  private fields(
    table: Readonly<Record<number, FieldDescriptor>>,
    reader: WireReader,
    out: Record<string, unknown>,
    raw: boolean,
    inner: MessageDecoder,
    path: string,
  ): void {
    while (!reader.done) {
      const tag = reader.readTag();
      const field = table[tag.fieldNumber];
      if (!field) {
        reader.skip(tag.wireType);
        continue;
      }
      const [json, type, mode] = field;
      const fieldPath = path ? `${path}.${json}` : json;
      switch (mode) {
        case 'repeated': {
          let list = out[json];
          if (!Array.isArray(list)) {
            list = [];
            setProperty(out, json, list);
          }
          const items = list as unknown[];
          if (tag.wireType === wireType.lengthDelimited && wantWireType(type) !== wireType.lengthDelimited) {
            // Packed numeric encoding: all elements in one length-delimited run.
            const packed = new WireReader(reader.readLengthDelimited());
            while (!packed.done) items.push(inner.value(type, wantWireType(type), packed, raw, `${fieldPath}[${items.length}]`));
          } else {
            items.push(inner.value(type, tag.wireType, reader, raw, `${fieldPath}[${items.length}]`) ?? null);
          }
          break;
        }
        case 'map': {
          let map = out[json];
          if (typeof map !== 'object' || map === null) {
            map = {};
            setProperty(out, json, map);
          }
          const [key, value] = inner.mapEntry(type, tag.wireType, reader, fieldPath);
          setProperty(map as Record<string, unknown>, key, value);
          break;
        }
        case 'inline': {
          const value = inner.value(type, tag.wireType, reader, false, path);
          if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) setProperty(out, k, v);
          break;
        }
        default: {
          const value = inner.value(type, tag.wireType, reader, raw, fieldPath);
          if (value === undefined || (!raw && mode !== 'keep' && scalarTypes.has(type) && isZero(value))) delete out[json];
          else setProperty(out, json, value);
        }
      }
    }
  }

  private convertContext(): ConvertContext {
    return { decodeEmbedded: (bytes) => decodeFramed(bytes, this.depth + 1) };
  }

  private mapEntry(valueType: string, type: number, reader: WireReader, path: string): [string, unknown] {
    if (type !== wireType.lengthDelimited) throw new WireFormatError(`${path}: map entry has wire type ${type}, want 2`, true);
    const entry = new WireReader(reader.readLengthDelimited());
    let key = '';
    let value: unknown;
    while (!entry.done) {
      const tag = entry.readTag();
      if (tag.fieldNumber === 1) key = this.value('string', tag.wireType, entry, false, path) as string;
      else if (tag.fieldNumber === 2) value = this.value(valueType, tag.wireType, entry, false, `${path}[${JSON.stringify(key)}]`);
      else entry.skip(tag.wireType);
    }
    // An absent value is the type's zero value, as in Go (an empty Quantity is "0").
    if (value === undefined) value = this.zero(valueType, `${path}[${JSON.stringify(key)}]`);
    return [key, value];
  }

  private zero(type: string, path: string): unknown {
    switch (type) {
      case 'string':
      case 'bytes':
        return '';
      case 'bool':
        return false;
      case 'int32':
      case 'int64':
      case 'double':
        return 0;
      default:
        return this.message(type, Buffer.alloc(0), path) ?? null;
    }
  }

  private value(type: string, actual: number, reader: WireReader, raw: boolean, path: string): unknown {
    const want = wantWireType(type);
    if (actual !== want) throw new WireFormatError(`${path}: wire type ${actual}, want ${want} for ${scalarTypes.has(type) ? type : 'a message'}`, true);
    switch (type) {
      case 'string': {
        const bytes = reader.readLengthDelimited();
        try {
          return utf8.decode(bytes);
        } catch {
          throw new WireFormatError(`${path}: string is not valid UTF-8`, true);
        }
      }
      case 'bytes': {
        const bytes = reader.readLengthDelimited();
        return raw ? Buffer.from(bytes) : bytes.toString('base64');
      }
      case 'bool':
        return reader.readVarint() !== 0n;
      case 'int32':
        return Number(BigInt.asIntN(32, reader.readVarint()));
      case 'int64': {
        const v = BigInt.asIntN(64, reader.readVarint());
        return raw ? v : Number(v);
      }
      case 'double': {
        const v = reader.readFixed64().readDoubleLE(0);
        if (!Number.isFinite(v)) throw new WireFormatError(`${path}: ${v} has no JSON form`, true);
        return v;
      }
      default:
        return this.message(type, reader.readLengthDelimited(), path);
    }
  }
}

function decodeFramed(body: Buffer, depth: number): Record<string, unknown> {
  const envelope = readEnvelope(body);
  if (envelope.contentEncoding !== '') throw new WireFormatError(`unsupported contentEncoding ${JSON.stringify(envelope.contentEncoding)}`);
  if (envelope.contentType !== '' && envelope.contentType !== protobufMediaType) {
    throw new WireFormatError(`unsupported contentType ${JSON.stringify(envelope.contentType)} inside the protobuf envelope`);
  }
  if (envelope.kind === '') throw new WireFormatError(`Object 'Kind' is missing`);
  // Every group registers metav1.DeleteOptions under its own version, so any apiVersion will do.
  const message = kinds.get(`${envelope.apiVersion}/${envelope.kind}`) ?? (envelope.kind === 'DeleteOptions' ? 'meta/v1.DeleteOptions' : undefined);
  if (message === undefined) {
    throw new WireFormatError(`no kind ${JSON.stringify(envelope.kind)} is registered for version ${JSON.stringify(envelope.apiVersion)} in the protobuf decoder`);
  }
  const object = new MessageDecoder(depth).message(message, envelope.raw, '');
  return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...(object as Record<string, unknown>) };
}

/**
 * Decodes a `k8s\0`-framed protobuf object into the JSON object kubectl would have
 * sent, with `apiVersion` and `kind` taken from the envelope. Throws a 400 BadRequest
 * StatusError for anything it cannot decode.
 */
export function decodeProtobufObject(body: Buffer): unknown {
  try {
    return decodeFramed(body, 0);
  } catch (err) {
    if (err instanceof WireFormatError) throw newBadRequest(`the protobuf body could not be decoded: ${err.message}`);
    throw err;
  }
}
