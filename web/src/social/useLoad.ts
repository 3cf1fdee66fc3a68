// Loading a panel's data: the last good answer stays on screen while a reload runs, and a
// failed reload shows its error beside it instead of emptying the list.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLang } from '../i18n';
import { describeError } from '../ui/errors';

/** What `useLoad` gives a component. */
export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

/** Runs `load` now, whenever `deps` change and on `reload()`; answers of stale runs are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const lang = useLang();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [again, setAgain] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const mine = ++run.current;
    load().then(
      (value) => {
        if (mine !== run.current) return;
        setData(value);
        setError(null);
      },
      (e) => mine === run.current && setError(describeError(lang, e)),
    );
  }, [...deps, again]);
  return { data, error, reload: () => setAgain((n) => n + 1) };
}
