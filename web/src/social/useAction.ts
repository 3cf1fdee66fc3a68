// Running a user's action (a REST call) with a busy flag and the failure shown as a sentence.
import { useState } from 'preact/hooks';
import { useLang } from '../i18n';
import { describeError } from '../ui/errors';

/** What `useAction` gives a component. */
export interface ActionState {
  /** Whether an action is under way (disable its buttons). */
  busy: boolean;
  /** The last failure, translated; null after a success. */
  error: string | null;
  /** Runs `work`; resolves true when it succeeded. */
  run: (work: () => Promise<unknown>) => Promise<boolean>;
  /** Forgets the last failure. */
  clear: () => void;
}

/** One action at a time for a component, its failure translated with the shared error table. */
export function useAction(): ActionState {
  const lang = useLang();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (e) {
      setError(describeError(lang, e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}
