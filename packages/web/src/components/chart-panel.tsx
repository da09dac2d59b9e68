import { useMemo, useState } from 'preact/hooks';
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import type { ChartSeriesDef } from '../chart/chart-controller';
import { defaultSelection, seriesLabel } from '../chart/chart-selection';
import { assignColors } from '../chart/palette';
import { DEFAULT_RANGE, type TimeRange } from '../chart/time-ranges';
import { ChannelPicker } from './channel-picker';
import { LiveChart } from './live-chart';
import { TimeRangePicker } from './time-range-picker';

export interface ChartPanelProps {
  nodes: readonly NodeSummary[];
  channels: readonly ChannelSummary[];
}

/** The trends section: range buttons, the chart and its legend, and the channel picker. */
export function ChartPanel({ nodes, channels }: ChartPanelProps) {
  const [range, setRange] = useState<TimeRange>(DEFAULT_RANGE);
  // null until someone picks channels: then the default selection follows new temperature channels.
  const [picked, setPicked] = useState<ReadonlySet<number> | null>(null);

  const colors = useMemo(() => assignColors(channels.map((c) => c.id)), [channels]);
  const nodeNames = useMemo(() => new Map(nodes.map((n) => [n.name, n.display_name])), [nodes]);
  // Same order as the node cards: nodes by display name, then channels by label.
  const ordered = useMemo(() => {
    const position = new Map(nodes.map((n, i) => [n.name, i]));
    const rank = (c: ChannelSummary): number => position.get(c.node) ?? nodes.length;
    return [...channels].sort((a, b) => rank(a) - rank(b) || a.node.localeCompare(b.node));
  }, [nodes, channels]);
  const selectedIds = useMemo(() => picked ?? new Set(defaultSelection(channels)), [picked, channels]);

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

  const toggle = (id: number, on: boolean): void => {
    const next = new Set(selectedIds);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
  };

  return (
    <section class="panel chart-panel" aria-labelledby="trends-heading">
      <header class="panel__header">
        <h2 id="trends-heading">Trends</h2>
        <TimeRangePicker value={range} onChange={setRange} />
      </header>
      <LiveChart series={series} range={range} />
      <div class="chart-panel__picker">
        <div class="chart-panel__picker-head">
          <h3>Channels on chart</h3>
          {picked !== null && (
            <button type="button" class="link-button" onClick={() => setPicked(null)}>
              Reset to temperatures
            </button>
          )}
        </div>
        <ChannelPicker
          channels={ordered}
          nodeNames={nodeNames}
          selected={selectedIds}
          colors={colors}
          onToggle={toggle}
        />
      </div>
    </section>
  );
}
