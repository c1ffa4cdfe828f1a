import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { live } from '../live.js';
import { createMap, type FenceShape, fenceCentre, fenceLayer, L, mapSettings } from '../map.js';
import { Chart, Empty, ErrorNote, fmt, Stat, useLoad, useThrottled } from '../ui.js';

export interface Campaign {
  id: string;
  version: number;
  name: string;
  status: 'draft' | 'active' | 'paused' | 'ended';
  fence: FenceShape;
  dwellSeconds: number;
  exitDebounceSeconds: number;
  startsAt: string;
  endsAt: string;
  timezone: string;
  brand?: string;
  offer?: {
    title: string;
    body?: string;
    ttlSeconds: number;
    budget: number;
    capPerDevice: number;
    capPerDevicePerDay: number;
    quietHours?: { start: string; end: string };
    trigger: 'enter' | 'dwell';
    audience?: { anyTags?: string[]; noneTags?: string[] };
  };
  updatedAt: string;
}

interface Stats {
  live: boolean;
  budget: number | null;
  budgetLeft: number | null;
  issued: number;
  pending: number;
  delivered: number;
  expired: { total: number; transit: number; queue: number; 'in-flight': number; push: number };
  rejected: { total: number; byReason: Record<string, number> };
  opened: number;
  redeemed: number;
}

interface SeriesPoint {
  at: number;
  issued: number;
  delivered: number;
  expired: number;
  rejected: number;
  redeemed: number;
}

export function CampaignsView({ rest }: { rest: string[] }) {
  const [id] = rest;
  if (id === 'new') return <CampaignForm campaign={null} />;
  if (id !== undefined) return <CampaignDetail id={id} edit={rest[1] === 'edit'} />;
  return <CampaignList />;
}

