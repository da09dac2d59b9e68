/**
 * Owns one uPlot instance and the point buffers behind it. Seeds each channel from `/api/v1/readings`, then
 * appends live readings from the WebSocket without refetching, trims points that leave the window, and slides
 * the window with time. Rebuilds the plot only when the set of series (or the theme) changes; live data goes
 * through `setData`. Downsampled series carry a min/max band; a drag selects a window to zoom into.
 */
import uPlot from 'uplot';
import { drawAlertMarkers, type AlertMark } from './alert-markers';
import type { LiveMessage } from '@ma/protocol';
import { getReadings } from '../api/client';
import type { LiveClient } from '../api/live';
import { displayPrefs, displayUnit, formatNumber, toDisplayUnit, uses12HourClock } from '../lib/format';
import { THEME_EVENT } from '../lib/theme';
import { measureLabels, readChartTheme } from './chart-theme';
import { unitRange } from './y-range';
import {
  type AlignedTable,
  type SeriesBuffer,
  alignSeries,
  appendReading,
  bufferFromResponse,
  emptyBuffer,
  trimBefore,
  valueAtOrBefore,
} from './series-buffer';
import { type ChartWindow, DEFAULT_RANGE, relative, windowBounds, windowKey } from './time-ranges';

export interface ChartSeriesDef {
  id: number;
  /** `<node> / <label>` */
  label: string;
  unit: string;
  color: string;
}

export interface LegendState {
  /** hovered time, or null when showing the latest values */
  time: number | null;
  values: ReadonlyMap<number, number | null>;
}

export type ChartStatus =
  | { state: 'loading' | 'ready' }
  | { state: 'error'; message: string };

/** When the last full load of the chart happened (performance.now() ms), for benchmarks and tests. */
export interface ChartTiming {
  /** the window's fetches started */
  fetchStart: number;
  /** the last fetch of the window answered */
  fetchEnd: number | null;
  /** the first draw after every fetch answered */
  renderEnd: number | null;
  /** points drawn then, all series */
  points: number;
}

export interface ChartControllerOptions {
  container: HTMLElement;
  live: LiveClient;
  /** current time on the server's clock (ms) */
  now: () => number;
  onLegend: (legend: LegendState) => void;
  onStatus: (status: ChartStatus) => void;
  /** the user dragged across the plot to select [from, to] */
  onZoom?: (from: number, to: number) => void;
  /** alerts to mark on the plot (alert-markers.ts) */
  markers?: () => readonly AlertMark[];
}

