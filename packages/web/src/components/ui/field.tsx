/**
 * Form fields: a visible label above the control, an optional hint, and an inline error tied to the control
 * with `aria-describedby` / `aria-invalid`, so a screen reader hears what is wrong where it is wrong.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

interface FieldChrome {
  label: ComponentChildren;
  hint?: ComponentChildren;
  /** shown under the control in the danger colour; marks the control invalid */
  error?: string | null;
  /** grows to fill a row of fields (default), or keeps to its content */
  width?: 'auto' | 'fill' | 'narrow';
}

export interface FieldIds {
  id: string;
  describedBy: string | undefined;
  invalid: boolean;
}

/** Label + control + hint + error. `children` receives the ids to put on the control. */
export function Field({ label, hint, error, width = 'fill', children }: FieldChrome & { children: (ids: FieldIds) => ComponentChildren }) {
  const id = useId();
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field field--${width}${error ? ' field--invalid' : ''}`}>
      <label class="field__label" for={id}>
        {label}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
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

type InputAttrs = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'label'>;

export type TextFieldProps = FieldChrome &
  InputAttrs & {
    value: string;
    onValue: (value: string) => void;
    type?: 'text' | 'password' | 'number' | 'email' | 'url' | 'search' | 'datetime-local';
  };

export function TextField({ label, hint, error, width, value, onValue, type = 'text', ...rest }: TextFieldProps) {
  return (
    <Field label={label} hint={hint} error={error} width={width}>
      {({ id, describedBy, invalid }) => (
        <input
          {...rest}
          id={id}
          type={type}
          class="input"
          value={value}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export type TextAreaFieldProps = FieldChrome &
  Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onInput' | 'label'> & {
    value: string;
    onValue: (value: string) => void;
  };

export function TextAreaField({ label, hint, error, width, value, onValue, ...rest }: TextAreaFieldProps) {
  return (
    <Field label={label} hint={hint} error={error} width={width}>
      {({ id, describedBy, invalid }) => (
        <textarea {...rest} id={id} class="input input--area" value={value} aria-describedby={describedBy} aria-invalid={invalid || undefined} onInput={(e) => onValue(e.currentTarget.value)} />
      )}
    </Field>
  );
}

export interface SelectOption<V extends string = string> {
  value: V;
  label: string;
}

export type SelectFieldProps<V extends string> = FieldChrome &
  Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange' | 'label'> & {
    value: V;
    options: readonly SelectOption<V>[];
    onValue: (value: V) => void;
  };

/** A styled native select: the platform's own list on phones, our look on the closed control. */
export function SelectField<V extends string>({ label, hint, error, width, value, options, onValue, ...rest }: SelectFieldProps<V>) {
  return (
    <Field label={label} hint={hint} error={error} width={width}>
      {({ id, describedBy, invalid }) => (
        <span class="select">
          <select {...rest} id={id} class="input select__control" value={value} aria-describedby={describedBy} aria-invalid={invalid || undefined} onChange={(e) => onValue(e.currentTarget.value as V)}>
            {options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <svg class="select__chevron" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path d="m4 6 4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
        </span>
      )}
    </Field>
  );
}

export type CheckboxProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'checked' | 'onChange' | 'label'> & {
  checked: boolean;
  onChecked: (checked: boolean) => void;
  /** visible text; when omitted give `aria-label` (e.g. a checkbox in a table cell) */
  label?: ComponentChildren;
};

/** A styled checkbox (a real `<input type=checkbox>` underneath, so keyboard and forms work as usual). */
export function Checkbox({ checked, onChecked, label, ...rest }: CheckboxProps) {
  const box = <input {...rest} type="checkbox" class="checkbox" checked={checked} onChange={(e) => onChecked(e.currentTarget.checked)} />;
  if (label === undefined) return box;
  return (
    <label class="checkbox-label">
      {box}
      <span>{label}</span>
    </label>
  );
}

/** A row of fields that wraps on narrow screens; `end` aligns a trailing button with the inputs. */
export function FieldRow({ children }: { children: ComponentChildren }) {
  return <div class="field-row">{children}</div>;
}

/** A form-level message (what failed, in words), above the submit button. */
export function FormError({ children }: { children: ComponentChildren }) {
  return (
    <p class="form-message form-message--error" role="alert">
      {children}
    </p>
  );
}
