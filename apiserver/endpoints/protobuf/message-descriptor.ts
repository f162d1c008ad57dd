/**
 * The shape of the tables that describe Kubernetes protobuf messages: for each
 * message, field number → JSON field name, wire type and how Go's JSON encoding
 * treats the field. The numbers are those of k8s.io/api and k8s.io/apimachinery
 * `generated.proto`; the JSON names and presence rules are those of the Go types.
 */

/** Protobuf scalar types that appear in the Kubernetes APIs we decode. */
export type ScalarType = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'double';

/**
 * How a field maps onto JSON.
 * - (absent): optional scalar with `omitempty` in Go — a zero value ("" / 0 / false) is left out,
 *   as encoding/json would; message fields are emitted whenever present on the wire.
 * - `keep`: a Go pointer or non-omitempty scalar — emitted whenever present, zero included
 *   (`replicas: 0`, `automountServiceAccountToken: false` must survive).
 * - `repeated`: a JSON array.
 * - `map`: `map<string, T>` (protobuf entries {1 key, 2 value}); `type` is the value type.
 * - `inline`: a Go struct embedded with `json:",inline"` (Volume's VolumeSource, Probe's
 *   ProbeHandler): its fields are merged into the enclosing object.
 */
export type FieldMode = 'keep' | 'repeated' | 'map' | 'inline';

/**
 * One field: `[jsonName, type, mode?]`. `type` is a {@link ScalarType} or a message name
 * such as `core/v1.Container`, `meta/v1.Time`, `resource.Quantity`.
 */
export type FieldDescriptor = readonly [json: string, type: string, mode?: FieldMode];

/** Messages by name, each a table of field number → descriptor. */
export type MessageTable = Readonly<Record<string, Readonly<Record<number, FieldDescriptor>>>>;

/** Context handed to {@link MessageConverter}s that embed whole objects (runtime.RawExtension). */
export interface ConvertContext {
  /** Decodes a nested `k8s\0`-framed object. */
  decodeEmbedded(raw: Buffer): unknown;
}

/**
 * Turns a message whose JSON form is not an object (metav1.Time → RFC3339 string,
 * resource.Quantity → string, intstr.IntOrString → number or string) into that form.
 * It receives every field present on the wire, zero values included, with `bytes` as
 * Buffers and `int64` as bigint; `undefined` means "omit the field", as for Go's zero Time.
 */
export type MessageConverter = (fields: Readonly<Record<string, unknown>>, ctx: ConvertContext) => unknown;

/** The message tables of one API group version and the kinds that are top-level objects in it. */
export interface GroupVersionSchema {
  /** As in the object's `apiVersion`: `v1`, `apps/v1`. */
  apiVersion: string;
  /** Kind → message name. */
  kinds: Readonly<Record<string, string>>;
  messages: MessageTable;
  converters?: Readonly<Record<string, MessageConverter>>;
}
