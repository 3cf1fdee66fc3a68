// Forwarding a message: a modal dialog listing my conversations (filtered as I type), each with
// a checkbox; "Forward" sends one merged `forward` message to each chosen conversation, which
// shows who wrote the original. Each target's refusal is shown by its name; the others go.
import { useEffect, useRef, useState } from 'preact/hooks';
import { forward, type ForwardResult } from '../api/actions';
import { ApiError } from '../api/errors';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { conversationName } from './ConversationList';
import { previewOf } from './format';
import { useChat } from './useChat';

const MAX_TARGETS = 10;

/** The dialog forwarding `message`; `onClose` when done or dismissed. */
export default function ForwardDialog({ message, onClose }: { message: WireMessage; onClose: () => void }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const dialog = useRef<HTMLDialogElement>(null);
  const [filter, setFilter] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [results, setResults] = useState<ForwardResult[] | null>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const wanted = filter.trim().toLowerCase();
  const rows = store
    .sortedRows()
    .map((row) => ({ conv: row.conv, name: conversationName(row, row.conv) }))
    .filter((row) => !wanted || row.name.toLowerCase().includes(wanted));
  const nameOf = (conv: string) => conversationName(store.rows.get(conv), conv);
  const toggle = (conv: string, on: boolean) => setChosen(on ? [...chosen, conv].slice(0, MAX_TARGETS) : chosen.filter((c) => c !== conv));
  const send = async () => {
    if (!chosen.length || busy) return;
    setBusy(true);
    setError('');
    try {
      const answer = await forward(message.conv, message.seq, chosen);
      setResults(answer);
      if (answer.every((r) => !r.error)) dialog.current?.close();
    } catch (e) {
      setError(describeActionError(lang, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} class="forward-dialog" aria-labelledby="forward-title" data-testid="forward-dialog" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <h2 id="forward-title">{t('chat.forward.title')}</h2>
        <p class="forward-preview">{previewOf(lang, message)}</p>
        <label class="forward-filter">
          {t('chat.forward.filter')}
          <input type="search" value={filter} data-testid="forward-filter" onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <ul class="forward-targets" aria-label={t('chat.conversations')}>
          {rows.map((row) => (
            <li key={row.conv}>
              <label>
                <input
                  type="checkbox"
                  checked={chosen.includes(row.conv)}
                  data-testid="forward-target"
                  data-conv={row.conv}
                  onChange={(e) => toggle(row.conv, e.currentTarget.checked)}
                />
                {row.name}
              </label>
            </li>
          ))}
          {rows.length === 0 && <li class="notice">{t('chat.forward.none')}</li>}
        </ul>
        {results?.filter((r) => r.error).map((r) => (
          <p class="error" role="alert" key={r.conv}>
            {t('chat.forward.refused', { name: nameOf(r.conv), error: describeActionError(lang, new ApiError(0, r.error!.code, r.error!.message)) })}
          </p>
        ))}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()}>{t('common.cancel')}</button>
          <button type="submit" class="primary" disabled={busy || !chosen.length} data-testid="forward-send">
            {t('chat.forward.send', { n: chosen.length })}
          </button>
        </div>
      </form>
    </dialog>
  );
}
