/**
 * Lets `POST /v1/payments` answer with the decision when it comes quickly. A request says it
 * expects a payment's decision before publishing the payment (`expect`); the engine calls
 * `settled` after storing one; the request then reads the decision once it is told it settled, or
 * on its poll tick (the worker may run in another process), or gives up at its deadline. It reads
 * nothing before either: right after publishing, the decision is not there yet.
 */
export class DecisionWaiters {
  readonly #waiting = new Map<string, Set<Expectation>>();

  settled(merchantId: string, paymentId: string): void {
    const key = `${merchantId}/${paymentId}`;
    for (const expectation of this.#waiting.get(key) ?? []) expectation.settle();
    this.#waiting.delete(key);
  }

  /** Registers the request's interest in a payment's decision; `wait` on it after publishing. */
  expect(merchantId: string, paymentId: string): Expectation {
    const key = `${merchantId}/${paymentId}`;
    const expectation = new Expectation(() => {
      const set = this.#waiting.get(key);
      set?.delete(expectation);
      if (set?.size === 0) this.#waiting.delete(key);
    });
    const set = this.#waiting.get(key) ?? new Set();
    this.#waiting.set(key, set);
    set.add(expectation);
    return expectation;
  }
}

export class Expectation {
  #settled = false;
  #wake: (() => void) | null = null;

  constructor(readonly done: () => void) {}

  settle(): void {
    this.#settled = true;
    this.#wake?.();
  }

  /**
   * Resolves with `check()`'s first non-null answer, asked once the decision settled or at each
   * poll tick, or null once `timeoutMs` has passed. Ends the expectation either way.
   */
  async wait<T>(timeoutMs: number, check: () => Promise<T | null>, pollMs = 100): Promise<T | null> {
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (!this.#settled) {
          const left = deadline - Date.now();
          if (left <= 0) return null;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.#wake?.(), Math.min(pollMs, left));
            this.#wake = () => {
              clearTimeout(timer);
              this.#wake = null;
              resolve();
            };
          });
        }
        this.#settled = false;
        const found = await check();
        if (found !== null) return found;
        if (deadline - Date.now() <= 0) return null;
      }
    } finally {
      this.done();
    }
  }
}
