/** Series colours, readable on light and dark backgrounds, assigned by channel so a channel keeps its colour. */
const PALETTE = [
  '#3b82f6', // blue
  '#f97316', // orange
  '#10b981', // green
  '#e11d48', // rose
  '#a855f7', // purple
  '#eab308', // amber
  '#06b6d4', // cyan
  '#ec4899', // pink
  '#84cc16', // lime
  '#8b5cf6', // violet
] as const;

/** Colours by channel id, in id order: a channel created later never changes an older channel's colour. */
export function assignColors(channelIds: Iterable<number>): Map<number, string> {
  const colors = new Map<number, string>();
  [...channelIds]
    .sort((a, b) => a - b)
    .forEach((id, i) => colors.set(id, PALETTE[i % PALETTE.length] as string));
  return colors;
}
