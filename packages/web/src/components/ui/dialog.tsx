/**
 * Modal dialogs on the native `<dialog>` element: `showModal()` gives focus trapping, Escape to close, and an
 * inert page behind it for free, with focus returned to the opener afterwards.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { Button } from './button';
import { TextField } from './field';

export interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** the buttons row, right-aligned */
  actions?: ComponentChildren;
  /** when set, the body is a form: Enter submits */
  onSubmit?: () => void;
  testid?: string;
}

export function Dialog({ open, title, onClose, children, actions, onSubmit, testid }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);
  const body = (
    <>
      <header class="dialog__header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon-button dialog__close" aria-label="Close" onClick={onClose}>
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path d="m3 3 10 10M13 3 3 13" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
          </svg>
        </button>
      </header>
      <div class="dialog__body">{children}</div>
      {actions !== undefined && <footer class="dialog__actions">{actions}</footer>}
    </>
  );
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      data-testid={testid}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes it.
        if (e.target === ref.current) onClose();
      }}
    >
      {open &&
        (onSubmit ? (
          <form
            method="dialog"
            onSubmit={(e) => {
              e.preventDefault();
              onSubmit();
            }}
          >
            {body}
          </form>
        ) : (
          body
        ))}
    </dialog>
  );
}

export interface ConfirmOptions {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** ask for a reason (kept in the audit log); the confirm button waits for one */
  reason?: { label: string; hint?: string };
  /** ask for a secret (e.g. a password to turn TOTP off) */
  secret?: { label: string; autocomplete: string; minLength?: number };
}

export interface ConfirmAnswer {
  reason: string;
  secret: string;
}

interface Pending extends ConfirmOptions {
  resolve: (answer: ConfirmAnswer | null) => void;
}

/**
 * `const [confirm, dialog] = useConfirm()`; render `dialog`, then `const answer = await confirm({...})` resolves
 * to the typed reason/secret, or null when cancelled. Replaces `window.confirm`/`prompt`.
 */
export function useConfirm(): [(options: ConfirmOptions) => Promise<ConfirmAnswer | null>, ComponentChildren] {
  const [pending, setPending] = useState<Pending | null>(null);
  const [reason, setReason] = useState('');
  const [secret, setSecret] = useState('');
  const ask = (options: ConfirmOptions) =>
    new Promise<ConfirmAnswer | null>((resolve) => {
      setReason('');
      setSecret('');
      setPending({ ...options, resolve });
    });
  const finish = (answer: ConfirmAnswer | null) => {
    pending?.resolve(answer);
    setPending(null);
  };
  const ready = (pending?.reason === undefined || reason.trim() !== '') && (pending?.secret === undefined || secret.length >= (pending.secret.minLength ?? 1));
  const dialog = (
    <Dialog
      open={pending !== null}
      title={pending?.title ?? ''}
      onClose={() => finish(null)}
      onSubmit={() => ready && finish({ reason: reason.trim(), secret })}
      testid="confirm-dialog"
      actions={
        <>
          <Button variant="ghost" onClick={() => finish(null)}>
            Cancel
          </Button>
          <Button type="submit" variant={pending?.danger ? 'danger' : 'primary'} disabled={!ready} data-testid="confirm-ok">
            {pending?.confirmLabel ?? 'OK'}
          </Button>
        </>
      }
    >
      {pending !== null && (
        <>
          <div class="dialog__message">{pending.message}</div>
          {pending.secret && (
            <TextField label={pending.secret.label} type="password" autocomplete={pending.secret.autocomplete} value={secret} onValue={setSecret} data-testid="confirm-secret" autoFocus />
          )}
          {pending.reason && <TextField label={pending.reason.label} hint={pending.reason.hint} value={reason} onValue={setReason} data-testid="confirm-reason" autoFocus={!pending.secret} />}
        </>
      )}
    </Dialog>
  );
  return [ask, dialog];
}
