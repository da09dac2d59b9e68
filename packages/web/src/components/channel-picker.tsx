import type { ChannelSummary } from '@ma/protocol';

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
  const byNode = new Map<string, ChannelSummary[]>();
  for (const channel of channels) {
    const list = byNode.get(channel.node) ?? [];
    list.push(channel);
    byNode.set(channel.node, list);
  }
  if (byNode.size === 0) return <p class="muted">No channels yet.</p>;
  return (
    <div class="channel-picker">
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
