import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { live } from '../live.js';
import { Empty, ErrorNote, fmt, useLoad, useThrottled } from '../ui.js';

interface PaymentView {
  paymentId: string;
  merchantId: string;
  status: 'pending' | 'approve' | 'review' | 'decline';
  receivedAt: number;
  payment: {
    amount?: number;
    currency?: string;
    customerId?: string;
    deviceId?: string;
    [k: string]: unknown;
  };
  decision: {
    action: string;
    score: number;
    modelVersion: string;
    shadow: { score: number; version: string; action: string } | null;
    reasons: string[];
    ruleHits: Array<{ rule: string; action: string; reason: string }>;
    features?: Record<string, unknown>;
  } | null;
  review: {
    status: 'open' | 'decided';
    claimedBy: string | null;
    decision: string | null;
    label: string | null;
    note: string | null;
    reviewedBy: string | null;
  } | null;
}

interface QueueItem extends PaymentView {
  ageMs: number;
  overdue: boolean;
}

interface Models {
  live: { version: string } | null;
  candidate: { version: string } | null;
  shadow: {
    version: string;
    scored: number;
    agreement: number | null;
    quality: { labelled: number; live: { prAuc: number | null }; candidate: { prAuc: number | null } };
  } | null;
}

export function ReviewsView({ rest, role }: { rest: string[]; role: string }) {
  const [merchantId, paymentId] = rest;
  if (merchantId !== undefined && paymentId !== undefined)
    return <PaymentDetail merchantId={merchantId} paymentId={paymentId} canDecide={role !== 'merchant'} />;
  if (role === 'merchant') return <PaymentLookup />;
  return <ReviewQueue />;
}

function PaymentLookup() {
  const [merchant, setMerchant] = useState('');
  const [payment, setPayment] = useState('');
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        location.hash = `#/reviews/${encodeURIComponent(merchant)}/${encodeURIComponent(payment)}`;
      }}
    >
      <h2>Look up a payment</h2>
      <input
        placeholder="merchant id"
        value={merchant}
        onInput={(e) => setMerchant((e.target as HTMLInputElement).value)}
        required
      />
      <input
        placeholder="payment id"
        value={payment}
        onInput={(e) => setPayment((e.target as HTMLInputElement).value)}
        required
      />
      <button type="submit">Open</button>
    </form>
  );
}

