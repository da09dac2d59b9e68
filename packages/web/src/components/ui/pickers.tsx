/**
 * Pickers for the things rules, silences, grants and charts point at: nodes, channels (by key), channel
 * labels and node tags. Their options come from the dashboard store (what this user may see), so a picker
 * never offers a node the user cannot view.
 */
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { useMemo } from 'preact/hooks';
import { useDashboard } from '../../state/services';
import { SearchPicker, type PickerOption, type SearchPickerProps } from './search-picker';

type PickerBase = Omit<SearchPickerProps, 'options'>;

export function nodeOptions(nodes: readonly NodeSummary[]): PickerOption[] {
  return [...nodes]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => ({ value: n.name, label: n.display_name || n.name, hint: [n.display_name && n.display_name !== n.name ? n.name : '', n.online ? 'online' : 'offline'].filter(Boolean).join(' · ') }));
}

/** Channel keys (`sim/fridge`), on one node or (without `node`) on any, labelled with their human label. */
export function channelKeyOptions(channels: readonly ChannelSummary[], node?: string): PickerOption[] {
  const byKey = new Map<string, { labels: Set<string>; nodes: Set<string>; unit: string }>();
  for (const c of channels) {
    if (node && c.node !== node) continue;
    const entry = byKey.get(c.key) ?? { labels: new Set(), nodes: new Set(), unit: c.unit };
    entry.labels.add(c.label);
    entry.nodes.add(c.node);
    byKey.set(c.key, entry);
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, e]) => ({
      value: key,
      label: [...e.labels].join(', '),
      hint: [key, e.unit, node ? '' : e.nodes.size === 1 ? [...e.nodes][0] : `${e.nodes.size} nodes`].filter(Boolean).join(' · '),
    }));
}

/** Distinct channel labels ("Freezer −20"), with how many channels carry each. */
export function labelOptions(channels: readonly ChannelSummary[]): PickerOption[] {
  const count = new Map<string, number>();
  for (const c of channels) count.set(c.label, (count.get(c.label) ?? 0) + 1);
  return [...count.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, n]) => ({ value: label, label, hint: n === 1 ? '1 channel' : `${n} channels` }));
}

export function NodePicker(props: PickerBase) {
  const { nodes } = useDashboard();
  const options = useMemo(() => nodeOptions(nodes), [nodes]);
  return <SearchPicker {...props} options={options} />;
}

export function ChannelKeyPicker({ node, ...props }: PickerBase & { node?: string }) {
  const { channels } = useDashboard();
  const options = useMemo(() => channelKeyOptions(channels, node || undefined), [channels, node]);
  return <SearchPicker {...props} options={options} />;
}

export function LabelPicker(props: PickerBase) {
  const { channels } = useDashboard();
  const options = useMemo(() => labelOptions(channels), [channels]);
  return <SearchPicker allowCustom {...props} options={options} />;
}

/** Node tags: the known ones offered, a new one accepted (a grant or rule may name a tag before any node has it). */
export function TagPicker({ tags, ...props }: PickerBase & { tags: readonly string[] }) {
  const options = useMemo(() => [...new Set(tags)].sort().map((t) => ({ value: t, label: t })), [tags]);
  return <SearchPicker allowCustom {...props} options={options} />;
}
