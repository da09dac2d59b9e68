/**
 * Toasts: short confirmations ("Rule saved") and failures that belong to no one field. One live region for
 * the app, so screen readers announce them; errors stay until dismissed, the rest go after 5 s.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useMemo, useRef, useState } from 'preact/hooks';

export type ToastKind = 'success' | 'error' | 'info';

interface ToastItem {
  id: number;
  kind: ToastKind;
  text: string;
}

export interface Toaster {
  show(kind: ToastKind, text: string): void;
  success(text: string): void;
  error(text: string): void;
}

const ToastContext = createContext<Toaster | null>(null);

/** Outside a provider (e.g. a unit test rendering one page) toasts go to the console instead. */
const FALLBACK: Toaster = {
  show: (kind, text) => console.info(`[${kind}] ${text}`),
  success: (text) => console.info(text),
  error: (text) => console.warn(text),
};

export function useToast(): Toaster {
  return useContext(ToastContext) ?? FALLBACK;
}

export function ToastProvider({ children }: { children: ComponentChildren }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setItems((list) => list.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (kind: ToastKind, text: string) => {
      const id = next.current++;
      setItems((list) => [...list.slice(-3), { id, kind, text }]);
      if (kind !== 'error') setTimeout(() => dismiss(id), 5000);
    },
    [dismiss],
  );
  const toaster = useMemo<Toaster>(() => ({ show, success: (t) => show('success', t), error: (t) => show('error', t) }), [show]);
  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
        {items.map((t) => (
          <div key={t.id} class={`toast toast--${t.kind}`} data-testid="toast" data-kind={t.kind}>
            <span class="toast__text">{t.text}</span>
            <button type="button" class="toast__close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