function ReviewQueue() {
  const queue = useLoad(
    () => api<{ open: number; overdue: number; items: QueueItem[] }>('GET', '/v1/reviews?limit=100'),
    [],
  );
  const models = useLoad(() => api<Models>('GET', '/v1/fraud/models'), []);
  const refresh = useThrottled(queue.reload, 500);
  useEffect(() => live.refetchOn('review', refresh), [refresh]);
  const items = queue.value?.items ?? [];
  const shadow = models.value?.shadow ?? null;
  return (
    <section>
      <div class="bar">
        <h2>Fraud review</h2>
        {queue.value && (
          <span>
            {queue.value.open} open · {queue.value.overdue} overdue
          </span>
        )}
      </div>
      <div class="note" data-testid="models">
        Live model {models.value?.live?.version ?? '—'}
        {shadow !== null
          ? ` · shadow ${shadow.version}: agreement ${fmt.pct(shadow.agreement)} over ${fmt.n(shadow.scored)} payments, PR-AUC ${shadow.quality.candidate.prAuc?.toFixed(3) ?? '—'} vs live ${shadow.quality.live.prAuc?.toFixed(3) ?? '—'} on ${shadow.quality.labelled} reviewed`
          : ' · no shadow candidate'}
      </div>
      <ErrorNote error={queue.error ?? models.error} />
      {queue.value !== null && items.length === 0 && (
        <Empty>
          Nothing to review. Payments the model or a merchant rule sends to review appear here, riskiest
          first.
        </Empty>
      )}
      {items.length > 0 && (
        <table aria-label="review queue">
          <thead>
            <tr>
              <th>Risk</th>
              <th>Payment</th>
              <th>Merchant</th>
              <th>Amount</th>
              <th>Age</th>
              <th>Top reason</th>
              <th>Claimed by</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={`${p.merchantId}/${p.paymentId}`} class={p.overdue ? 'overdue' : ''}>
                <td>{p.decision?.score.toFixed(2) ?? '—'}</td>
                <td>
                  <a
                    href={`#/reviews/${encodeURIComponent(p.merchantId)}/${encodeURIComponent(p.paymentId)}`}
                  >
                    {p.paymentId}
                  </a>
                </td>
                <td>{p.merchantId}</td>
                <td>
                  {p.payment.amount} {p.payment.currency}
                </td>
                <td>
                  {fmt.age(p.ageMs)}
                  {p.overdue && <span class="badge danger">overdue</span>}
                </td>
                <td>{p.decision?.reasons[0] ?? '—'}</td>
                <td>{p.review?.claimedBy ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PaymentDetail({
  merchantId,
  paymentId,
  canDecide,
}: {
  merchantId: string;
  paymentId: string;
  canDecide: boolean;
}) {
  const path = `/v1/payments/${encodeURIComponent(paymentId)}?merchantId=${encodeURIComponent(merchantId)}`;
  const payment = useLoad(() => api<PaymentView>('GET', path), [path]);
  const [note, setNote] = useState('');
  const [label, setLabel] = useState<'fraud' | 'legit'>('legit');
  const [error, setError] = useState<unknown>(null);
  const base = `/v1/reviews/${encodeURIComponent(merchantId)}/${encodeURIComponent(paymentId)}`;
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      payment.reload();
    } catch (e) {
      setError(e);
    }
  };
  const p = payment.value;
  if (p === null) return <ErrorNote error={payment.error} />;
  const d = p.decision;
  return (
    <section>
      <div class="bar">
        <h2>
          Payment {p.paymentId} <small>of {p.merchantId}</small>
        </h2>
        <span class={`status ${p.status}`}>{p.status}</span>
        <a href="#/reviews">back to the queue</a>
      </div>
      <ErrorNote error={error} />
      <div class="columns">
        <div>
          <h3>Decision</h3>
          {d === null ? (
            <Empty>Not decided yet: the pipeline scores a payment within seconds.</Empty>
          ) : (
            <dl>
              <dt>Action</dt>
              <dd>{d.action}</dd>
              <dt>Score</dt>
              <dd>{d.score.toFixed(3)}</dd>
              <dt>Model</dt>
              <dd>{d.modelVersion}</dd>
              {d.shadow && (
                <>
                  <dt>Shadow</dt>
                  <dd>
                    {d.shadow.version}: {d.shadow.action} ({d.shadow.score.toFixed(3)})
                  </dd>
                </>
              )}
              <dt>Reasons</dt>
              <dd>
                <ul>
                  {d.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              </dd>
              <dt>Rule hits</dt>
              <dd>
                {d.ruleHits.length === 0
                  ? 'none'
                  : d.ruleHits.map((h) => (
                      <div key={h.rule}>
                        <code>{h.rule}</code> → {h.action}: {h.reason}
                      </div>
                    ))}
              </dd>
            </dl>
          )}
          {p.review && (
            <>
              <h3>Review</h3>
              <p>
                {p.review.status === 'decided'
                  ? `Decided ${p.review.decision} (${p.review.label}) by ${p.review.reviewedBy}: ${p.review.note || 'no note'}`
                  : p.review.claimedBy
                    ? `Claimed by ${p.review.claimedBy}`
                    : 'Open'}
              </p>
              {canDecide && p.review.status === 'open' && (
                <div class="decide">
                  <button type="button" onClick={() => act(() => api('POST', `${base}/claim`))}>
                    Claim
                  </button>
                  <select
                    value={label}
                    onChange={(e) => setLabel((e.target as HTMLSelectElement).value as 'fraud' | 'legit')}
                    aria-label="label"
                  >
                    <option value="legit">legit</option>
                    <option value="fraud">fraud</option>
                  </select>
                  <input
                    placeholder="note"
                    aria-label="review note"
                    value={note}
                    onInput={(e) => setNote((e.target as HTMLInputElement).value)}
                  />
                  <button
                    type="button"
                    onClick={() =>
                      act(() => api('POST', `${base}/decision`, { decision: 'approve', label, note }))
                    }
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() =>
                      act(() => api('POST', `${base}/decision`, { decision: 'decline', label, note }))
                    }
                  >
                    Decline
                  </button>
                </div>
              )}
            </>
          )}
        </div>
        <div>
          <h3>Payment</h3>
          <pre>{JSON.stringify(p.payment, null, 2)}</pre>
          {d?.features && (
            <>
              <h3>Features</h3>
              <table class="compact">
                <tbody>
                  {Object.entries(d.features).map(([k, v]) => (
                    <tr key={k}>
                      <td>{k}</td>
                      <td>{typeof v === 'number' ? Number(v.toFixed(4)) : JSON.stringify(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
