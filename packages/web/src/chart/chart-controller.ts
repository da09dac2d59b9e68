/**
 * Owns one uPlot instance and the point buffers behind it. Seeds each channel from `/api/v1/readings`, then
 * appends live readings from the WebSocket without refetching, trims points that leave the window, and slides
 * the window with time. Rebuilds the plot only when the set of series (or the theme) changes.
 */
import uPlot from 'uplot';
import type { LiveMessage } from '@ma/protocol';
import { getReadings } from '../api/client';
import type { LiveClient } from '../api/live';
import { formatNumber } from '../lib/format';
import { darkSchemeQuery, measureLabels, readChartTheme } from './chart-theme';
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
import { DEFAULT_RANGE, type TimeRange } from './time-ranges';

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

export interface ChartControllerOptions {
  container: HTMLElement;
  live: LiveClient;
  /** current time on the server's clock (ms) */
  now: () => number;
  onLegend: (legend: LegendState) => void;
  onStatus: (status: ChartStatus) => void;
}

type Reading = { ts: number; v: number };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 24-hour tick labels; increments are in ms because the chart uses ms timestamps (`ms: 1`). */
const TIME_TICKS: uPlot.Axis.Values = [
  // increment, default, year, month, day, hour, minute, second, mode
  [365 * DAY, '{YYYY}', null, null, null, null, null, null, 1],
  [28 * DAY, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [DAY, '{MMM} {D}', '\n{YYYY}', null, null, null, null, null, 1],
  [HOUR, '{HH}:{mm}', '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
  [MINUTE, '{HH}:{mm}', '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
  [SECOND, '{HH}:{mm}:{ss}', '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
];

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
  private range: TimeRange = DEFAULT_RANGE;
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
    const scheme = darkSchemeQuery();
    const onScheme = (): void => this.rebuild();
    scheme.addEventListener('change', onScheme);
    this.cleanups.push(() => scheme.removeEventListener('change', onScheme));
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

  setRange(range: TimeRange): void {
    if (range.key === this.range.key) return;
    this.range = range;
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
    for (const def of this.defs) void this.load(def.id);
    this.scheduleDraw();
  }

  private async load(channel: number): Promise<void> {
    const generation = this.generation;
    const range = this.range;
    this.pending.set(channel, []);
    this.errors.delete(channel);
    this.reportStatus();
    const to = this.options.now();
    try {
      const response = await getReadings(
        { channel, from: to - range.ms, to, points: Math.max(60, this.width) },
        this.abort.signal,
      );
      if (generation !== this.generation || !this.pending.has(channel)) return;
      const buffer = bufferFromResponse(response, range.live ? 'raw' : 'bucketed');
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
    this.reportStatus();
    this.scheduleDraw();
  }

  private onLive(message: LiveMessage): void {
    if (message.type !== 'readings') return;
    let changed = false;
    for (const r of message.readings) {
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
    // Slide the window about one pixel at a time, at most once a second.
    const every = Math.min(MINUTE, Math.max(SECOND, this.range.ms / Math.max(1, this.width)));
    this.tickTimer = setInterval(() => this.scheduleDraw(), every);
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
    const to = this.options.now();
    const from = to - this.range.ms;
    this.view = { from, to };
    for (const buffer of this.buffers.values()) trimBefore(buffer, from);
    this.table = alignSeries(this.defs.map((d) => this.buffers.get(d.id)));
  }

  private draw(): void {
    this.prepareTable();
    this.plot?.setData(this.table as uPlot.AlignedData);
    this.emitLegend(this.plot?.cursor.idx ?? null);
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
    const units = [...new Set(this.defs.map((d) => d.unit))];
    const scales: uPlot.Scales = {
      x: { time: true, range: () => [this.view.from, this.view.to] },
    };
    for (const unit of units) scales[scaleKeyForUnit(unit)] = { auto: true };

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
      legend: { show: false },
      padding: [12, 8, 0, 4],
      cursor: {
        drag: { x: false, y: false, setScale: false },
        points: { size: 8, width: 2 },
      },
      scales,
      axes: [
        {
          stroke: theme.axis,
          font: theme.font,
          grid: { stroke: theme.grid, width: 1 },
          ticks: { show: false },
          values: TIME_TICKS,
          space: 60,
        },
        ...yAxes,
      ],
      series: [
        {},
        ...this.defs.map((d) => ({
          label: d.label,
          scale: scaleKeyForUnit(d.unit),
          stroke: d.color,
          width: 2,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatNumber(v)),
        })),
      ],
      hooks: {
        setCursor: [(u) => this.emitLegend(u.cursor.idx ?? null)],
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
