/**
 * The storage contract the registry builds on (as apiserver's storage.Interface).
 * Keys are full etcd keys, `/registry/<group-qualified plural>/<ns>/<name>` or
 * `/registry/<plural>/<name>`; values are the JSON objects. resourceVersion is the
 * etcd mod_revision of the key (list/watch: the store revision), as a decimal string.
 */
import type { KubeObject, WatchEvent } from '../../client/api/meta.ts';

export type StorageErrorCode =
  | 'KeyNotFound'
  | 'KeyExists'
  | 'ResourceVersionConflict'
  | 'InvalidObject'
  /** Requested RV is compacted or older than the watch window: answer 410 Expired. */
  | 'Expired'
  /** Requested RV is newer than anything the store has seen (after waiting briefly): 504/429 "Too large resource version". */
  | 'TooLargeResourceVersion'
  | 'Unavailable';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key: string;
  /** For Expired: the oldest RV that can still be served. For TooLargeResourceVersion: current RV. */
  readonly resourceVersion: number | undefined;
  constructor(code: StorageErrorCode, key: string, message: string, resourceVersion?: number) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
    this.key = key;
    this.resourceVersion = resourceVersion;
  }
}

/** Filters an object in list and watch (label and field selectors compiled by the registry). */
export type Predicate = (obj: KubeObject) => boolean;

export interface ListOptions {
  /**
   * Semantics as Kubernetes: undefined or '' = most recent (consistent read);
   * '0' = any (may be served from the watch cache); 'N' = not older than N.
   */
  resourceVersion?: string;
  /** 'NotOlderThan' (default) or 'Exact'. */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /** Page size; 0/undefined = no limit. */
  limit?: number;
  /** Opaque continue token from a previous page. */
  continue?: string;
  predicate?: Predicate;
  /** Descend into child keys, i.e. key is a prefix (always true for list). */
}

export interface ListResult {
  items: KubeObject[];
  /** The revision the list is consistent at. */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  /** undefined/'' or '0' = send synthetic ADDED for current state, then changes. 'N' = changes after N. */
  resourceVersion?: string;
  predicate?: Predicate;
  /**
   * Emit BOOKMARK events. The object carries only metadata.resourceVersion: storage does not
   * know the kind, so the caller (endpoints/watch-stream.ts) fills in kind/apiVersion.
   */
  allowBookmarks?: boolean;
  /** Ends the watch. */
  signal: AbortSignal;
}

/**
 * A running watch. Events arrive in revision order with none lost or repeated.
 * A watch that falls too far behind or hits a compacted revision yields one
 * ERROR event carrying a 410 Expired Status and ends.
 */
export interface Watcher extends AsyncIterable<WatchEvent> {}

/** What tryUpdate may return: the new object, or `undefined` to leave it unchanged. */
export type TryUpdate = (current: KubeObject) => KubeObject | undefined | Promise<KubeObject | undefined>;

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Objects returned by list and watch may be shared with the watch cache (and
 * between watchers): treat them as read-only and clone before mutating.
 * get, create, guaranteedUpdate and delete return objects the caller owns.
 */
export interface Storage {
  /** Creates key; fails KeyExists. Takes obj over: sets its metadata.resourceVersion and returns it. */
  create(key: string, obj: KubeObject): Promise<KubeObject>;
  /** Reads key (consistent). Fails KeyNotFound. */
  get(key: string): Promise<KubeObject>;
  /** Lists all keys under prefix (must end with '/'). */
  list(prefix: string, opts: ListOptions): Promise<ListResult>;
  /**
   * Read-modify-write in one etcd transaction comparing mod_revision, retrying on a lost race.
   * tryUpdate may throw (e.g. a StatusError) to abort. Fails KeyNotFound unless the key exists.
   * Returns the stored object (with new resourceVersion), or the current one if tryUpdate returned undefined.
   */
  guaranteedUpdate(key: string, tryUpdate: TryUpdate, preconditions?: Preconditions): Promise<KubeObject>;
  /**
   * Deletes key if preconditions hold (and validateDeletion, called with the current object, does not throw).
   * Returns the deleted object with resourceVersion set to the deletion revision.
   */
  delete(key: string, preconditions?: Preconditions, validateDeletion?: (current: KubeObject) => void | Promise<void>): Promise<KubeObject>;
  /** Watches everything under prefix ('/'-terminated) or one key. */
  watch(prefix: string, opts: WatchOptions): Promise<Watcher>;
  /** Count of keys under prefix (for remainingItemCount / metrics). */
  count(prefix: string): Promise<number>;
  /** The etcd revision now (a consistent read). */
  currentRevision(): Promise<number>;
  close(): Promise<void>;
}
