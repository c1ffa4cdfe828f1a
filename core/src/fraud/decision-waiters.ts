/**
 * Lets `POST /v1/payments` answer with the decision when it comes quickly: the engine calls
 * `settled` after storing one; a waiter wakes on it, or on its poll tick (the worker may run in
 * another process), or at its deadline.
 */
export class DecisionWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();

  settled(merchantId: string, paymentId: string): void {
    const key = `${merchantId}/${paymentId}`;
    for (const wake of this.#waiting.get(key) ?? []) wake();
    this.#waiting.delete(key);
  }

  /** Resolves with `check()`'s first non-null answer, or null once `timeoutMs` has passed. */
  async wait<T>(
    merchantId: string,
    paymentId: string,
    timeoutMs: number,
    check: () => Promise<T | null>,
    pollMs = 100,
  ): Promise<T | null> {
    const key = `${merchantId}/${paymentId}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found !== null) return found;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiting.get(key)?.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(pollMs, left));
        const set = this.#waiting.get(key) ?? new Set();
        this.#waiting.set(key, set);
        set.add(wake);
      });
    }
  }
}
