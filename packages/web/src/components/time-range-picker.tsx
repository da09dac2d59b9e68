import { useEffect, useState } from 'preact/hooks';
import { TIME_RANGES, type ChartWindow } from '../chart/time-ranges';

export interface TimeRangePickerProps {
  value: ChartWindow;
  onChange: (window: ChartWindow) => void;
}

/** `datetime-local` value (local time, minutes) for ms. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Segmented buttons for the relative ranges (15 min is live), and a custom from/to. */
export function TimeRangePicker({ value, onChange }: TimeRangePickerProps) {
  const [custom, setCustom] = useState(value.kind === 'fixed');
  const now = Date.now();
  const [from, setFrom] = useState(toLocalInput(value.kind === 'fixed' ? value.from : now - 86_400_000));
  const [to, setTo] = useState(toLocalInput(value.kind === 'fixed' ? value.to : now));
  useEffect(() => {
    if (value.kind !== 'fixed') return;
    setFrom(toLocalInput(value.from));
    setTo(toLocalInput(value.to));
  }, [value]);
  const f = Date.parse(from);
  const t = Date.parse(to);
  const valid = Number.isFinite(f) && Number.isFinite(t) && f < t;

  return (
    <div class="range-picker">
      <div class="segmented" role="group" aria-label="Time range">
        {TIME_RANGES.map((range) => (
          <button
            key={range.key}
            type="button"
            class="segmented__button"
            aria-pressed={value.kind === 'relative' && range.key === value.range.key}
            title={range.title}
            data-testid="chart-range"
            data-range={range.key}
            onClick={() => {
              setCustom(false);
              onChange({ kind: 'relative', range });
            }}
          >
            {range.live && <span class="live-dot" aria-hidden="true" />}
            {range.label}
          </button>
        ))}
        <button
          type="button"
          class="segmented__button"
          aria-pressed={value.kind === 'fixed'}
          aria-expanded={custom}
          data-testid="chart-range"
          data-range="custom"
          onClick={() => setCustom(!custom)}
        >
          Custom
        </button>
      </div>
      {custom && (
        <form
          class="range-picker__custom"
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) onChange({ kind: 'fixed', from: f, to: t });
          }}
        >
          <label>
            From <input type="datetime-local" class="input" value={from} max={to} onInput={(e) => setFrom(e.currentTarget.value)} data-testid="chart-from" />
          </label>
          <label>
            To <input type="datetime-local" class="input" value={to} min={from} onInput={(e) => setTo(e.currentTarget.value)} data-testid="chart-to" />
          </label>
          <button type="submit" class="button button--primary" disabled={!valid}>
            Show
          </button>
          {!valid && <span class="field-error">“From” must be before “To”.</span>}
        </form>
      )}
    </div>
  );
}
