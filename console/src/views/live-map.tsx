import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { live } from '../live.js';
import { createMap, type FenceShape, fenceCentre, fenceLayer, L, mapSettings } from '../map.js';
import { ErrorNote, fmt } from '../ui.js';

interface Density {
  resolution: number;
  cells: Array<[string, number]>;
}

const GEO_MARKERS = 200;

const plural = (n: number, noun: string) => `${fmt.n(n)} ${noun}${n === 1 ? '' : 's'}`;

function colour(n: number, max: number): string {
  const t = Math.min(1, Math.log1p(n) / Math.log1p(Math.max(max, 1)));
  return `hsl(${Math.round(220 - 220 * t)}, 80%, 45%)`;
}

/** Devices per H3 cell and fence events, live; the active campaigns' fences beneath. */
export function LiveMapView() {
  const el = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [totals, setTotals] = useState({ cells: 0, devices: 0, events: 0 });

  useEffect(() => {
    let map: L.Map | undefined;
    let stopped = false;
    const unsubscribe: Array<() => void> = [];
    (async () => {
      // h3-js is loaded with this view only: the console's first load stays small.
      const [s, h3, campaigns, density] = await Promise.all([
        mapSettings(),
        import('h3-js'),
        api<{ campaigns: Array<{ id: string; name: string; status: string; fence: FenceShape }> }>(
          'GET',
          '/v1/campaigns',
        ),
        api<Density>('GET', '/v1/live/density'),
      ]);
      if (stopped || el.current === null) return;
      const active = campaigns.campaigns.filter((c) => c.status === 'active');
      map = createMap(
        el.current,
        s,
        { center: active[0] ? fenceCentre(active[0].fence) : [48.8566, 2.3522], zoom: 12 },
        { canvas: true },
      );
      for (const c of active)
        fenceLayer(c.fence, { color: '#2563eb', weight: 1, fillOpacity: 0.05 })
          .bindTooltip(c.name)
          .addTo(map);
      const counts = new Map<string, number>();
      const shapes = new Map<string, L.Polygon>();
      const cellsLayer = L.layerGroup().addTo(map);
      const events = L.layerGroup().addTo(map);
      let eventCount = 0;
      const paint = (cells: Array<[string, number]>) => {
        for (const [cell, n] of cells) {
          if (n <= 0) counts.delete(cell);
          else counts.set(cell, n);
        }
        const max = Math.max(1, ...counts.values());
        for (const [cell] of cells) {
          const n = counts.get(cell) ?? 0;
          let shape = shapes.get(cell);
          if (n === 0) {
            if (shape) cellsLayer.removeLayer(shape);
            shapes.delete(cell);
            continue;
          }
          const style = { color: colour(n, max), weight: 0.5, fillOpacity: 0.45 };
          if (shape === undefined) {
            shape = L.polygon(h3.cellToBoundary(cell) as L.LatLngExpression[], style).addTo(cellsLayer);
            shapes.set(cell, shape);
          } else shape.setStyle(style);
          shape.bindTooltip(`${n} device${n === 1 ? '' : 's'}`);
        }
        let devices = 0;
        for (const n of counts.values()) devices += n;
        setTotals((t) => ({ ...t, cells: counts.size, devices }));
      };
      paint(density.cells);
      if (density.cells.length > 0 && active.length === 0) {
        const first = density.cells[0]!;
        map.setView(h3.cellToLatLng(first[0]) as [number, number], 12, { animate: false });
      }
      unsubscribe.push(
        live.on('cells', (d) => paint((d as Density).cells)),
        live.on('geo', (d) => {
          const g = d as { kind: string; lat: number; lng: number; campaignId: string };
          eventCount++;
          L.circleMarker([g.lat, g.lng], {
            radius: 5,
            color: g.kind === 'enter' ? '#16a34a' : g.kind === 'exit' ? '#dc2626' : '#d97706',
          })
            .bindTooltip(`${g.kind} · ${g.campaignId}`)
            .addTo(events);
          const layers = events.getLayers();
          if (layers.length > GEO_MARKERS) events.removeLayer(layers[0]!);
          setTotals((t) => ({ ...t, events: eventCount }));
        }),
        live.on('reset', async () => paint((await api<Density>('GET', '/v1/live/density')).cells)),
      );
    })().catch((e: unknown) => setError(e));
    return () => {
      stopped = true;
      for (const u of unsubscribe) u();
      map?.remove();
    };
  }, []);

  return (
    <section>
      <div class="bar">
        <h2>Live map</h2>
        <span data-testid="density-totals">
          {plural(totals.devices, 'device')} in {plural(totals.cells, 'cell')} ·{' '}
          {plural(totals.events, 'fence event')}
        </span>
      </div>
      <ErrorNote error={error} />
      <div class="map large" ref={el} data-testid="live-map" />
      <p class="hint">
        Cells: devices heard from in the last 5 minutes, by their last fix (H3 resolution 8). Dots: fence
        enter (green), dwell (amber), exit (red).
      </p>
    </section>
  );
}
