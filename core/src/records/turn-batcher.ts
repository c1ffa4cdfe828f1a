/**
 * Gathers the calls made during one turn of the event loop — a consumer's concurrent records —
 * and runs them as one batch (one statement, one transaction), answering each caller with its own
 * result. A batch is cut early at `maxBatch`.
 */
export class TurnBatcher<I, O> {
  readonly #pending: Array<{ item: I; resolve(o: O): void; reject(error: unknown): void }> = [];
  #scheduled = false;

  constructor(
    readonly run: (items: I[]) => Promise<O[]>,
    readonly maxBatch = 256,
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= this.maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    this.run(batch.map((b) => b.item)).then(
      (results) => {
        for (const [i, b] of batch.entries()) b.resolve(results[i]!);
      },
      (error: unknown) => {
        for (const b of batch) b.reject(error);
      },
    );
  }
}
