/**
 * Y ranges where a unit has natural bounds, so a small change is not drawn as a spike: percentages always
 * 0–100 (wider only if a value falls outside), and a minimum span for units that drift by small amounts
 * (Wi-Fi dBm, temperatures). Null: let the chart fit the data.
 */
const FIXED_RANGE: Record<string, [number, number]> = { '%': [0, 100] };
const MIN_SPAN: Record<string, number> = { dBm: 30, '°C': 4, '°F': 8 };

export function unitRange(unit: string, min: number | null, max: number | null): [number, number] | null {
  const fixed = FIXED_RANGE[unit];
  if (fixed) return [Math.min(fixed[0], min ?? fixed[0]), Math.max(fixed[1], max ?? fixed[1])];
  if (min === null || max === null) return [0, 1];
  const span = MIN_SPAN[unit];
  if (span !== undefined && max - min < span) {
    const mid = (min + max) / 2;
    return [Math.floor(mid - span / 2), Math.ceil(mid + span / 2)];
  }
  // A flat series gets a sensible span instead of ticks in the fifth decimal.
  if (max - min < 1e-6 * Math.max(1, Math.abs(max))) return [min - 1, max + 1];
  return null;
}
