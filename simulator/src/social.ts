import { readFile } from 'node:fs/promises';
import { type LabelledPost, parseSentimentFile, seededRandom } from '@hexcast/models';
import { startXStandIn, type XStandIn } from './x-standin.js';

export interface SocialSimulationOptions {
  /** Labelled posts to play (the airline CSV of shared/data, or a VADER TSV). */
  dataFile: string | URL;
  /** Posts per second. */
  rate: number;
  durationMs: number;
  /** The X stand-in's port (hexcast's HX_X_API_URL points at it) and the bearer token it accepts. */
  port: number;
  bearerToken: string;
  /** Every this often, a burst: five times the rate of one brand's negative posts for a tenth of the period. 0: none. */
  burstEveryMs?: number;
  seed?: number;
  /** Resolves once the stand-in is listening (with its URL): start hexcast's X connector against it. */
  onListening?: (url: string) => void;
  onProgress?: (p: { sent: number; bursts: number; elapsedMs: number; connected: boolean }) => void;
  stop?: Promise<void>;
  /** How long to wait for hexcast to open the stream. */
  connectTimeoutMs?: number;
}

export interface SocialSimulationReport {
  rate: number;
  durationMs: number;
  sent: number;
  /** Posts sent per human label (the data set's). */
  byLabel: Record<string, number>;
  bursts: number;
  /** Tweets written while no stream was open (hexcast not connected): not delivered. */
  undelivered: number;
}

/**
 * Plays labelled tweets through the X stand-in at a set rate, as X's filtered stream would deliver
 * them to hexcast's X connector, with bursts of one brand's complaints that the spike detector
 * should catch.
 */
export async function simulateSocial(o: SocialSimulationOptions): Promise<SocialSimulationReport> {
  const posts = parseSentimentFile(await readFile(o.dataFile, 'utf8')).posts;
  const negatives = posts.filter((p) => p.label === 'negative');
  const random = seededRandom(o.seed ?? 1);
  const x: XStandIn = await startXStandIn({ bearerToken: o.bearerToken, port: o.port });
  o.onListening?.(x.url);
  const report: SocialSimulationReport = {
    rate: o.rate,
    durationMs: o.durationMs,
    sent: 0,
    byLabel: {},
    bursts: 0,
    undelivered: 0,
  };
  let stopped = false;
  void o.stop?.then(() => {
    stopped = true;
  });
  let connectTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      x.waitForConnections(1),
      new Promise((_, reject) => {
        connectTimer = setTimeout(
          () =>
            reject(
              new Error(
                `hexcast did not open the X stream at ${x.url} within the timeout (HX_X_API_URL, HX_X_BEARER_TOKEN)`,
              ),
            ),
          o.connectTimeoutMs ?? 60_000,
        );
      }),
      ...(o.stop === undefined ? [] : [o.stop]),
    ]);
    // Connected (or stopped): the timeout must not hold the process open for its minute.
    clearTimeout(connectTimer);
    const started = Date.now();
    const burstEvery = o.burstEveryMs ?? 60_000;
    let n = 0;
    const send = (p: LabelledPost) => {
      const followers = Math.round(Math.exp(random() * 9)); // 1 … ~8,000, most small
      const ok = x.tweet({
        id: `sim-${started}-${n++}`,
        text: p.text,
        authorId: `sim-author-${p.author ?? n}`,
        username: p.author ?? `user${n}`,
        followers,
        createdAt: Date.now(),
        likes: Math.floor(random() * random() * 50),
        retweets: p.retweets ?? 0,
      });
      if (!ok) report.undelivered++;
      report.sent++;
      report.byLabel[p.label] = (report.byLabel[p.label] ?? 0) + 1;
    };
    let burstBrand: string | undefined;
    while (!stopped && Date.now() - started < o.durationMs) {
      const elapsed = Date.now() - started;
      const inBurst = burstEvery > 0 && elapsed % burstEvery > burstEvery * 0.9;
      if (inBurst && burstBrand === undefined) {
        report.bursts++;
        burstBrand = negatives[Math.floor(random() * negatives.length)]!.brand;
      } else if (!inBurst) burstBrand = undefined;
      // Ticks of 50 ms: the rate's share of posts each tick (5× during a burst, the extra all complaints).
      const due = Math.round((o.rate * 50) / 1000);
      for (let i = 0; i < due; i++) send(posts[Math.floor(random() * posts.length)]!);
      if (burstBrand !== undefined) {
        const pool = negatives.filter((p) => p.brand === burstBrand);
        for (let i = 0; i < due * 4; i++) send(pool[Math.floor(random() * pool.length)]!);
      }
      o.onProgress?.({
        sent: report.sent,
        bursts: report.bursts,
        elapsedMs: elapsed,
        connected: x.connections > 0,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    clearTimeout(connectTimer);
    await x.close();
  }
  return report;
}