function CampaignList() {
  const { value, error } = useLoad(() => api<{ campaigns: Campaign[] }>('GET', '/v1/campaigns'), []);
  const campaigns = value?.campaigns ?? [];
  return (
    <section>
      <div class="bar">
        <h2>Campaigns</h2>
        <a class="button" href="#/campaigns/new">
          New campaign
        </a>
      </div>
      <ErrorNote error={error} />
      {value !== null && campaigns.length === 0 && (
        <Empty>No campaigns yet. Create one: draw its fence on the map and set the offer.</Empty>
      )}
      {campaigns.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Fence</th>
              <th>Offer</th>
              <th>Ends</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={`#/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</a>
                </td>
                <td>
                  <span class={`status ${c.status}`}>{c.status}</span>
                </td>
                <td>{c.fence.type === 'Circle' ? `circle ${c.fence.radiusM} m` : c.fence.type}</td>
                <td>{c.offer?.title ?? '— (geo events only)'}</td>
                <td>{fmt.time(c.endsAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CampaignDetail({ id, edit }: { id: string; edit: boolean }) {
  const campaign = useLoad(() => api<Campaign>('GET', `/v1/campaigns/${encodeURIComponent(id)}`), [id]);
  const stats = useLoad(() => api<Stats>('GET', `/v1/campaigns/${encodeURIComponent(id)}/stats`), [id]);
  const series = useLoad(
    () =>
      api<{ points: SeriesPoint[] }>(
        'GET',
        `/v1/campaigns/${encodeURIComponent(id)}/stats/series?bucketSeconds=60`,
      ),
    [id],
  );
  const [error, setError] = useState<unknown>(null);
  const refresh = useThrottled(() => {
    stats.reload();
    series.reload();
  }, 1000);
  useEffect(() => {
    const offCampaigns = live.on('campaigns', (d) => {
      const ids = (d as { ids: string[] }).ids;
      if (ids.length === 0 || ids.includes(id)) refresh();
    });
    // Events were missed: refetch whatever they were.
    const offReset = live.on('reset', refresh);
    return () => {
      offCampaigns();
      offReset();
    };
  }, [id, refresh]);
  const c = campaign.value;
  if (c === null) return <ErrorNote error={campaign.error} />;
  if (edit) return <CampaignForm campaign={c} />;
  const setStatus = async (status: Campaign['status']) => {
    try {
      await api('PATCH', `/v1/campaigns/${encodeURIComponent(id)}`, { status });
      campaign.reload();
      stats.reload();
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const s = stats.value;
  const points = useMemo(() => filled(series.value?.points ?? []), [series.value]);
  return (
    <section>
      <div class="bar">
        <h2>{c.name}</h2>
        <span class={`status ${c.status}`}>{c.status}</span>
        {c.status !== 'active' && c.status !== 'ended' && (
          <button type="button" onClick={() => setStatus('active')}>
            Activate
          </button>
        )}
        {c.status === 'active' && (
          <button type="button" onClick={() => setStatus('paused')}>
            Pause
          </button>
        )}
        <a class="button secondary" href={`#/campaigns/${encodeURIComponent(id)}/edit`}>
          Edit
        </a>
      </div>
      <ErrorNote error={error ?? stats.error} />
      {c.status === 'draft' && <div class="note">A draft raises nothing until it is activated.</div>}
      {s !== null && (
        <div class="stats" data-testid="campaign-stats">
          <Stat label="issued" value={fmt.n(s.issued)} />
          <Stat label="delivered" value={fmt.n(s.delivered)} />
          <Stat label="pending" value={fmt.n(s.pending)} />
          <Stat
            label={`expired (queue ${s.expired.queue}, transit ${s.expired.transit}, in-flight ${s.expired['in-flight']}, push ${s.expired.push})`}
            value={fmt.n(s.expired.total)}
          />
          <Stat label="rejected" value={fmt.n(s.rejected.total)} />
          <Stat label="opened" value={fmt.n(s.opened)} />
          <Stat label="redeemed" value={fmt.n(s.redeemed)} />
          <Stat
            label="budget left"
            value={s.budgetLeft === null ? '—' : `${fmt.n(s.budgetLeft)} / ${fmt.n(s.budget)}`}
          />
        </div>
      )}
      {points.length > 0 ? (
        <Chart
          x={points.map((p) => p.at)}
          series={[
            { label: 'issued', values: points.map((p) => p.issued), color: '#2563eb' },
            { label: 'delivered', values: points.map((p) => p.delivered), color: '#16a34a' },
            { label: 'expired', values: points.map((p) => p.expired), color: '#d97706' },
            { label: 'redeemed', values: points.map((p) => p.redeemed), color: '#9333ea' },
          ]}
        />
      ) : (
        <Empty>No coupons in the last 24 hours: the chart fills as devices enter the fence.</Empty>
      )}
      <FenceMap fence={c.fence} />
    </section>
  );
}

const BUCKET_MS = 60_000;

/** Every minute from the first point (at most a day back, at least an hour) to now, zeros where nothing happened. */
function filled(points: SeriesPoint[]): SeriesPoint[] {
  if (points.length === 0) return [];
  const now = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
  const first = Math.min(points[0]!.at, now - 60 * BUCKET_MS);
  const byAt = new Map(points.map((p) => [p.at, p]));
  const out: SeriesPoint[] = [];
  for (let at = first; at <= now; at += BUCKET_MS)
    out.push(byAt.get(at) ?? { at, issued: 0, delivered: 0, expired: 0, rejected: 0, redeemed: 0 });
  return out;
}

function FenceMap({ fence }: { fence: FenceShape }) {
  const el = useRef<HTMLDivElement>(null);
  // A refetched campaign brings a new object with the same fence: the map stays.
  const shape = JSON.stringify(fence);
  useEffect(() => {
    let map: L.Map | undefined;
    let cancelled = false;
    const drawnFence = JSON.parse(shape) as FenceShape;
    mapSettings().then((s) => {
      if (cancelled || el.current === null) return;
      map = createMap(el.current, s, { center: fenceCentre(drawnFence), zoom: 14 });
      const layer = fenceLayer(drawnFence, { color: '#2563eb' }).addTo(map);
      // No animation: a map removed mid-zoom (the view left, or redrawn) throws from Leaflet's
      // transition end.
      if ('getBounds' in layer)
        map.fitBounds((layer as L.FeatureGroup).getBounds(), { maxZoom: 17, animate: false });
    });
    return () => {
      cancelled = true;
      map?.remove();
    };
  }, [shape]);
  return <div class="map small" ref={el} />;
}

const isoLocal = (iso: string) => iso.slice(0, 16);
const toIso = (local: string) => new Date(local).toISOString();

/** Create or edit: the fence drawn on the map (polygon or circle) or pasted as GeoJSON, its H3 cover previewed, and the offer. */
export function CampaignForm({ campaign }: { campaign: Campaign | null }) {
  const now = Date.now();
  const [name, setName] = useState(campaign?.name ?? '');
  const [fence, setFence] = useState<FenceShape | null>(campaign?.fence ?? null);
  const [status, setStatus] = useState<Campaign['status']>(campaign?.status ?? 'active');
  const [startsAt, setStartsAt] = useState(isoLocal(campaign?.startsAt ?? new Date(now).toISOString()));
  const [endsAt, setEndsAt] = useState(
    isoLocal(campaign?.endsAt ?? new Date(now + 30 * 86_400_000).toISOString()),
  );
  const [timezone, setTimezone] = useState(
    campaign?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
  );
  const [dwell, setDwell] = useState(campaign?.dwellSeconds ?? 300);
  const [withOffer, setWithOffer] = useState(campaign === null || campaign.offer !== undefined);
  const o = campaign?.offer;
  const [title, setTitle] = useState(o?.title ?? '');
  const [body, setBody] = useState(o?.body ?? '');
  const [ttl, setTtl] = useState(o?.ttlSeconds ?? 3600);
  const [budget, setBudget] = useState(o?.budget ?? 1000);
  const [capPerDevice, setCapPerDevice] = useState(o?.capPerDevice ?? 1);
  const [capPerDay, setCapPerDay] = useState(o?.capPerDevicePerDay ?? 3);
  const [trigger, setTrigger] = useState<'enter' | 'dwell'>(o?.trigger ?? 'enter');
  const [quiet, setQuiet] = useState(o?.quietHours ? `${o.quietHours.start}-${o.quietHours.end}` : '');
  const [tags, setTags] = useState(o?.audience?.anyTags?.join(', ') ?? '');
  const [error, setError] = useState<unknown>(null);
  const [warnings, setWarnings] = useState<Array<{ code: string; message: string }>>([]);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (fence === null) {
      setError(new Error('Draw the fence on the map, or paste GeoJSON, first.'));
      return;
    }
    const [qs, qe] = quiet.split('-').map((x) => x.trim());
    const input = {
      name,
      fence,
      status,
      startsAt: toIso(startsAt),
      endsAt: toIso(endsAt),
      timezone,
      dwellSeconds: dwell,
      ...(withOffer
        ? {
            offer: {
              title,
              body,
              ttlSeconds: ttl,
              budget,
              capPerDevice,
              capPerDevicePerDay: capPerDay,
              trigger,
              ...(qs && qe ? { quietHours: { start: qs, end: qe } } : {}),
              ...(tags.trim() === ''
                ? {}
                : {
                    audience: {
                      anyTags: tags
                        .split(',')
                        .map((t) => t.trim())
                        .filter(Boolean),
                    },
                  }),
            },
          }
        : {}),
    };
    setBusy(true);
    try {
      const saved =
        campaign === null
          ? await api<Campaign & { warnings: typeof warnings }>('POST', '/v1/campaigns', input)
          : await api<Campaign & { warnings: typeof warnings }>(
              'PATCH',
              `/v1/campaigns/${encodeURIComponent(campaign.id)}`,
              input,
            );
      setWarnings(saved.warnings ?? []);
      setError(null);
      if ((saved.warnings ?? []).length === 0) location.hash = `#/campaigns/${encodeURIComponent(saved.id)}`;
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const num = (set: (n: number) => void) => (e: Event) => set(Number((e.target as HTMLInputElement).value));
  const text = (set: (s: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form class="campaign-form" onSubmit={submit} aria-label="campaign">
      <h2>{campaign === null ? 'New campaign' : `Edit ${campaign.name}`}</h2>
      <FenceEditor fence={fence} onChange={setFence} />
      <fieldset>
        <legend>Campaign</legend>
        <label>
          Name <input name="name" value={name} onInput={text(setName)} required maxLength={200} />
        </label>
        <label>
          Status
          <select name="status" value={status} onChange={text((v) => setStatus(v as Campaign['status']))}>
            <option value="active">active (live at once)</option>
            <option value="draft">draft (raises nothing yet)</option>
            <option value="paused">paused</option>
          </select>
        </label>
        <label>
          Starts <input type="datetime-local" value={startsAt} onInput={text(setStartsAt)} required />
        </label>
        <label>
          Ends <input type="datetime-local" value={endsAt} onInput={text(setEndsAt)} required />
        </label>
        <label>
          Time zone <input value={timezone} onInput={text(setTimezone)} />
        </label>
        <label>
          Dwell (s) <input type="number" min={0} value={dwell} onInput={num(setDwell)} />
        </label>
      </fieldset>
      <fieldset>
        <legend>
          <label>
            <input
              type="checkbox"
              checked={withOffer}
              onChange={(e) => setWithOffer((e.target as HTMLInputElement).checked)}
            />{' '}
            Offer (a coupon)
          </label>
        </legend>
        {withOffer && (
          <>
            <label>
              Title <input name="title" value={title} onInput={text(setTitle)} required maxLength={120} />
            </label>
            <label>
              Body <input value={body} onInput={text(setBody)} maxLength={500} />
            </label>
            <label>
              Coupon TTL (s) <input type="number" min={5} value={ttl} onInput={num(setTtl)} />
            </label>
            <label>
              Budget (coupons){' '}
              <input name="budget" type="number" min={0} value={budget} onInput={num(setBudget)} />
            </label>
            <label>
              Cap per device{' '}
              <input type="number" min={1} value={capPerDevice} onInput={num(setCapPerDevice)} />
            </label>
            <label>
              Cap per device per day{' '}
              <input type="number" min={1} value={capPerDay} onInput={num(setCapPerDay)} />
            </label>
            <label>
              Trigger
              <select value={trigger} onChange={text((v) => setTrigger(v as 'enter' | 'dwell'))}>
                <option value="enter">on entering</option>
                <option value="dwell">after dwelling</option>
              </select>
            </label>
            <label>
              Quiet hours <input placeholder="22:00-07:00" value={quiet} onInput={text(setQuiet)} />
            </label>
            <label>
              Audience tags (any) <input placeholder="vip, runner" value={tags} onInput={text(setTags)} />
            </label>
          </>
        )}
      </fieldset>
      <ErrorNote error={error} />
      {warnings.map((w) => (
        <div class="warning" key={w.code}>
          {w.message} <code>{w.code}</code> — saved; <a href="#/campaigns">back to the list</a>
        </div>
      ))}
      <button type="submit" disabled={busy}>
        {campaign === null ? 'Create campaign' : 'Save'}
      </button>
    </form>
  );
}

interface Cover {
  resolution: number;
  interior: number;
  boundary: number;
  cells: Array<{ cell: string; kind: 'interior' | 'boundary'; outline: number[][] }>;
  truncated: boolean;
}

/** Draw a polygon (click the corners, then Finish) or a circle (click the centre, set the radius), or paste GeoJSON. */
function FenceEditor({
  fence,
  onChange,
}: {
  fence: FenceShape | null;
  onChange: (f: FenceShape | null) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const drawn = useRef<L.LayerGroup | null>(null);
  const [mode, setMode] = useState<'polygon' | 'circle'>('polygon');
  const modeRef = useRef(mode);
  modeRef.current = mode;
  const [points, setPoints] = useState<Array<[number, number]>>([]);
  const [radius, setRadius] = useState(fence?.type === 'Circle' ? fence.radiusM : 200);
  const [geojson, setGeojson] = useState('');
  const [cover, setCover] = useState<Cover | null>(null);
  const [error, setError] = useState<unknown>(null);
  const radiusRef = useRef(radius);
  radiusRef.current = radius;

  useEffect(() => {
    let cancelled = false;
    mapSettings().then(
      (s) => {
        if (cancelled || el.current === null) return;
        const m = createMap(el.current, s, {
          center: fence === null ? [48.8566, 2.3522] : fenceCentre(fence),
          zoom: 14,
        });
        drawn.current = L.layerGroup().addTo(m);
        m.on('click', (e: L.LeafletMouseEvent) => {
          const p: [number, number] = [e.latlng.lng, e.latlng.lat];
          if (modeRef.current === 'circle') {
            onChange({ type: 'Circle', center: p, radiusM: radiusRef.current });
            setPoints([]);
          } else {
            setPoints((pts) => [...pts, p]);
          }
        });
        map.current = m;
      },
      (e: unknown) => setError(e),
    );
    return () => {
      cancelled = true;
      map.current?.remove();
      map.current = null;
    };
  }, []);

  // Redraw the fence, the polygon in progress and the cover preview.
  useEffect(() => {
    const g = drawn.current;
    if (g === null) return;
    g.clearLayers();
    if (cover !== null)
      for (const c of cover.cells)
        L.polygon(c.outline as L.LatLngExpression[], {
          color: c.kind === 'interior' ? '#16a34a' : '#d97706',
          weight: 1,
          fillOpacity: 0.15,
          interactive: false,
        }).addTo(g);
    if (fence !== null) fenceLayer(fence, { color: '#2563eb', weight: 2, fillOpacity: 0.1 }).addTo(g);
    if (points.length > 0) {
      L.polyline(
        points.map(([lng, lat]) => [lat, lng] as [number, number]),
        { color: '#2563eb', dashArray: '4' },
      ).addTo(g);
      for (const [lng, lat] of points) L.circleMarker([lat, lng], { radius: 4 }).addTo(g);
    }
  });

  const finish = () => {
    if (points.length < 3) {
      setError(new Error('A polygon needs at least three corners: click them on the map.'));
      return;
    }
    onChange({ type: 'Polygon', coordinates: [[...points, points[0]!]] });
    setPoints([]);
    setCover(null);
    setError(null);
  };
  const paste = () => {
    try {
      const parsed = JSON.parse(geojson) as {
        type?: string;
        geometry?: FenceShape;
        features?: Array<{ geometry: FenceShape }>;
      };
      const shape = (
        parsed.type === 'Feature'
          ? parsed.geometry
          : parsed.type === 'FeatureCollection'
            ? parsed.features?.[0]?.geometry
            : parsed
      ) as FenceShape | undefined;
      if (shape === undefined || !['Polygon', 'MultiPolygon', 'Circle'].includes(shape.type))
        throw new Error('Paste a GeoJSON Polygon or MultiPolygon (or a Feature holding one).');
      onChange(shape);
      setCover(null);
      setError(null);
      const layer = fenceLayer(shape, {});
      if (map.current && 'getBounds' in layer) map.current.fitBounds((layer as L.FeatureGroup).getBounds());
    } catch (e) {
      setError(e);
    }
  };
  const preview = async () => {
    if (fence === null) return;
    try {
      setCover(await api<Cover>('POST', '/v1/fences/cover', { fence }));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const summary = useMemo(
    () =>
      fence === null
        ? 'No fence yet.'
        : fence.type === 'Circle'
          ? `Circle, ${fence.radiusM} m around ${fence.center[1].toFixed(5)}, ${fence.center[0].toFixed(5)}`
          : `${fence.type} with ${fence.type === 'Polygon' ? (fence.coordinates[0]?.length ?? 1) - 1 : fence.coordinates.length} ${fence.type === 'Polygon' ? 'corners' : 'parts'}`,
    [fence],
  );
  return (
    <fieldset class="fence-editor">
      <legend>Fence</legend>
      <div class="toolbar">
        <label>
          <input type="radio" name="mode" checked={mode === 'polygon'} onChange={() => setMode('polygon')} />{' '}
          Polygon
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'circle'} onChange={() => setMode('circle')} />{' '}
          Circle
        </label>
        {mode === 'circle' && (
          <label>
            radius (m){' '}
            <input
              type="number"
              min={10}
              value={radius}
              onInput={(e) => {
                const r = Number((e.target as HTMLInputElement).value);
                setRadius(r);
                if (fence?.type === 'Circle') onChange({ ...fence, radiusM: r });
              }}
            />
          </label>
        )}
        {mode === 'polygon' && (
          <>
            <button type="button" onClick={finish} disabled={points.length < 3}>
              Finish polygon ({points.length})
            </button>
            <button type="button" class="secondary" onClick={() => setPoints([])}>
              Clear
            </button>
          </>
        )}
        <button type="button" onClick={preview} disabled={fence === null}>
          Preview H3 cover
        </button>
      </div>
      <div class="map" ref={el} data-testid="fence-map" />
      <p class="hint">
        {mode === 'polygon' ? 'Click the corners on the map, then Finish.' : 'Click the centre on the map.'}{' '}
        {summary}
        {cover !== null &&
          ` Cover: resolution ${cover.resolution}, ${cover.interior} interior and ${cover.boundary} boundary cells${cover.truncated ? ' (preview truncated)' : ''}.`}
      </p>
      <details>
        <summary>Paste GeoJSON</summary>
        <textarea
          rows={4}
          value={geojson}
          onInput={(e) => setGeojson((e.target as HTMLTextAreaElement).value)}
        />
        <button type="button" onClick={paste}>
          Use this shape
        </button>
      </details>
      <ErrorNote error={error} />
    </fieldset>
  );
}
