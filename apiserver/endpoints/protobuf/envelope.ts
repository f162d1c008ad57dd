/**
 * The frame around every Kubernetes protobuf object: the 4-byte magic `k8s\0`
 * followed by a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw,
 * 3 contentEncoding, 4 contentType}, as apimachinery's protobuf serializer writes it.
 */
import { WireFormatError, WireReader, wireType } from '../../protobuf/wire-reader.ts';

export const protobufMagic: Readonly<Buffer> = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** An unwrapped runtime.Unknown. */
export interface ProtobufEnvelope {
  apiVersion: string;
  kind: string;
  /** The object's own message bytes (without TypeMeta). */
  raw: Buffer;
  contentEncoding: string;
  contentType: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(reader: WireReader, what: string): string {
  try {
    return utf8.decode(reader.readLengthDelimited());
  } catch (err) {
    if (err instanceof WireFormatError) throw err;
    throw new WireFormatError(`${what} is not valid UTF-8`);
  }
}

function expectLengthDelimited(type: number, what: string): void {
  if (type !== wireType.lengthDelimited) throw new WireFormatError(`${what} has wire type ${type}, want 2 (length-delimited)`);
}

export function hasProtobufMagic(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(protobufMagic);
}

/** Splits a `k8s\0`-framed body into type information and the object's bytes. */
export function readEnvelope(body: Buffer): ProtobufEnvelope {
  if (!hasProtobufMagic(body)) throw new WireFormatError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  const envelope: ProtobufEnvelope = { apiVersion: '', kind: '', raw: Buffer.alloc(0), contentEncoding: '', contentType: '' };
  const reader = new WireReader(body, 4);
  while (!reader.done) {
    const tag = reader.readTag();
    switch (tag.fieldNumber) {
      case 1: {
        expectLengthDelimited(tag.wireType, 'typeMeta');
        const typeMeta = new WireReader(reader.readLengthDelimited());
        while (!typeMeta.done) {
          const t = typeMeta.readTag();
          if (t.fieldNumber === 1) {
            expectLengthDelimited(t.wireType, 'typeMeta.apiVersion');
            envelope.apiVersion = readString(typeMeta, 'typeMeta.apiVersion');
          } else if (t.fieldNumber === 2) {
            expectLengthDelimited(t.wireType, 'typeMeta.kind');
            envelope.kind = readString(typeMeta, 'typeMeta.kind');
          } else typeMeta.skip(t.wireType);
        }
        break;
      }
      case 2:
        expectLengthDelimited(tag.wireType, 'raw');
        envelope.raw = reader.readLengthDelimited();
        break;
      case 3:
        expectLengthDelimited(tag.wireType, 'contentEncoding');
        envelope.contentEncoding = readString(reader, 'contentEncoding');
        break;
      case 4:
        expectLengthDelimited(tag.wireType, 'contentType');
        envelope.contentType = readString(reader, 'contentType');
        break;
      default:
        reader.skip(tag.wireType);
    }
  }
  return envelope;
}
