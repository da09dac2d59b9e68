import { formatDateTime } from '../lib/format';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { readingsCsvUrl } from '../api/client';
import type { ChartSeriesDef } from '../chart/chart-controller';
import { defaultSelection, seriesLabel } from '../chart/chart-selection';
import type { ChartUrlState } from '../chart/chart-url';
import { assignColors } from '../chart/palette';
import { type TimeRange, panWindow, windowBounds } from '../chart/time-ranges';
import { useServices } from '../state/services';
import { ChannelPicker } from './channel-picker';
import { LiveChart } from './live-chart';
import { TimeRangePicker } from './time-range-picker';

export interface ChartPanelProps {
  nodes: readonly NodeSummary[];
  channels: readonly ChannelSummary[];
  state: ChartUrlState;
  /** `replace`: the change should not add a history entry */
  onChange: (state: ChartUrlState, options?: { replace?: boolean }) => void;
  /** extra controls in the toolbar (saved views) */
  toolbar?: preact.ComponentChildren;
}

function describeWindow(state: ChartUrlState): string {
  if (state.window.kind === 'relative') return state.window.range.title.toLowerCase();
  return `${formatDateTime(state.window.from)} to ${formatDateTime(state.window.to)}`;
}

/** Range picker, pan and zoom, the chart with its legend, CSV export, and the channel picker. */
export function ChartPanel({ nodes, channels, state, onChange, toolbar }: ChartPanelProps) {
  const { store } = useServices();
  // The relative range a zoom or pan started from: "Back to live" returns to it.
  const [home, setHome] = useState<TimeRange | null>(state.window.kind === 'relative' ? state.window.range : null);
  // Back/forward can land on a relative range too: it becomes the new home.
  useEffect(() => {
    if (state.window.kind === 'relative') setHome(state.window.range);
  }, [state.window.kind === 'relative' ? state.window.range.key : null]);
  const selectedIds = useMemo(() => new Set(state.channels ?? defaultSelection(channels)), [state.channels, channels]);
  // Charted series take the palette in order, so two series never share a colour; the rest keep theirs.
  const colors = useMemo(() => {
    const all = assignColors(channels.map((c) => c.id));
    for (const [id, color] of assignColors(selectedIds)) all.set(id, color);
    return all;
  }, [channels, selectedIds]);
  const nodeNames = useMemo(() => new Map(nodes.map((n) => [n.name, n.display_name])), [nodes]);
  const ordered = useMemo(() => {
    const position = new Map(nodes.map((n, i) => [n.name, i]));
    const rank = (c: ChannelSummary): number => position.get(c.node) ?? nodes.length;
    return [...channels].sort((a, b) => rank(a) - rank(b) || a.node.localeCompare(b.node));
  }, [nodes, channels]);

  const seriesKey = ordered
    .filter((c) => selectedIds.has(c.id))
    .map((c) => `${c.id}\u0000${c.node}\u0000${c.label}\u0000${c.unit}\u0000${colors.get(c.id) ?? ''}`)
    .join('\u0001');
  // Stable identity while the charted channels' names and units stay the same (live values change often).
  const series = useMemo<ChartSeriesDef[]>(
    () =>
      ordered
        .filter((c) => selectedIds.has(c.id))
        .map((c) => ({ id: c.id, label: seriesLabel(c), unit: c.unit, color: colors.get(c.id) ?? '#888' })),
    [seriesKey], // captures everything the series depend on
  );

  const setWindow = (window: ChartUrlState['window'], replace = false): void => {
    onChange({ ...state, window }, { replace });
  };
  const toggle = (id: number, on: boolean): void => {
    const next = new Set(selectedIds);
    if (on) next.add(id);
    else next.delete(id);
    onChange({ ...state, channels: ordered.filter((c) => next.has(c.id)).map((c) => c.id) }, { replace: true });
  };
  const pan = (fraction: number): void => onChange({ ...state, window: panWindow(state.window, fraction, store.serverNow(), home) });

  const csvHref = (raw: boolean): string => {
    const { from, to } = windowBounds(state.window, store.serverNow());
    return readingsCsvUrl({ channels: series.map((s) => s.id), from, to, raw, points: 1000 });
  };
  // The window of a live range moves: compute the link when it is clicked.
  const refreshHref = (raw: boolean) => (event: MouseEvent) => {
    (event.currentTarget as HTMLAnchorElement).href = csvHref(raw);
  };

  return (
    <section class="panel chart-panel" aria-labelledby="trends-heading">
      <header class="panel__header chart-panel__toolbar">
        <h2 id="trends-heading" class="sr-only">
          Chart
        </h2>
        <TimeRangePicker value={state.window} onChange={(w) => setWindow(w)} />
        <div class="chart-panel__nav" role="group" aria-label="Move in time">
          <button type="button" class="button button--icon" data-testid="chart-pan-back" title="Earlier" aria-label="Earlier" onClick={() => pan(-0.5)}>
            ‹
          </button>
          <button type="button" class="button button--icon" data-testid="chart-pan-forward" title="Later" aria-label="Later" onClick={() => pan(0.5)} disabled={state.window.kind === 'relative'}>
            ›
          </button>
          {state.window.kind === 'fixed' && home !== null && (
            <button type="button" class="button" data-testid="chart-back-to-live" onClick={() => setWindow({ kind: 'relative', range: home })}>
              Back to {home.label}
            </button>
          )}
        </div>
        <div class="chart-panel__export">
          <a class="button" href={csvHref(false)} onClick={refreshHref(false)} download="" data-testid="chart-csv" title="The chart's points: min, max and average per bucket">
            CSV
          </a>
          <a class="button button--ghost" href={csvHref(true)} onClick={refreshHref(true)} download="" data-testid="chart-csv-raw" title="Every stored reading in the window">
            Raw CSV
          </a>
        </div>
        {toolbar}
      </header>
      <LiveChart
        series={series}
        window={state.window}
        description={describeWindow(state)}
        onZoom={(from, to) => onChange({ ...state, window: { kind: 'fixed', from, to } })}
      />
      <p class="chart-panel__hint muted">Drag across the chart to zoom; ‹ › move in time. Shaded bands show the min–max of each bucket.</p>
      <div class="chart-panel__picker">
        <div class="chart-panel__picker-head">
          <h3>Channels on chart</h3>
          {state.channels !== null && (
            <button type="button" class="link-button" onClick={() => onChange({ ...state, channels: null }, { replace: true })}>
              Reset to temperatures
            </button>
          )}
        </div>
        <ChannelPicker channels={ordered} nodeNames={nodeNames} selected={selectedIds} colors={colors} onToggle={toggle} />
      </div>
    </section>
  );
}
