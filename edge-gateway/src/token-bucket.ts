/** A token bucket per device: `ratePerSecond` sustained, `burst` at once. Time is passed in. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  take(now: number, cost = 1): boolean {
    const elapsed = Math.max(0, now - this.#at);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#at = now;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}

/** Counts rejections in a sliding window; `strike` says when the device crossed the line. */
export class StrikeCounter {
  readonly #times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a rejection; true when there were `limit` of them within the window. */
  strike(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length > 0 && this.#times[0]! <= now - this.windowMs) this.#times.shift();
    if (this.#times.length > this.limit) this.#times.shift();
    return this.#times.length >= this.limit;
  }
}
