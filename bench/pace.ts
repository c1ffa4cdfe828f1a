/**
 * Calls `emit(i)` for i in [0, count) at `rate` a second, in 10 ms ticks, open loop: each tick goes
 * out on time whatever became of the earlier ones (a generator that waits on its acks offers less
 * than the rate as soon as the system under test slows). Resolves with the seconds the offer took.
 */
export async function atRate(count: number, rate: number, emit: (i: number) => void): Promise<number> {
  const perTick = Math.max(1, Math.round(rate / 100));
  const start = Date.now();
  for (let i = 0; i < count; ) {
    const wait = start + (i / rate) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let k = 0; k < perTick && i < count; k++, i++) emit(i);
  }
  return (Date.now() - start) / 1000;
}
