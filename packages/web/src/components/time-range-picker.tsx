import { TIME_RANGES, type TimeRange } from '../chart/time-ranges';

export interface TimeRangePickerProps {
  value: TimeRange;
  onChange: (range: TimeRange) => void;
}

/** Segmented buttons: 15 min (live), 1 h, 24 h, 7 d. */
export function TimeRangePicker({ value, onChange }: TimeRangePickerProps) {
  return (
    <div class="segmented" role="group" aria-label="Time range">
      {TIME_RANGES.map((range) => (
        <button
          key={range.key}
          type="button"
          class="segmented__button"
          aria-pressed={range.key === value.key}
          title={range.title}
          data-testid="chart-range"
          data-range={range.key}
          onClick={() => onChange(range)}
        >
          {range.live && <span class="live-dot" aria-hidden="true" />}
          {range.label}
        </button>
      ))}
    </div>
  );
}
