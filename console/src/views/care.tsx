import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { live } from '../live.js';
import { Empty, ErrorNote, fmt, useLoad, useThrottled } from '../ui.js';

interface SummaryView {
  brand: string;
  channel: string;
  volume: number;
  meanCompound: number | null;
  negativeShare: number | null;
  topHashtags: Array<{ value: string; count: number }>;
  topReasons: Array<{ value: string; count: number }>;
  minutes: Array<{ minute: number; volume: number; negativeShare: number | null }>;
  spike: boolean;
}

interface Alert {
  id: string;
  kind: 'negative-post' | 'spike';
  brand: string;
  channel: string;
  priority: number;
  reason: string | null;
  detail: unknown;
  status: 'open' | 'claimed' | 'resolved';
  claimedBy: string | null;
  createdAt: string | number;
  note: string | null;
}

/** A per-minute trend as a tiny bar chart (negative share). */
function Trend({ minutes }: { minutes: SummaryView['minutes'] }) {
  const max = Math.max(1, ...minutes.map((m) => m.volume));
  return (
    <svg class="trend" viewBox={`0 0 ${minutes.length * 4} 20`} preserveAspectRatio="none" aria-hidden="true">
      {minutes.map((m, i) => {
        const h = (m.volume / max) * 20;
        return (
          <rect
            key={m.minute}
            x={i * 4}
            y={20 - h}
            width={3}
            height={h}
            fill={(m.negativeShare ?? 0) > 0.5 ? '#dc2626' : '#94a3b8'}
          />
        );
      })}
    </svg>
  );
}

export function CareView({ role }: { role: string }) {
  const [window, setWindow] = useState(15);
  const summary = useLoad(
    () => api<{ views: SummaryView[] }>('GET', `/v1/sentiment/summary?window=${window}`),
    [window],
  );
  const canHandle = role === 'care' || role === 'admin';
  const refreshSummary = useThrottled(summary.reload, 1000);
  useEffect(() => live.refetchOn('sentiment', refreshSummary), [refreshSummary]);
  const views = summary.value?.views ?? [];
  return (
    <section>
      <div class="bar">
        <h2>Brand sentiment</h2>
        <label>
          window{' '}
          <select value={window} onChange={(e) => setWindow(Number((e.target as HTMLSelectElement).value))}>
            {[1, 5, 15, 60].map((w) => (
              <option key={w} value={w}>
                {w} min
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={summary.error} />
      {summary.value !== null && views.length === 0 && (
        <Empty>
          No posts in the last {window} minutes. Posts arrive from the channel connectors (X stream, Graph and
          signed webhooks): see docs/sentiment.md.
        </Empty>
      )}
      {views.length > 0 && (
        <table aria-label="sentiment summary">
          <thead>
            <tr>
              <th>Brand</th>
              <th>Channel</th>
              <th>Posts</th>
              <th>Negative</th>
              <th>Mean</th>
              <th>Trend</th>
              <th>Top reasons</th>
              <th>Top hashtags</th>
            </tr>
          </thead>
          <tbody>
            {views.map((v) => (
              <tr key={`${v.brand}/${v.channel}`} class={v.spike ? 'spike' : ''}>
                <td>
                  {v.brand}
                  {v.spike && <span class="badge danger">spike</span>}
                </td>
                <td>{v.channel}</td>
                <td>{fmt.n(v.volume)}</td>
                <td>{fmt.pct(v.negativeShare)}</td>
                <td>{v.meanCompound === null ? '—' : v.meanCompound.toFixed(2)}</td>
                <td>
                  <Trend minutes={v.minutes} />
                </td>
                <td>{v.topReasons.map((r) => `${r.value} (${r.count})`).join(', ') || '—'}</td>
                <td>{v.topHashtags.map((r) => `#${r.value}`).join(' ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canHandle ? (
        <>
          <AlertQueue />
          <DeadWebhooks />
        </>
      ) : (
        <p class="hint">The alert queue is for care agents.</p>
      )}
    </section>
  );
}

function AlertQueue() {
  const alerts = useLoad(() => api<{ alerts: Alert[] }>('GET', '/v1/care/alerts?limit=100'), []);
  const [error, setError] = useState<unknown>(null);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const refresh = useThrottled(alerts.reload, 500);
  useEffect(() => live.refetchOn('alert', refresh), [refresh]);
  const act = async (path: string, body?: unknown) => {
    try {
      await api('POST', path, body);
      setError(null);
      alerts.reload();
    } catch (e) {
      setError(e);
    }
  };
  const list = alerts.value?.alerts ?? [];
  return (
    <>
      <h2>Alert queue</h2>
      <ErrorNote error={error ?? alerts.error} />
      {alerts.value !== null && list.length === 0 && (
        <Empty>
          No open alerts. Influential negative posts and negative spikes land here as they happen.
        </Empty>
      )}
      {list.length > 0 && (
        <table aria-label="alert queue">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Kind</th>
              <th>Brand</th>
              <th>Reason</th>
              <th>Raised</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id} data-alert={a.id}>
                <td>{a.priority}</td>
                <td>{a.kind}</td>
                <td>
                  {a.brand} · {a.channel}
                </td>
                <td>{a.reason ?? '—'}</td>
                <td>{fmt.time(a.createdAt)}</td>
                <td>
                  <span class={`status ${a.status}`}>{a.status}</span>
                  {a.claimedBy && <small> by {a.claimedBy}</small>}
                </td>
                <td class="actions">
                  {a.status === 'open' && (
                    <button
                      type="button"
                      onClick={() => act(`/v1/care/alerts/${encodeURIComponent(a.id)}/claim`)}
                    >
                      Claim
                    </button>
                  )}
                  {a.status === 'claimed' && (
                    <>
                      <input
                        placeholder="note (what was done)"
                        aria-label="note"
                        value={notes[a.id] ?? ''}
                        onInput={(e) => setNotes({ ...notes, [a.id]: (e.target as HTMLInputElement).value })}
                      />
                      <button
                        type="button"
                        onClick={() =>
                          act(`/v1/care/alerts/${encodeURIComponent(a.id)}/resolve`, {
                            note: notes[a.id] ?? '',
                          })
                        }
                      >
                        Resolve
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

interface Delivery {
  id: string;
  alertId: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
}

/** Alerts the care system's webhook could not deliver (only when HX_CARE_WEBHOOK_URL is set). */
function DeadWebhooks() {
  const dead = useLoad(() => api<{ items: Delivery[] }>('GET', '/v1/care/webhooks?status=dead&limit=50'), []);
  const [error, setError] = useState<unknown>(null);
  const items = dead.value?.items ?? [];
  if (items.length === 0 && error === null) return null;
  const retry = async (d: Delivery) => {
    try {
      await api('POST', `/v1/care/webhooks/${encodeURIComponent(d.id)}/retry`);
      setError(null);
      dead.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <h3>Not delivered to the care system</h3>
      <ErrorNote error={error} />
      <table aria-label="dead care webhooks">
        <thead>
          <tr>
            <th>Alert</th>
            <th>Raised</th>
            <th>Attempts</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <td>{d.alertId}</td>
              <td>{fmt.time(d.createdAt)}</td>
              <td>{d.attempts}</td>
              <td>{d.lastError ?? '—'}</td>
              <td>
                <button type="button" onClick={() => retry(d)}>
                  Send again
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
