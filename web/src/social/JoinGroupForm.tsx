// Joining a group by its id (`POST /groups/{id}/join`): open groups let the caller in at once,
// approval groups record a request for the owner and admins.
import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { groupApi } from './api';
import { useAction } from './useAction';

/** The "join a group" form; `onJoined` reloads the list. */
export function JoinGroupForm({ onJoined }: { onJoined: () => void }) {
  const t = useT();
  const action = useAction();
  const [groupId, setGroupId] = useState('');
  const [note, setNote] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    const id = groupId.trim().replace(/^g:/, '');
    await action.run(async () => {
      const answer = await groupApi.join(id, note.trim() || undefined);
      setResult(answer.status === 'joined' ? t('social.groups.joined') : t('social.groups.joinPending'));
      setGroupId('');
      setNote('');
      onJoined();
    });
  };
  return (
    <form class="social-form" onSubmit={submit} aria-labelledby="join-group-title">
      <h3 id="join-group-title">{t('social.groups.join')}</h3>
      <label>
        <span>{t('social.groups.groupId')}</span>
        <input value={groupId} placeholder="g_…" autocomplete="off" spellcheck={false} onInput={(e) => setGroupId(e.currentTarget.value)} />
      </label>
      <label>
        <span>{t('social.friends.note')}</span>
        <input value={note} maxLength={200} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={action.busy || !groupId.trim()}>
        {t('social.groups.askToJoin')}
      </button>
      <div aria-live="polite">
        {action.error && <p class="error">{action.error}</p>}
        {result && <p class="ok">{result}</p>}
      </div>
    </form>
  );
}
