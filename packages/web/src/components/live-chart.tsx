import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useServices } from '../state/services';
import {
  ChartController,
  type ChartSeriesDef,
  type ChartStatus,
  type ChartTiming,
  type LegendState,
} from '../chart/chart-controller';
import type { ChartWindow } from '../chart/time-ranges';
import { displayUnit, formatDateTime, formatValue } from '../lib/format';
import { useAlertMarks } from './alert-marks';

declare global {
  interface Window {
    /** Test hook: what the chart currently holds. */
    __maChart?: {
      /** how many points the channel's series holds (0 when it is not charted) */
      points(channelId: number): number;
      /** ids of the charted channels, in legend order */
      channels(): number[];
      /** 'loading' while any channel's history is being fetched, then 'ready' (or 'error') */
      state(): ChartStatus['state'];
      /** performance.now() stamps of the last load: fetches started, answered, first complete draw */
      timing(): ChartTiming;
      /** how many times the plot has been drawn (live appends draw without rebuilding) */
      renders(): number;
      /** the visible window, ms since the epoch */
      window(): { from: number; to: number };
    };
  }
}

export interface LiveChartProps {
  series: readonly ChartSeriesDef[];
  window: ChartWindow;
  /** a drag selected [from, to]; without it, dragging does nothing */
  onZoom?: (from: number, to: number) => void;
  /** one line for screen readers, e.g. "last 24 hours" */
  description: string;
}

const EMPTY_LEGEND: LegendState = { time: null, values: new Map() };

/** The uPlot chart with its legend: one line per channel, a y axis per unit. */
export function LiveChart({ series, window: chartWindow, onZoom, description }: LiveChartProps) {
  const { live, store } = useServices();
  const hostRef = useRef<HTMLDivElement>(null);
  const controllerRef = useRef<ChartController | null>(null);
  const [legend, setLegend] = useState<LegendState>(EMPTY_LEGEND);
  const [status, setStatus] = useState<ChartStatus>({ state: 'loading' });
  const statusRef = useRef<ChartStatus['state']>('loading');
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const marks = useAlertMarks(series.map((s) => s.id));
  const marksRef = useRef(marks);
  marksRef.current = marks;

  useEffect(() => {
    const host = hostRef.current;
    if (host === null) return;
    const controller = new ChartController({
      container: host,
      live,
      now: () => store.serverNow(),
      onLegend: setLegend,
      onStatus: (s) => {
        statusRef.current = s.state;
        setStatus(s);
      },
      onZoom: (from, to) => zoomRef.current?.(from, to),
      markers: () => marksRef.current,
    });
    controllerRef.current = controller;
    controller.start();
    const observer = new ResizeObserver((entries) => {
      const width = entries[0]?.contentRect.width;
      if (width !== undefined && width > 0) controller.resize(width);
    });
    observer.observe(host);
    window.__maChart = {
      points: (id) => controller.points(id),
      channels: () => controller.channels(),
      state: () => statusRef.current,
      timing: () => controller.lastTiming(),
      renders: () => controller.renderCount(),
      window: () => controller.visibleWindow(),
    };
    return () => {
      observer.disconnect();
      controller.destroy();
      controllerRef.current = null;
      delete window.__maChart;
    };
  }, [live, store]);

  // Window first, so a non-default initial window does not fetch twice.
  useEffect(() => {
    controllerRef.current?.setWindow(chartWindow);
  }, [chartWindow]);

  useEffect(() => {
    controllerRef.current?.setSeries(series);
  }, [series]);

  useEffect(() => {
    controllerRef.current?.redraw();
  }, [marks]);

  const describedUnits = [...new Set(series.map((s) => s.unit || 'no unit'))].join(', ');

  return (
    <figure class="live-chart" data-testid="live-chart" data-state={status.state} data-alert-marks={marks.length} aria-busy={status.state === 'loading'}>
      <div class="live-chart__area">
        {/* uPlot owns this element's children; Preact renders nothing inside it. */}
        <div
          class="live-chart__plot"
          ref={hostRef}
          role="img"
          aria-label={
            series.length === 0
              ? 'Empty chart: no channel selected'
              : `Line chart of ${series.length} channel${series.length === 1 ? '' : 's'} (${describedUnits}), ${description}`
          }
        />
        {series.length === 0 && <p class="live-chart__empty">Pick channels below to chart them.</p>}
      </div>
      {status.state === 'error' && (
        <p class="notice notice--warning" role="status">
          Could not load history: {status.message}. Showing live readings only.
        </p>
      )}
      <figcaption>
        <span class="live-chart__cursor-time" aria-live="off">
          {legend.time === null ? 'Latest' : formatDateTime(legend.time)}
        </span>
        <ul class="chart-legend">
          {series.map((s) => (
            <li key={s.id} class="chart-legend__item" data-testid="chart-series" data-channel={s.id}>
              <span class="chart-legend__swatch" style={{ background: s.color }} aria-hidden="true" />
              <span class="chart-legend__label">{s.label}</span>
              <span class="chart-legend__value">{formatValue(legend.values.get(s.id), displayUnit(s.unit))}</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
