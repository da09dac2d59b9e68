import type { ChannelSummary } from '@ma/protocol';

/** The unit whose channels the chart shows until someone picks channels. */
export const DEFAULT_CHART_UNIT = '°C';

/** Every temperature channel of every node; failing that, the first sensor, so the chart is never empty by default. */
export function defaultSelection(channels: readonly ChannelSummary[]): number[] {
  const temperatures = channels.filter((c) => c.unit === DEFAULT_CHART_UNIT);
  if (temperatures.length > 0) return temperatures.map((c) => c.id);
  const firstSensor = channels.find((c) => c.kind === 'sensor');
  return firstSensor === undefined ? [] : [firstSensor.id];
}

/** `<node> / <label>`, the series name in the legend. */
export function seriesLabel(channel: ChannelSummary): string {
  return `${channel.node} / ${channel.label}`;
}
