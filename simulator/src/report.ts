import Table from 'cli-table3';
import type { PaymentSimulationReport } from './payments.js';
import type { SimulationReport } from './simulator.js';

const n = (v: number | null) => (v === null ? 'n/a' : Number.isFinite(v) ? v.toLocaleString('en-US') : 'n/a');

/** The final report as a text table (the JSON is the report object itself). */
/** The report as a table; `colour` false (output not a terminal) leaves no ANSI codes in it. */
export function formatReport(r: SimulationReport, colour = true): string {
  const t = new Table({ head: ['', 'value'], ...(colour ? {} : { style: { head: [], border: [] } }) });
  const c = r.coupons;
  t.push(
    [
      'city · devices · mode',
      `${r.city} · ${n(r.devices)} · ${r.mode}${r.fixesPerMessage > 1 ? ` (${r.fixesPerMessage} fixes a message)` : ''}`,
    ],
    ['duration (s)', n(r.durationS)],
    ['location fixes generated (per s)', `${n(r.fixesGenerated)} (${n(r.fixesPerSecond)}/s)`],
    ['messages sent / acked (SDK)', `${n(r.messagesSent)} / ${n(r.messagesAcked)}`],
    ['clicks', n(r.clicks)],
    ['geo events', n(r.geoEvents)],
    ['coupons issued', n(c.issued)],
    ['  delivered (ledger) / received on devices', `${n(c.delivered)} / ${n(c.receivedOnDevices)}`],
    [
      '  expired (queue · in-flight · transit · push)',
      `${n(c.expired.total)} (${n(c.expired.queue)} · ${n(c.expired['in-flight'])} · ${n(c.expired.transit)} · ${n(c.expired.push)})`,
    ],
    ['  rejected', `${n(c.rejected.total)} ${JSON.stringify(c.rejected.byReason)}`],
    ['  still pending', n(c.pending)],
    ['  opened · redeemed', `${n(c.opened)} · ${n(c.redeemed)}`],
    ['duplicates (must be 0)', n(r.duplicates)],
    ['lost (must be 0)', n(r.lost)],
    ['every coupon in exactly one terminal state', r.terminalConsistent ? 'yes' : 'NO'],
    [
      'location → coupon latency ms (p50 · p95 · p99 · max)',
      `${n(r.latencyMs.p50)} · ${n(r.latencyMs.p95)} · ${n(r.latencyMs.p99)} · ${n(r.latencyMs.max)} (n=${n(r.latencyMs.count)})`,
    ],
    [
      '  p99 of the worst second · of the median second',
      `${n(r.latencyBySecondMs.worstP99)} · ${n(r.latencyBySecondMs.medianP99)}`,
    ],
    ...(r.fixesPerMessage > 1
      ? [
          [
            '  from the message sent: p50 · p99 · worst / median second p99',
            `${n(r.sentLatencyMs.p50)} · ${n(r.sentLatencyMs.p99)} · ${n(r.sentLatencyMs.worstSecondP99)} / ${n(r.sentLatencyMs.medianSecondP99)}`,
          ],
          [
            '  the fix’s wait in its batch ms (p50 · max)',
            `${n(r.batchWaitMs.p50)} · ${n(r.batchWaitMs.max)}`,
          ],
        ]
      : []),
    ...(r.warmup === null
      ? []
      : [
          [
            `warm-up (${r.warmup.durationS} s, not measured): fixes · coupon latency ms (p50 · p99)`,
            `${n(r.warmup.fixes)} · ${n(r.warmup.latencyMs.p50)} · ${n(r.warmup.latencyMs.p99)} (n=${n(r.warmup.latencyMs.count)})`,
          ],
        ]),
    [
      '  of which sent → decision · decision → device (p50 / p99)',
      `${n(r.decisionLatencyMs.p50)} / ${n(r.decisionLatencyMs.p99)} · ${n(r.deliveryLatencyMs.p50)} / ${n(r.deliveryLatencyMs.p99)}`,
    ],
    [
      'recommendation lists received · click → inbox ms (p50 / p99)',
      `${n(r.recommendations.received)} · ${n(r.recommendations.latencyMs.p50)} / ${n(r.recommendations.latencyMs.p99)}`,
    ],
    [
      `  clicks on a product the shown list held (browsing ${r.recommendations.browsing === 'sessions' ? "a click log's sessions" : 'at random within preferred categories'})`,
      `${Number.isFinite(r.recommendations.hitRate) ? `${(r.recommendations.hitRate * 100).toFixed(1)} %` : 'n/a'} of ${n(r.recommendations.clicksWithList)}`,
    ],
    ['errors', Object.keys(r.errors).length === 0 ? 'none' : JSON.stringify(r.errors)],
  );
  return t.toString();
}

/** The payment simulation's report: decisions by the kind of payment each really was. */
export function formatPaymentReport(r: PaymentSimulationReport, colour = true): string {
  const t = new Table({
    head: ['payment', 'sent', 'approve', 'review', 'decline', 'pending', 'refused'],
    ...(colour ? {} : { style: { head: [], border: [] } }),
  });
  for (const [kind, c] of Object.entries(r.byAttack))
    if (c.sent > 0) t.push([kind, c.sent, c.approve, c.review, c.decline, c.pending, c.refused]);
  const errors = Object.entries(r.errors)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
  return `${t.toString()}\n${r.sent} payments in ${(r.durationMs / 1000).toFixed(1)} s (asked ${r.rate}/s); answer p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms${errors ? `; refused: ${errors}` : ''}`;
}
