/**
 * Undo steps for a create-type RPC, run newest-first when it fails (as
 * containerd's deferred undos guarded by `retErr`, CRI-O's ResourceCleaner).
 */
export class CleanupStack {
  private steps: { description: string; fn: () => Promise<void> | void }[] = [];

  defer(description: string, fn: () => Promise<void> | void): void {
    this.steps.push({ description, fn });
  }

  /** On success: keep everything, forget the undos. */
  move(): void {
    this.steps = [];
  }

  /** Runs every undo, newest first; returns the ones that failed (a failed undo doesn't stop the rest). */
  async run(): Promise<{ description: string; error: unknown }[]> {
    const failed: { description: string; error: unknown }[] = [];
    const steps = this.steps.reverse();
    this.steps = [];
    for (const s of steps) {
      try {
        await s.fn();
      } catch (error) {
        failed.push({ description: s.description, error });
      }
    }
    return failed;
  }
}
