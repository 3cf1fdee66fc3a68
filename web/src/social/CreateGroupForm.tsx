// Creating a group: a name and its first members, picked from friends.
import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { groupApi, type Group } from './api';
import { FriendPicker } from './FriendPicker';
import { useAction } from './useAction';

/** The "new group" form; `onCreated` gets the new group. */
export function CreateGroupForm({ onCreated, onCancel }: { onCreated: (group: Group) => void; onCancel: () => void }) {
  const t = useT();
  const action = useAction();
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const submit = async (e: Event) => {
    e.preventDefault();
    await action.run(async () => onCreated(await groupApi.create(name.trim(), members)));
  };
  return (
    <form class="social-form" onSubmit={submit} aria-labelledby="new-group-title">
      <h3 id="new-group-title">{t('social.groups.new')}</h3>
      <label>
        <span>{t('social.groups.name')}</span>
        <input value={name} maxLength={64} required onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <FriendPicker legend={t('social.groups.pickMembers')} selected={members} onChange={setMembers} />
      <div class="social-actions">
        <button type="submit" class="primary" disabled={action.busy || !name.trim()}>
          {t('social.groups.create')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
      {action.error && <p class="error" role="alert">{action.error}</p>}
    </form>
  );
}
