/**
 * A histogram of a running stack, read from its /metrics: the cumulative count per bucket bound (s)
 * of the series whose labels are exactly `labels` (e.g. `method="GET",route="/v1/x",status="2xx"`;
 * '' for an unlabelled histogram).
 */
export async function histogramBuckets(
  api: string,
  metric: string,
  labels = '',
): Promise<Map<number, number>> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const prefix = `${metric}_bucket{`;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    // prom-client writes `le` first: le="…",the,series,labels
    const [le, ...rest] = line.slice(prefix.length, close).split(/,(?=\w+=")/);
    if (rest.join(',') !== labels || le === undefined) continue;
    const bound = le.slice('le="'.length, -1);
    buckets.set(bound === '+Inf' ? Number.POSITIVE_INFINITY : Number(bound), Number(line.slice(close + 2)));
  }
  return buckets;
}

/** Quantiles (ms: the upper bound of the bucket they fall in) of what a histogram counted between two reads. */
export function bucketQuantiles(
  before: Map<number, number>,
  after: Map<number, number>,
): (q: number) => number {
  const deltas = [...after]
    .map(([le, n]) => [le, n - (before.get(le) ?? 0)] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = deltas.at(-1)?.[1] ?? 0;
  return (q) => (deltas.find(([, n]) => n >= q * total)?.[0] ?? Number.NaN) * 1000;
}
