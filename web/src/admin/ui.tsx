// Pieces every admin screen shares: a confirmation dialog, an action runner that shows the
// server's error text, a loader hook, time formatting and a copy button.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLang, useT } from '../i18n';
import { describeError } from '../ui/errors';

interface Pending {
  text: string;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

/** A modal `<dialog>` asking yes or no (focus stays inside, Escape cancels). */
function ConfirmDialog({ pending, onDone }: { pending: Pending; onDone: (ok: boolean) => void }) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class="admin-dialog" aria-labelledby="admin-confirm-text" onCancel={() => onDone(false)}>
      <p id="admin-confirm-text">{pending.text}</p>
      <div class="row end">
        <button type="button" onClick={() => onDone(false)}>{t('common.cancel')}</button>
        <button type="button" class={pending.danger ? 'danger' : 'primary'} onClick={() => onDone(true)}>
          {pending.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** What `useAction` gives a screen. */
export interface Actions {
  /** Asks `question` (when given), runs `fn`, shows `done` on success or the server's error text. */
  run: (fn: () => Promise<unknown>, options?: { question?: string; confirmLabel?: string; danger?: boolean; done?: string }) => Promise<boolean>;
  /** True while an action runs. */
  busy: boolean;
  /** The status line and the dialog: render once in the screen. */
  view: ComponentChildren;
  /** Clears the status line. */
  clear: () => void;
}

/** Runs a screen's actions one at a time, each confirmed first, with their outcome shown. */
export function useAction(): Actions {
  const t = useT();
  const lang = useLang();
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const ask = (text: string, confirmLabel: string, danger: boolean) =>
    new Promise<boolean>((resolve) => setPending({ text, confirmLabel, danger, resolve }));

  const run: Actions['run'] = async (fn, options = {}) => {
    setError(null);
    setNotice(null);
    if (options.question && !(await ask(options.question, options.confirmLabel ?? t('admin.confirm'), options.danger ?? false))) {
      return false;
    }
    setBusy(true);
    try {
      await fn();
      if (options.done) setNotice(options.done);
      return true;
    } catch (e) {
      setError(describeError(lang, e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const view = (
    <>
      <div class="admin-status" role="status">{notice}</div>
      {error && <p class="error" role="alert" data-testid="admin-error">{error}</p>}
      {pending && (
        <ConfirmDialog
          pending={pending}
          onDone={(ok) => {
            pending.resolve(ok);
            setPending(null);
          }}
        />
      )}
    </>
  );
  return { run, busy, view, clear: () => { setError(null); setNotice(null); } };
}

/** What `useLoad` gives: the data (null until loaded), the load's error text, and a reload. */
export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `fn()` now and whenever `deps` change; an older answer never overwrites a newer one. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const lang = useLang();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    fn().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (!current) return;
        setError(describeError(lang, e));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((n) => n + 1) };
}

/** The loading line or the load's error, for a `useLoad` result. */
export function LoadState({ loaded }: { loaded: Loaded<unknown> }) {
  const t = useT();
  if (loaded.error) return <p class="error" role="alert">{loaded.error}</p>;
  if (loaded.loading && loaded.data === null) return <p class="notice">{t('common.loading')}</p>;
  return null;
}

/** A Unix-milliseconds time as local date and time in the interface language. */
export function formatTime(lang: string, ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A secret shown once, with a copy button and the warning that it will not be shown again. */
export function SecretOnce({ label, secret, onDismiss }: { label: string; secret: string; onDismiss: () => void }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="admin-secret" role="region" aria-label={label}>
      <p><strong>{label}</strong> — {t('admin.secretOnce')}</p>
      <code data-testid="secret">{secret}</code>
      <div class="row">
        <button type="button" onClick={copy}>{copied ? t('admin.copied') : t('admin.copy')}</button>
        <button type="button" onClick={onDismiss}>{t('admin.secretDone')}</button>
      </div>
    </div>
  );
}

/** Previous / next buttons over cursor pages (a stack of the cursors walked). */
export function Pager({ hasPrev, next, onPrev, onNext }: { hasPrev: boolean; next?: string | null; onPrev: () => void; onNext: () => void }) {
  const t = useT();
  if (!hasPrev && !next) return null;
  return (
    <div class="row">
      <button type="button" disabled={!hasPrev} onClick={onPrev}>{t('admin.prevPage')}</button>
      <button type="button" disabled={!next} onClick={onNext}>{t('admin.nextPage')}</button>
    </div>
  );
}

/** Cursor paging state: the cursor of the page shown and the way back. */
export function useCursorPages() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    hasPrev: stack.length > 1,
    next: (c: string) => setStack([...stack, c]),
    prev: () => setStack(stack.slice(0, -1)),
    reset: () => setStack([undefined]),
  };
}
