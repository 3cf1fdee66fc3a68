// Starting a direct chat with someone found by username or user id.
import { useState } from 'preact/hooks';
import { findUser } from '../api/users';
import { directConvId } from '../api/wire';
import { useT } from '../i18n';
import { openConversation } from '../route';
import { useChat } from './useChat';

/** A small form: a username or a user id opens the direct chat with that person. */
export function NewChat() {
  const store = useChat();
  const t = useT();
  const [open, setOpen] = useState(false);
  const [who, setWho] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const text = who.trim();
    if (!text) return;
    setBusy(true);
    setError('');
    try {
      const user = await findUser(text);
      if (!user) {
        setError(t('chat.new.notFound'));
      } else if (user.user_id === store.me) {
        setError(t('chat.new.self'));
      } else {
        store.profiles.set(user.user_id, user);
        setOpen(false);
        setWho('');
        openConversation(directConvId(store.me, user.user_id));
      }
    } catch {
      setError(t('error.network'));
    } finally {
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <div class="new-chat">
        <button type="button" onClick={() => setOpen(true)} data-testid="new-chat">
          {t('chat.new.open')}
        </button>
      </div>
    );
  }
  return (
    <form class="new-chat" onSubmit={submit}>
      <label>
        {t('chat.new.label')}
        <input
          value={who}
          onInput={(e) => setWho(e.currentTarget.value)}
          autoFocus
          autoComplete="off"
          data-testid="new-chat-input"
          onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
        />
      </label>
      <p class="notice hint">{t('chat.new.hint')}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{t('chat.new.start')}</button>
        <button type="button" onClick={() => setOpen(false)}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}
