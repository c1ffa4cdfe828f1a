import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { live } from '../live.js';
import { Empty, ErrorNote, fmt, useLoad, useThrottled } from '../ui.js';

interface Status {
  process: {
    pid: number;
    uptimeSeconds: number;
    healthy: boolean;
    ready: boolean;
    readiness: { checks?: Record<string, unknown> } & Record<string, unknown>;
  };
  gateways: Array<{ region: string; connections: number }>;
  groups: Array<{
    groupId: string;
    state: string;
    members: Array<{ clientId: string; host: string }>;
    lag: number;
    partitions: Array<{ topic: string; partition: number; committed: string; end: string; lag: number }>;
  }>;
  topics: Array<{ topic: string; partitions: number; end: string; perSecond: number | null }>;
}

interface Letter {
  partition: number;
  offset: string;
  at: number;
  stage: string;
  topic: string;
  code: string;
  reason: string;
  key: string;
  type: string | null;
  replayable: boolean;
  replayedAt: string | null;
  replayedBy: string | null;
}

const POLL_MS = 3000;
const PER_PROCESS = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function byPipelineFirst(a: { groupId: string }, b: { groupId: string }): number {
  const pa = PER_PROCESS.test(a.groupId) ? 1 : 0;
  const pb = PER_PROCESS.test(b.groupId) ? 1 : 0;
  return pa - pb || a.groupId.localeCompare(b.groupId);
}

export function OpsView() {
  const status = useLoad(() => api<Status>('GET', '/v1/ops/status'), []);
  const letters = useLoad(
    () => api<{ total: number; letters: Letter[] }>('GET', '/v1/ops/dead-letters?limit=100'),
    [],
  );
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    const timer = window.setInterval(status.reload, POLL_MS);
    return () => window.clearInterval(timer);
  }, [status.reload]);
  const refreshLetters = useThrottled(letters.reload, 500);
  useEffect(() => live.refetchOn('dead-letter', refreshLetters), [refreshLetters]);
  const s = status.value;
  const replay = async (l: Letter) => {
    try {
      await api('POST', `/v1/ops/dead-letters/${l.partition}/${l.offset}/replay`);
      setError(null);
      letters.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <h2>Operations</h2>
      <ErrorNote error={status.error ?? error} />
      {s && (
        <>
          <div class="stats">
            <div class={`stat ${s.process.healthy ? 'ok' : 'bad'}`}>
              <div class="stat-value">{s.process.healthy ? 'healthy' : 'unhealthy'}</div>
              <div class="stat-label">API process {s.process.pid}</div>
            </div>
            <div class={`stat ${s.process.ready ? 'ok' : 'bad'}`}>
              <div class="stat-value">{s.process.ready ? 'ready' : 'not ready'}</div>
              <div class="stat-label">up {fmt.age(s.process.uptimeSeconds * 1000)}</div>
            </div>
            {s.gateways.map((g) => (
              <div class="stat" key={g.region}>
                <div class="stat-value">{fmt.n(g.connections)}</div>
                <div class="stat-label">gateway connections · {g.region}</div>
              </div>
            ))}
          </div>
          <details>
            <summary>Readiness of this process's components</summary>
            <pre>{JSON.stringify(s.process.readiness, null, 2)}</pre>
          </details>
          <h3>Consumer groups</h3>
          <p class="hint">
            Pipeline groups first; a group ending in a UUID is one process's own feed (it reads a compacted
            topic whole).
          </p>
          <table aria-label="consumer groups">
            <thead>
              <tr>
                <th>Group</th>
                <th>State</th>
                <th>Members (processes)</th>
                <th>Lag</th>
              </tr>
            </thead>
            <tbody>
              {[...s.groups].sort(byPipelineFirst).map((g) => (
                <>
                  <tr
                    key={g.groupId}
                    onClick={() => setOpen(open === g.groupId ? null : g.groupId)}
                    class="clickable"
                  >
                    <td>{g.groupId}</td>
                    <td>{g.state}</td>
                    <td>{g.members.map((m) => `${m.clientId}@${m.host}`).join(', ') || '—'}</td>
                    <td class={g.lag > 1000 ? 'bad' : ''}>{fmt.n(g.lag)}</td>
                  </tr>
                  {open === g.groupId &&
                    g.partitions.map((p) => (
                      <tr key={`${g.groupId}/${p.topic}/${p.partition}`} class="sub">
                        <td colSpan={2}>
                          {p.topic} [{p.partition}]
                        </td>
                        <td>
                          committed {p.committed} / end {p.end}
                        </td>
                        <td>{fmt.n(p.lag)}</td>
                      </tr>
                    ))}
                </>
              ))}
            </tbody>
          </table>
          <h3>Topics</h3>
          <table aria-label="topics">
            <thead>
              <tr>
                <th>Topic</th>
                <th>Partitions</th>
                <th>Records</th>
                <th>Per second</th>
              </tr>
            </thead>
            <tbody>
              {s.topics.map((t) => (
                <tr key={t.topic}>
                  <td>{t.topic}</td>
                  <td>{t.partitions}</td>
                  <td>{t.end}</td>
                  <td>{t.perSecond === null ? '…' : t.perSecond.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>Dead letters</h3>
      <ErrorNote error={letters.error} />
      {letters.value !== null && letters.value.letters.length === 0 && (
        <Empty>hx.dlq is empty: every record so far was processed.</Empty>
      )}
      {(letters.value?.letters.length ?? 0) > 0 && (
        <table aria-label="dead letters">
          <thead>
            <tr>
              <th>When</th>
              <th>From</th>
              <th>Stage</th>
              <th>Code</th>
              <th>Reason</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {letters.value!.letters.map((l) => (
              <tr key={`${l.partition}/${l.offset}`} data-letter={`${l.partition}/${l.offset}`}>
                <td>{fmt.time(l.at)}</td>
                <td>
                  {l.topic} · {l.type ?? 'unreadable'} · key {l.key}
                </td>
                <td>{l.stage}</td>
                <td>
                  <code>{l.code}</code>
                </td>
                <td class="reason">{l.reason}</td>
                <td>
                  {l.replayedAt !== null ? (
                    <span class="status resolved">
                      replayed by {l.replayedBy} at {fmt.time(l.replayedAt)}
                    </span>
                  ) : l.replayable ? (
                    <button type="button" onClick={() => replay(l)}>
                      Replay
                    </button>
                  ) : (
                    <small>not an envelope: fix its producer</small>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
