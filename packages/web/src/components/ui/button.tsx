import type { ComponentChildren, JSX } from 'preact';

export type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';

export type ButtonProps = Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'size'> & {
  variant?: ButtonVariant;
  size?: 'sm' | 'md';
  /** shows a spinner and blocks clicks while an action runs */
  busy?: boolean;
  type?: 'button' | 'submit' | 'reset';
  disabled?: boolean;
  children: ComponentChildren;
};

/** The one button. `type` defaults to "button" so a button inside a form never submits it by accident. */
export function Button({ variant = 'secondary', size = 'md', busy = false, type = 'button', disabled, children, class: extra, ...rest }: ButtonProps) {
  const cls = ['button', `button--${variant}`, size === 'sm' ? 'button--sm' : '', busy ? 'is-busy' : '', typeof extra === 'string' ? extra : ''].filter(Boolean).join(' ');
  return (
    <button {...rest} type={type} class={cls} disabled={disabled === true || busy} aria-busy={busy || undefined}>
      {busy && <span class="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}
