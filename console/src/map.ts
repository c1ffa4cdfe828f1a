import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { api } from './api.js';

export interface MapSettings {
  tileUrl: string | null;
  tileAttribution: string | null;
  region: string;
}

let settings: Promise<MapSettings> | null = null;
export function mapSettings(): Promise<MapSettings> {
  settings ??= api<MapSettings>('GET', '/v1/console/settings');
  return settings;
}

/**
 * A Leaflet map in Web Mercator. With no tile URL configured (the default: no third-party origin)
 * it draws on a plain background with a graticule and a scale bar, so fences, cells and density
 * still read at the right size and place.
 */
export function createMap(
  element: HTMLElement,
  s: MapSettings,
  view: { center: [number, number]; zoom: number },
  /**
   * Canvas for maps of thousands of shapes (the live map's cells). Maps of a few shapes use SVG:
   * Leaflet's canvas renderer redraws on a later animation frame and throws ("reading
   * 'clearRect'") when the map was removed in between, as when a form leaves for the page it
   * created.
   */
  options: { canvas?: boolean } = {},
) {
  const map = L.map(element, {
    zoomControl: true,
    attributionControl: s.tileUrl !== null,
    preferCanvas: options.canvas ?? false,
  });
  map.setView(view.center, view.zoom);
  L.control.scale({ imperial: false }).addTo(map);
  if (s.tileUrl !== null) {
    L.tileLayer(s.tileUrl, { maxZoom: 19, attribution: s.tileAttribution ?? '' }).addTo(map);
  } else {
    element.classList.add('map-plain');
    const graticule = L.layerGroup().addTo(map);
    const draw = () => {
      graticule.clearLayers();
      const b = map.getBounds();
      const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
      const step = niceStep(span / 6);
      const style = { color: '#c8ccd4', weight: 1, interactive: false };
      for (let lng = Math.floor(b.getWest() / step) * step; lng <= b.getEast(); lng += step)
        L.polyline(
          [
            [b.getSouth(), lng],
            [b.getNorth(), lng],
          ],
          style,
        ).addTo(graticule);
      for (let lat = Math.floor(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step)
        L.polyline(
          [
            [lat, b.getWest()],
            [lat, b.getEast()],
          ],
          style,
        ).addTo(graticule);
    };
    map.on('moveend zoomend', draw);
    // Leaflet may still fire a moveend after remove() (a window resize's is 200 ms late: a
    // full-page screenshot, then the form leaving); drawing then reads the removed panes and throws.
    map.on('unload', () => map.off('moveend zoomend', draw));
    draw();
  }
  return map;
}

function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** A fence as Leaflet draws it: GeoJSON polygons, or a circle in metres. */
export type FenceShape =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }
  | { type: 'Circle'; center: [number, number]; radiusM: number };

export function fenceLayer(fence: FenceShape, style: L.PathOptions): L.Layer {
  if (fence.type === 'Circle') {
    return L.circle([fence.center[1], fence.center[0]], { radius: fence.radiusM, ...style });
  }
  return L.geoJSON({ type: fence.type, coordinates: fence.coordinates } as GeoJSON.Geometry, { style });
}

export function fenceCentre(fence: FenceShape): [number, number] {
  if (fence.type === 'Circle') return [fence.center[1], fence.center[0]];
  const ring = fence.type === 'Polygon' ? fence.coordinates[0] : fence.coordinates[0]?.[0];
  const pts = ring ?? [[0, 0]];
  const lat = pts.reduce((s, p) => s + (p[1] ?? 0), 0) / pts.length;
  const lng = pts.reduce((s, p) => s + (p[0] ?? 0), 0) / pts.length;
  return [lat, lng];
}

export { L };
