import { generatePayments, readArtifact, TabularScorer, TABULAR_FORMAT } from '@hexcast/models';
import { replayFeatures } from '@hexcast/core';
const a = await readArtifact('/tmp/fm', TABULAR_FORMAT);
const sc = await TabularScorer.load(a as never);
for (const strip of [false, true]) {
  const payments = generatePayments({ customers: 3000, days: 6, seed: 42, cardTestingPerDay: 5, takeoversPerDay: 15 }).map((p) => strip ? { ...p, devicePosition: null } : p);
  const all = await replayFeatures(payments);
  const by: Record<string, [number, number]> = {};
  payments.forEach((p, i) => { if (p.payment.createdAt < Date.UTC(2026, 10, 5)) return; const s = sc.scoreSync(all.rows[i]!); by[p.attack] ??= [0, 0]; by[p.attack][1]++; if (s >= 0.5) by[p.attack][0]++; });
  console.log(strip ? 'no positions' : 'positions', by);
}
