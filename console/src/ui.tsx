import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { describe } from './api.js';

/** Every API error as a readable message with its code. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const { code, message } = describe(error);
  return (
    <div class="error" role="alert">
      <strong>{message}</strong> <code>{code}</code>
    </div>
  );
}

/** An empty state that says what to do next. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** Loads with `load`, again on `reload()`; keeps the last value while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const reload = useCallback(() => {
    const mine = ++seq.current;
    load().then(
      (v) => {
        if (mine !== seq.current) return;
        setValue(v);
        setError(null);
      },
      (e: unknown) => {
        if (mine === seq.current) setError(e);
      },
    );
  }, deps);
  useEffect(() => reload(), [reload]);
  return { value, error, reload };
}

/** Calls `fn` at most once per `ms` while events keep coming (the trailing call always runs). */
export function useThrottled(fn: () => void, ms: number) {
  const last = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return useCallback(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      fn();
    } else if (timer.current === undefined) {
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        fn();
      }, wait);
    }
  }, [fn, ms]);
}

export function Stat({ label, value }: { label: string; value: ComponentChildren }) {
  return (
    <div class="stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** A time-series chart (uPlot): x in epoch ms, one line per series. */
export function Chart({
  x,
  series,
  height = 200,
}: {
  x: number[];
  series: Array<{ label: string; values: Array<number | null>; color: string }>;
  height?: number;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');
  useEffect(() => {
    if (el.current === null) return;
    const opts: uPlot.Options = {
      width: el.current.clientWidth || 600,
      height,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
      axes: [{}, {}],
      scales: { x: { time: true } },
    };
    plot.current = new uPlot(
      opts,
      [x.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData,
      el.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, height]);
  useEffect(() => {
    plot.current?.setData([x.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);
  return <div class="chart" ref={el} />;
}

export const fmt = {
  n: (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toLocaleString('en')),
  pct: (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`),
  time: (ms: number | string | null | undefined) =>
    ms === null || ms === undefined ? '—' : new Date(ms).toLocaleString('en-GB', { hour12: false }),
  age: (ms: number) => {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
  },
};
