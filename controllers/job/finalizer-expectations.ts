/**
 * Pods whose job-tracking finalizer this controller removed but whose update
 * the informer has not shown yet (job controller tracking_utils.go
 * uidTrackingExpectations). Until then a stale cached pod still carries the
 * finalizer and would be counted a second time.
 */
export class FinalizerExpectations {
  readonly #store = new Map<string, Set<string>>();

  expectFinalizersRemoved(jobKey: string, uids: readonly string[]): void {
    let set = this.#store.get(jobKey);
    if (!set) this.#store.set(jobKey, (set = new Set()));
    for (const uid of uids) set.add(uid);
  }

  finalizerRemovalObserved(jobKey: string, uid: string): void {
    const set = this.#store.get(jobKey);
    if (!set) return;
    set.delete(uid);
    if (set.size === 0) this.#store.delete(jobKey);
  }

  expectedUIDs(jobKey: string): ReadonlySet<string> {
    return new Set(this.#store.get(jobKey) ?? []);
  }

  deleteExpectations(jobKey: string): void {
    this.#store.delete(jobKey);
  }
}
