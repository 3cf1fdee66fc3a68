// Starting a direct chat. The API has no lookup by username for ordinary users (only
// `GET /users/{id}`), so a username is matched against the caller's friends (`GET /friends`,
// whose profiles carry usernames); a user id (`u_…`) works for anyone.
import { useState } from 'preact/hooks';
import { api } from '../api/http';
import { directConvId, type UserProfile } from '../api/wire';
import { useT } from '../i18n';
import { openConversation } from '../route';
import { useChat } from './useChat';

interface FriendPage {
  friends: { user: UserProfile }[];
  next_after?: string | null;
}

/** Finds a friend by username (pages through the friends list). */
async function friendByUsername(username: string): Promise<UserProfile | null> {
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const answer = await api<FriendPage>('GET', '/api/v1/friends', undefined, { query: { after, limit: 200 } });
    const hit = answer.friends.find((f) => f.user.username.toLowerCase() === username.toLowerCase());
    if (hit) return hit.user;
    if (!answer.next_after) return null;
    after = answer.next_after;
  }
  return null;
}

/** A small form: a friend's username or a user id opens the direct chat with them. */
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
      const user = /^u_[0-9A-Z]{26}$/.test(text) ? await store.profile(text, true) : await friendByUsername(text);
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
