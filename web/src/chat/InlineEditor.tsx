// Editing my text message in place: the text in a labelled box, Enter saves (Shift+Enter breaks
// the line), Escape cancels; the server's refusal is shown beside it.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { editMessage } from '../api/actions';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { useActions } from './actionsContext';
import { useChat } from './useChat';

/** The editor of `message`, shown instead of its text. */
export function InlineEditor({ message }: { message: WireMessage }) {
  const store = useChat();
  const actions = useActions();
  const t = useT();
  const lang = useLang();
  const original = String(message.body.text ?? '');
  const [text, setText] = useState(original);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const cancel = () => actions.setEditing(null);
  const save = async () => {
    const value = text.trim();
    if (!value || busy) return;
    if (value === original) return cancel();
    setBusy(true);
    setError('');
    const names = new Map<string, string>();
    for (const id of (message.body.mentions as string[] | undefined) ?? []) names.set(id, store.profiles.get(id)?.display_name ?? id);
    try {
      await editMessage(store, message, value, names);
      cancel();
    } catch (e) {
      setError(describeActionError(lang, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="inline-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="sr-only" for={id}>{t('chat.edit.label')}</label>
      <textarea
        id={id}
        ref={box}
        rows={2}
        value={text}
        data-testid="edit-input"
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            cancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <span class="inline-editor-buttons">
        <button type="submit" class="primary" disabled={busy || !text.trim()}>{t('chat.edit.save')}</button>
        <button type="button" onClick={cancel}>{t('common.cancel')}</button>
      </span>
      {error && <span class="error" role="alert">{error}</span>}
    </form>
  );
}
