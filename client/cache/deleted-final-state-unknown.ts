/**
 * The tombstone a delete handler gets when the object vanished while the
 * informer was not watching: the last state it knew, which may be stale
 * (client-go tools/cache DeletedFinalStateUnknown). Delete handlers take
 * `T | DeletedFinalStateUnknown<T>`, so each one must unwrap.
 */
export class DeletedFinalStateUnknown<T> {
  readonly key: string;
  readonly obj: T;

  constructor(key: string, obj: T) {
    this.key = key;
    this.obj = obj;
  }
}

/** The object itself, or the last state a tombstone remembers. */
export function unwrapTombstone<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}
