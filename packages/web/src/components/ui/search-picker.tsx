/**
 * A searchable picker (ARIA combobox with a listbox): type to filter, ↑/↓ to move, Enter to pick, Escape to
 * close. It holds a value (e.g. a node name); the list shows each option's label and a hint. With
 * `allowCustom` a typed value that matches no option is kept too (a tag not used yet, a new label).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';

export interface PickerOption {
  value: string;
  label: string;
  /** a muted second line: where it is, its unit, its current value */
  hint?: string;
  /** groups the list ("lab-fridge", "cold-room") */
  group?: string;
}

export interface SearchPickerProps {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  options: readonly PickerOption[];
  placeholder?: string;
  hint?: ComponentChildren;
  error?: string | null;
  allowCustom?: boolean;
  /** what an empty value means, shown as the first option ("any node") */
  emptyLabel?: string;
  testid?: string;
  width?: 'auto' | 'fill' | 'narrow';
  required?: boolean;
}

const MAX_SHOWN = 50;

export function filterOptions(options: readonly PickerOption[], query: string): PickerOption[] {
  const q = query.trim().toLowerCase();
  if (q === '') return options.slice(0, MAX_SHOWN);
  const words = q.split(/\s+/);
  return options.filter((o) => {
    const text = `${o.value} ${o.label} ${o.hint ?? ''} ${o.group ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  }).slice(0, MAX_SHOWN);
}

export function SearchPicker({ label, value, onValue, options, placeholder, hint, error, allowCustom = false, emptyLabel, testid, width = 'fill', required }: SearchPickerProps) {
  const id = useId();
  const listId = `${id}-list`;
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const shown = useMemo(() => {
    const list = filterOptions(options, query ?? '');
    return emptyLabel !== undefined && (query ?? '') === '' ? [{ value: '', label: emptyLabel }, ...list] : list;
  }, [options, query, emptyLabel]);
  useEffect(() => setActive(0), [query, open]);

  const commit = (v: string) => {
    onValue(v);
    setQuery(null);
    setOpen(false);
  };
  const leave = () => {
    if (query !== null) {
      const typed = query.trim();
      const exact = options.find((o) => o.value === typed || o.label.toLowerCase() === typed.toLowerCase());
      if (exact) onValue(exact.value);
      else if (allowCustom || typed === '') onValue(typed);
    }
    setQuery(null);
    setOpen(false);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (!open) setOpen(true);
      else setActive((a) => Math.min(shown.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === 'Enter' && open) {
      const pick = shown[active];
      if (pick) {
        e.preventDefault();
        commit(pick.value);
      } else if (allowCustom) {
        e.preventDefault();
        commit((query ?? '').trim());
      }
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      setQuery(null);
      setOpen(false);
    }
  };
  const selected = options.find((o) => o.value === value);
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error ? `${id}-error` : undefined;
  const optionId = (i: number) => `${id}-opt-${i}`;

  return (
    <div class={`field field--${width}${error ? ' field--invalid' : ''} picker`} data-testid={testid ? `${testid}-picker` : undefined}>
      <label class="field__label" for={id}>
        {label}
      </label>
      <div class="picker__box">
        <svg class="picker__icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6" />
          <path d="m10.5 10.5 3 3" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
        </svg>
        <input
          ref={input}
          id={id}
          class="input picker__input"
          type="text"
          role="combobox"
          autocomplete="off"
          spellcheck={false}
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && shown[active] ? optionId(active) : undefined}
          aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
          aria-invalid={error ? true : undefined}
          required={required}
          placeholder={placeholder ?? (emptyLabel !== undefined ? emptyLabel : 'Search…')}
          data-testid={testid}
          value={query ?? value}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onClick={() => setOpen(true)}
          onBlur={leave}
          onKeyDown={onKeyDown}
        />
        {selected && query === null && selected.label !== selected.value && <span class="picker__selected-label">{selected.label}</span>}
        {value !== '' && (
          <button
            type="button"
            class="picker__clear"
            aria-label="Clear"
            tabIndex={-1}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => {
              commit('');
              input.current?.focus();
            }}
          >
            ×
          </button>
        )}
      </div>
      <ul class="picker__list" id={listId} role="listbox" hidden={!open} aria-label={typeof label === 'string' ? label : undefined}>
        {shown.length === 0 ? (
          <li class="picker__none" role="presentation">
            {allowCustom && (query ?? '').trim() !== '' ? `Press Enter to use “${(query ?? '').trim()}”` : 'No match'}
          </li>
        ) : (
          shown.map((o, i) => {
            const groupStart = o.group !== undefined && o.group !== shown[i - 1]?.group;
            return (
              <li
                key={`${o.group ?? ''}:${o.value}`}
                id={optionId(i)}
                role="option"
                aria-selected={o.value === value}
                class={`picker__option${i === active ? ' is-active' : ''}${groupStart ? ' picker__option--group-start' : ''}`}
                data-testid="picker-option"
                data-value={o.value}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => commit(o.value)}
                onMouseEnter={() => setActive(i)}
              >
                {groupStart && <span class="picker__group">{o.group}</span>}
                <span class="picker__option-label">{o.label}</span>
                {o.hint !== undefined && <span class="picker__option-hint">{o.hint}</span>}
              </li>
            );
          })
        )}
      </ul>
      {hint !== undefined && (
        <p class="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
