// Sending a friend request. The server takes only user ids (`POST /friends/requests {user_id}`)
// and has no lookup by username for ordinary users, so the form asks for an id and shows the
// caller's own id to hand on; it names the person found before saying the request went out.
import { useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { useT } from '../i18n';
import { socialApi } from './api';
import { useAction } from './useAction';

const USER_ID = /^u_[A-Za-z0-9]{1,38}$/;

/** The "add a friend" form; `onSent` reloads the lists. */
export function AddFriendForm({ onSent }: { onSent: () => void }) {
  const t = useT();
  const me = useMe();
  const action = useAction();
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [hint, setHint] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    const id = target.trim();
    if (!USER_ID.test(id)) {
      setHint(t('social.friends.idOnly'));
      return;
    }
    if (id === me.user_id) {
      setHint(t('social.friends.notYourself'));
      return;
    }
    setHint(null);
    await action.run(async () => {
      const profile = await socialApi.profile(id);
      const answer = await socialApi.sendRequest(id, note.trim() || undefined);
      const name = profile.display_name;
      setResult(answer.friends ? t('social.friends.nowFriends', { name }) : t('social.friends.requestSent', { name }));
      setTarget('');
      setNote('');
      onSent();
    });
  };

  return (
    <form class="social-form" onSubmit={submit} aria-labelledby="add-friend-title">
      <h3 id="add-friend-title">{t('social.friends.add')}</h3>
      <label>
        <span>{t('social.friends.userId')}</span>
        <input
          value={target}
          onInput={(e) => setTarget(e.currentTarget.value)}
          placeholder="u_…"
          autocomplete="off"
          spellcheck={false}
          aria-describedby="add-friend-help"
        />
      </label>
      <p id="add-friend-help" class="notice small">{t('social.friends.idHelp')}</p>
      <label>
        <span>{t('social.friends.note')}</span>
        <input value={note} maxLength={200} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={action.busy || !target.trim()}>
        {t('social.friends.send')}
      </button>
      <div aria-live="polite">
        {hint && <p class="error">{hint}</p>}
        {action.error && <p class="error">{action.error}</p>}
        {result && <p class="ok">{result}</p>}
      </div>
    </form>
  );
}