type Reading = { ts: number; v: number };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 24-hour tick labels; increments are in ms because the chart uses ms timestamps (`ms: 1`). */
/** Time axis labels in the user's clock: `14:05` on a 24 h clock, `2:05pm` on a 12 h one. */
function timeTicks(h12: boolean): uPlot.Axis.Values {
  const hm = h12 ? '{h}:{mm}{aa}' : '{HH}:{mm}';
  const hms = h12 ? '{h}:{mm}:{ss}{aa}' : '{HH}:{mm}:{ss}';
  return [
    // increment, default, year, month, day, hour, minute, second, mode
    [365 * DAY, '{YYYY}', null, null, null, null, null, null, 1],
    [28 * DAY, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
    [DAY, '{MMM} {D}', '\n{YYYY}', null, null, null, null, null, 1],
    [HOUR, hm, '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
    [MINUTE, hm, '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
    [SECOND, hms, '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
  ];
}

/** The y range of a unit's axis: fixed or a minimum span where the unit has one (y-range.ts), else fitted. */
export function yRangeFor(unit: string, min: number | null, max: number | null): [number, number] {
  return unitRange(unit, min, max) ?? (uPlot.rangeNum(min as number, max as number, 0.1, true) as [number, number]);
}

export const scaleKeyForUnit = (unit: string): string => `unit:${unit}`;

export function chartHeightFor(width: number): number {
  return Math.round(Math.min(360, Math.max(220, width * 0.42)));
}

function decimalsOf(increment: number): number {
  const text = String(Number(increment.toPrecision(6)));
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export class ChartController {
  private plot: uPlot | null = null;
  private defs: ChartSeriesDef[] = [];
  private window: ChartWindow = relative(DEFAULT_RANGE);
  private timing: ChartTiming = { fetchStart: 0, fetchEnd: null, renderEnd: null, points: 0 };
  private renders = 0;
  private readonly buffers = new Map<number, SeriesBuffer>();
  /** live readings that arrived while the channel's history was being fetched */
  private readonly pending = new Map<number, Reading[]>();
  private readonly errors = new Map<number, string>();
  private generation = 0;
  private abort = new AbortController();
  private table: AlignedTable = [[]];
  private view = { from: 0, to: 1 };
  private width: number;
  private drawFrame: number | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly options: ChartControllerOptions) {
    this.width = Math.max(1, options.container.clientWidth || 800);
  }

  start(): void {
    const { live } = this.options;
    this.cleanups.push(live.subscribe((message) => this.onLive(message)));
    this.cleanups.push(
      live.onState((_state, { reconnected }) => {
        // Readings may have been missed while disconnected: fetch the window again.
        if (reconnected) this.reloadAll();
      }),
    );
    const onTheme = (): void => this.rebuild();
    window.addEventListener(THEME_EVENT, onTheme);
    this.cleanups.push(() => window.removeEventListener(THEME_EVENT, onTheme));
    this.restartTicker();
  }

  destroy(): void {
    this.abort.abort();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.drawFrame !== null) cancelAnimationFrame(this.drawFrame);
    this.plot?.destroy();
    this.plot = null;
  }

  /** How many points the channel's series holds (0 when it is not on the chart). */
  points(channelId: number): number {
    return this.buffers.get(channelId)?.t.length ?? 0;
  }

  channels(): number[] {
    return this.defs.map((d) => d.id);
  }

  /** Timing of the last load of the window (see ChartTiming). */
  lastTiming(): ChartTiming {
    return { ...this.timing };
  }

  /** How many times the plot has been drawn. */
  renderCount(): number {
    return this.renders;
  }

  /** The visible window, ms. */
  visibleWindow(): { from: number; to: number } {
    return { ...this.view };
  }

  setSeries(defs: readonly ChartSeriesDef[]): void {
    const before = new Set(this.defs.map((d) => d.id));
    const wanted = new Set(defs.map((d) => d.id));
    const shapeChanged =
      JSON.stringify(this.defs.map((d) => [d.id, d.unit, d.color])) !==
      JSON.stringify(defs.map((d) => [d.id, d.unit, d.color]));
    this.defs = defs.slice();
    for (const id of before) {
      if (!wanted.has(id)) {
        this.buffers.delete(id);
        this.pending.delete(id);
        this.errors.delete(id);
      }
    }
    for (const def of defs) if (!before.has(def.id)) void this.load(def.id);
    if (shapeChanged) this.rebuild();
    this.reportStatus();
  }

  setWindow(next: ChartWindow): void {
    if (windowKey(next) === windowKey(this.window)) return;
    this.window = next;
    this.reloadAll();
    this.restartTicker();
  }

  resize(width: number): void {
    const w = Math.max(1, Math.floor(width));
    if (w === this.width && this.plot !== null) return;
    this.width = w;
    this.plot?.setSize({ width: w, height: chartHeightFor(w) });
  }

  private reloadAll(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.generation += 1;
    this.buffers.clear();
    this.pending.clear();
    this.errors.clear();
    this.timing = { fetchStart: performance.now(), fetchEnd: null, renderEnd: null, points: 0 };
    for (const def of this.defs) void this.load(def.id);
    this.scheduleDraw();
  }

  private async load(channel: number): Promise<void> {
    const generation = this.generation;
    const win = this.window;
    this.pending.set(channel, []);
    this.errors.delete(channel);
    this.reportStatus();
    const { from, to } = windowBounds(win, this.options.now());
    try {
      const response = await getReadings({ channel, from, to, points: Math.max(60, this.width) }, this.abort.signal);
      if (generation !== this.generation || !this.pending.has(channel)) return;
      const buffer = bufferFromResponse(response, win.kind === 'relative' && win.range.live ? 'raw' : 'bucketed');
      for (const r of this.pending.get(channel) ?? []) appendReading(buffer, r.ts, r.v);
      this.buffers.set(channel, buffer);
    } catch (error) {
      if (generation !== this.generation || !this.pending.has(channel)) return;
      // Keep charting live readings even though history failed.
      const buffer = emptyBuffer(0);
      for (const r of this.pending.get(channel) ?? []) appendReading(buffer, r.ts, r.v);
      this.buffers.set(channel, buffer);
      this.errors.set(channel, error instanceof Error ? error.message : String(error));
    }
    this.pending.delete(channel);
    if (this.pending.size === 0 && this.timing.fetchEnd === null) this.timing.fetchEnd = performance.now();
    this.reportStatus();
    this.scheduleDraw();
  }

  private onLive(message: LiveMessage): void {
    if (message.type !== 'readings') return;
    // A fixed window (custom, zoomed, panned) shows the past: only readings inside it belong there.
    const fixed = this.window.kind === 'fixed' ? this.window : null;
    let changed = false;
    for (const r of message.readings) {
      if (fixed !== null && (r.ts < fixed.from || r.ts >= fixed.to)) continue;
      const waiting = this.pending.get(r.channel);
      if (waiting !== undefined) {
        waiting.push({ ts: r.ts, v: r.v });
        continue;
      }
      const buffer = this.buffers.get(r.channel);
      if (buffer === undefined) continue;
      appendReading(buffer, r.ts, r.v);
      changed = true;
    }
    if (changed) this.scheduleDraw();
  }

  private restartTicker(): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    if (this.window.kind !== 'relative') return;
    // Slide the window about one pixel at a time, at most once a second.
    const every = Math.min(MINUTE, Math.max(SECOND, this.window.range.ms / Math.max(1, this.width)));
    this.tickTimer = setInterval(() => this.scheduleDraw(), every);
  }

  /** Draw again soon (e.g. the alert markers changed). */
  redraw(): void {
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.drawFrame !== null) return;
    this.drawFrame = requestAnimationFrame(() => {
      this.drawFrame = null;
      this.draw();
    });
  }

  /** Slide the window to now, trim what left it, and align the buffers into the table uPlot draws. */
  private prepareTable(): void {
    const { from, to } = windowBounds(this.window, this.options.now());
    this.view = { from, to };
    if (this.window.kind === 'relative') for (const buffer of this.buffers.values()) trimBefore(buffer, from);
    this.table = alignSeries(
      this.defs.map((d) => this.buffers.get(d.id)),
      true,
    );
    this.toDisplayUnits();
  }

  /** °C series in °F for a user who reads °F: the table's columns are fresh arrays, converted in place. */
  private toDisplayUnits(): void {
    const n = this.defs.length;
    this.defs.forEach((d, s) => {
      if (displayUnit(d.unit) === d.unit) return;
      for (const col of [s + 1, 1 + n + 2 * s, 2 + n + 2 * s]) {
        const values = this.table[col] as Array<number | null | undefined> | undefined;
        if (values) for (let i = 0; i < values.length; i++) if (typeof values[i] === 'number') values[i] = toDisplayUnit(values[i] as number, d.unit).value;
      }
    });
  }

  private draw(): void {
    this.prepareTable();
    this.plot?.setData(this.table as uPlot.AlignedData);
    this.emitLegend(this.plot?.cursor.idx ?? null);
  }

  /** uPlot's draw hook: counts renders and closes the load timing once every fetch has answered. */
  private onDrawn(): void {
    this.renders += 1;
    if (this.timing.fetchEnd !== null && this.timing.renderEnd === null && this.pending.size === 0) {
      this.timing.renderEnd = performance.now();
      this.timing.points = (this.table[0]?.length ?? 0) * this.defs.length;
    }
  }

  private rebuild(): void {
    this.plot?.destroy();
    this.plot = null;
    if (this.defs.length > 0) {
      // The table must have one column per series of the new plot.
      this.prepareTable();
      this.plot = new uPlot(this.buildOptions(), this.table as uPlot.AlignedData, this.options.container);
    }
    this.emitLegend(null);
  }

  private buildOptions(): uPlot.Options {
    const theme = readChartTheme();
    const units = [...new Set(this.defs.map((d) => displayUnit(d.unit)))];
    const scales: uPlot.Scales = {
      x: { time: true, range: () => [this.view.from, this.view.to] },
    };
    for (const unit of units) scales[scaleKeyForUnit(unit)] = { auto: true, range: (_u, min, max) => yRangeFor(unit, min, max) };
    const timeZone = displayPrefs().timeZone;

    const yAxes: uPlot.Axis[] = units.map((unit, i) => ({
      scale: scaleKeyForUnit(unit),
      side: i === 0 ? 3 : 1,
      stroke: theme.axis,
      font: theme.font,
      gap: 6,
      grid: { show: i === 0, stroke: theme.grid, width: 1 },
      ticks: { show: false },
      values: (_u, splits, _axis, _space, increment) => {
        const digits = decimalsOf(increment);
        return splits.map((v) => (v === null || v === undefined ? '' : `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`));
      },
      size: (_u, values) => Math.ceil(measureLabels(values ?? [], theme.font)) + 16,
    }));

    return {
      width: this.width,
      height: chartHeightFor(this.width),
      ms: 1,
      ...(timeZone ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts), timeZone) } : {}),
      legend: { show: false },
      // Room on the right for half of the last time label ("04:00"), unless a right-hand y axis gives it.
      padding: [12, units.length > 1 ? 8 : 28, 0, 4],
      cursor: {
        // Drag across the plot to zoom: the panel turns the selection into a fixed window (and a URL).
        drag: { x: true, y: false, setScale: false },
        points: { size: 8, width: 2 },
      },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales,
      axes: [
        {
          stroke: theme.axis,
          font: theme.font,
          grid: { stroke: theme.grid, width: 1 },
          ticks: { show: false },
          values: timeTicks(uses12HourClock()),
          space: 60,
        },
        ...yAxes,
      ],
      series: [
        {},
        ...this.defs.map((d) => ({
          label: d.label,
          scale: scaleKeyForUnit(displayUnit(d.unit)),
          stroke: d.color,
          width: 2,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatNumber(v)),
        })),
        // Min and max of each series: invisible lines that bound its band.
        ...this.defs.flatMap((d) =>
          ['min', 'max'].map((which) => ({
            label: `${d.label} ${which}`,
            scale: scaleKeyForUnit(displayUnit(d.unit)),
            stroke: 'transparent',
            width: 0,
            spanGaps: false,
            points: { show: false },
          })),
        ),
      ],
      bands: this.defs.map((d, s) => ({
        series: [1 + this.defs.length + 2 * s + 1, 1 + this.defs.length + 2 * s] as [number, number],
        fill: `${d.color}2e`,
      })),
      hooks: {
        setCursor: [(u) => this.emitLegend(u.cursor.idx ?? null)],
        draw: [() => this.onDrawn(), (u) => drawAlertMarkers(u, this.options.markers?.() ?? [], this.options.now())],
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < 4) return;
            const from = u.posToVal(left, 'x');
            const to = u.posToVal(left + width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            // Below a minute there is nothing more to see: raw readings are seconds apart at best.
            if (to - from >= MINUTE) this.options.onZoom?.(Math.round(from), Math.round(to));
          },
        ],
      },
    };
  }

  private emitLegend(idx: number | null): void {
    const values = new Map<number, number | null>();
    const xs = this.table[0];
    if (idx !== null && idx >= 0 && idx < xs.length) {
      this.defs.forEach((d, s) => values.set(d.id, valueAtOrBefore(this.table[s + 1] ?? [], idx)));
      this.options.onLegend({ time: xs[idx] ?? null, values });
      return;
    }
    for (const d of this.defs) {
      const buffer = this.buffers.get(d.id);
      values.set(d.id, buffer !== undefined && buffer.avg.length > 0 ? (buffer.avg[buffer.avg.length - 1] as number) : null);
    }
    this.options.onLegend({ time: null, values });
  }

  private reportStatus(): void {
    if (this.pending.size > 0) {
      this.options.onStatus({ state: 'loading' });
      return;
    }
    const firstError = this.errors.values().next();
    this.options.onStatus(firstError.done ? { state: 'ready' } : { state: 'error', message: firstError.value });
  }
}
