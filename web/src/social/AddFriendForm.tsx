// Sending a friend request to someone found by username or user id; the form names the person
// found when it says the request went out.
import { useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { findUser } from '../api/users';
import { useT } from '../i18n';
import { socialApi } from './api';
import { useAction } from './useAction';

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
    setHint(null);
    await action.run(async () => {
      const profile = await findUser(target);
      if (!profile) {
        setHint(t('social.friends.notFound'));
        return;
      }
      if (profile.user_id === me.user_id) {
        setHint(t('social.friends.notYourself'));
        return;
      }
      const answer = await socialApi.sendRequest(profile.user_id, note.trim() || undefined);
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
