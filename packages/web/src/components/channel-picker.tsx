import type { ChannelSummary } from '@ma/protocol';
import { useState } from 'preact/hooks';

export interface ChannelPickerProps {
  channels: readonly ChannelSummary[];
  /** display names by node name */
  nodeNames: ReadonlyMap<string, string>;
  selected: ReadonlySet<number>;
  colors: ReadonlyMap<number, string>;
  onToggle: (channelId: number, on: boolean) => void;
}

/** Checkboxes that choose the charted channels, grouped by node. */
export function ChannelPicker({ channels, nodeNames, selected, colors, onToggle }: ChannelPickerProps) {
  const [query, setQuery] = useState('');
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (c: ChannelSummary): boolean => {
    const text = `${nodeNames.get(c.node) ?? ''} ${c.node} ${c.label} ${c.key} ${c.unit}`.toLowerCase();
    return words.every((w) => text.includes(w));
  };
  const byNode = new Map<string, ChannelSummary[]>();
  for (const channel of channels) {
    if (!matches(channel)) continue;
    const list = byNode.get(channel.node) ?? [];
    list.push(channel);
    byNode.set(channel.node, list);
  }
  if (channels.length === 0) return <p class="muted">No channels yet.</p>;
  return (
    <div class="channel-picker">
      <div class="channel-picker__search">
        <svg class="picker__icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6" />
          <path d="m10.5 10.5 3 3" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
        </svg>
        <input
          type="search"
          class="input"
          placeholder="Filter by node, label, key or unit"
          aria-label="Filter channels"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          data-testid="chart-channel-filter"
        />
      </div>
      {byNode.size === 0 && <p class="muted">No channel matches “{query.trim()}”.</p>}
      {[...byNode].map(([node, list]) => (
        <fieldset key={node} class="channel-picker__group">
          <legend>{nodeNames.get(node) ?? node}</legend>
          {list.map((channel) => {
            const on = selected.has(channel.id);
            return (
              <label key={channel.id} class="channel-picker__option">
                <input
                  type="checkbox"
                  class="checkbox"
                  checked={on}
                  data-testid="chart-channel-toggle"
                  data-channel={channel.id}
                  onChange={(event) => onToggle(channel.id, event.currentTarget.checked)}
                />
                <span
                  class="channel-picker__swatch"
                  style={{ background: on ? colors.get(channel.id) : 'transparent', borderColor: colors.get(channel.id) }}
                  aria-hidden="true"
                />
                <span>{channel.label}</span>
                {channel.unit !== '' && <span class="muted">{channel.unit}</span>}
              </label>
            );
          })}
        </fieldset>
      ))}
    </div>
  );
}
