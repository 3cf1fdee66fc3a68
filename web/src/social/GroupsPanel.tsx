// The Groups tab of the chat sidebar: the caller's groups (a click opens the group chat), a form
// to create one or join one by id, and a group's details in place of the list.
import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { openConversation } from '../route';
import { groupApi, type Group } from './api';
import { CreateGroupForm } from './CreateGroupForm';
import { GroupDetails } from './GroupDetails';
import { JoinGroupForm } from './JoinGroupForm';
import { useRefreshTick } from './refresh';
import { useLoad } from './useLoad';
import './messages';
import './social.css';

type Mode = 'list' | 'create' | 'join';

/** The groups panel (no props: the signed-in user comes from `useMe`). */
export function GroupsPanel() {
  const t = useT();
  const tick = useRefreshTick();
  const groups = useLoad(groupApi.mine, [tick]);
  const [mode, setMode] = useState<Mode>('list');
  const [detailsOf, setDetailsOf] = useState<string | null>(null);

  if (detailsOf) {
    return (
      <section class="social-panel" aria-label={t('social.groups.details')} data-testid="groups-panel">
        <GroupDetails
          groupId={detailsOf}
          onBack={() => {
            setDetailsOf(null);
            groups.reload();
          }}
        />
      </section>
    );
  }
  const toggle = (next: Mode) => setMode(mode === next ? 'list' : next);
  return (
    <section class="social-panel" aria-labelledby="groups-title" data-testid="groups-panel">
      <header class="social-head">
        <h2 id="groups-title">{t('social.groups.title')}</h2>
        <button type="button" aria-expanded={mode === 'create'} onClick={() => toggle('create')}>
          {t('social.groups.new')}
        </button>
        <button type="button" aria-expanded={mode === 'join'} onClick={() => toggle('join')}>
          {t('social.groups.join')}
        </button>
        <button type="button" class="icon" aria-label={t('social.reload')} title={t('social.reload')} onClick={groups.reload}>
          ↻
        </button>
      </header>
      <div class="social-scroll">
        {mode === 'create' && (
          <CreateGroupForm
            onCancel={() => setMode('list')}
            onCreated={(group) => {
              setMode('list');
              groups.reload();
              setDetailsOf(group.group_id);
            }}
          />
        )}
        {mode === 'join' && <JoinGroupForm onJoined={groups.reload} />}
        {groups.error && <p class="error" role="alert">{groups.error}</p>}
        {!groups.data && !groups.error && <p class="notice">{t('common.loading')}</p>}
        {groups.data && groups.data.length === 0 && <p class="notice">{t('social.groups.none')}</p>}
        {groups.data && groups.data.length > 0 && (
          <ul class="social-list" data-testid="group-list" aria-labelledby="groups-title">
            {groups.data.map((group) => (
              <GroupRow key={group.group_id} group={group} onDetails={() => setDetailsOf(group.group_id)} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function GroupRow({ group, onDetails }: { group: Group; onDetails: () => void }) {
  const t = useT();
  return (
    <li class="social-row group">
      <button type="button" class="social-open" onClick={() => openConversation(group.conv)} aria-label={t('social.groups.openChat', { name: group.name })}>
        <span class="group-avatar" aria-hidden="true">
          {Array.from(group.name)[0] ?? '#'}
        </span>
        <span class="social-main">
          <span class="social-name">{group.name}</span>
          <span class="notice small">
            {group.dissolved_at ? t('social.groups.dissolvedShort') : t('social.groups.memberCount', { count: group.member_count })}
          </span>
        </span>
      </button>
      <button type="button" class="icon" aria-label={t('social.groups.detailsOf', { name: group.name })} title={t('social.groups.details')} onClick={onDetails}>
        ⓘ
      </button>
    </li>
  );
}
