// One group's details: name, announcement, members and join requests, with what the caller's
// role allows (owner and admins edit; the owner changes roles and dissolves; others leave).
import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { openConversation } from '../route';
import { groupApi, type Group } from './api';
import { ConfirmButton } from './ConfirmButton';
import { GroupJoinRequests } from './GroupJoinRequests';
import { GroupMembers } from './GroupMembers';
import { useAction } from './useAction';
import { useLoad } from './useLoad';

/** The details of `groupId`; `onBack` returns to the list (also after leaving or dissolving). */
export function GroupDetails({ groupId, onBack }: { groupId: string; onBack: () => void }) {
  const t = useT();
  const group = useLoad(() => groupApi.get(groupId), [groupId]);
  const action = useAction();
  const g = group.data;
  const role = g?.me?.role;
  const manager = role === 'owner' || role === 'admin';
  const live = g ? !g.dissolved_at : false;

  return (
    <>
      <header class="social-head">
        <button type="button" class="icon" onClick={onBack} aria-label={t('social.back')} title={t('social.back')}>
          ←
        </button>
        <h2 id="group-details-title">{g ? g.name : t('common.loading')}</h2>
        {g && (
          <button type="button" class="primary" onClick={() => openConversation(g.conv)}>
            {t('social.groups.open')}
          </button>
        )}
      </header>
      <div class="social-scroll" aria-labelledby="group-details-title">
        {group.error && <p class="error" role="alert">{group.error}</p>}
        {g && (
          <>
            <p class="notice small">
              {t(`social.role.${role ?? 'none'}`)} · {t('social.groups.memberCount', { count: g.member_count })}
              {g.dissolved_at ? ' · ' + t('social.groups.dissolvedShort') : ''}
            </p>
            <p class="notice small">
              {t('social.groups.groupId')}: <code>{g.group_id}</code>
            </p>
            {manager && live ? <GroupSettings group={g} onSaved={group.reload} /> : <Announcement text={g.announcement} />}
            {g.me && <GroupMembers group={g} onChange={group.reload} />}
            {manager && live && <GroupJoinRequests groupId={g.group_id} onChange={group.reload} />}
            {g.me && live && (
              <section class="social-section danger-zone" aria-label={t('social.groups.leaveOrDissolve')}>
                {role === 'owner' ? (
                  <ConfirmButton
                    label={t('social.groups.dissolve')}
                    confirmLabel={t('social.groups.confirmDissolve')}
                    disabled={action.busy}
                    onConfirm={() => action.run(() => groupApi.dissolve(g.group_id)).then((ok) => ok && onBack())}
                  />
                ) : (
                  <ConfirmButton
                    label={t('social.groups.leave')}
                    confirmLabel={t('social.groups.confirmLeave')}
                    disabled={action.busy}
                    onConfirm={() => action.run(() => groupApi.leave(g.group_id)).then((ok) => ok && onBack())}
                  />
                )}
                {role === 'owner' && <p class="notice small">{t('social.groups.ownerLeaves')}</p>}
                {action.error && <p class="error" role="alert">{action.error}</p>}
              </section>
            )}
          </>
        )}
      </div>
    </>
  );
}

function Announcement({ text }: { text?: string | null }) {
  const t = useT();
  return (
    <section class="social-section" aria-labelledby="announcement-title">
      <h3 id="announcement-title">{t('social.groups.announcement')}</h3>
      <p class="announcement" data-testid="group-announcement">
        {text || t('social.groups.noAnnouncement')}
      </p>
    </section>
  );
}

/** Rename, announcement and mute-all, for the owner and admins. */
function GroupSettings({ group, onSaved }: { group: Group; onSaved: () => void }) {
  const t = useT();
  const action = useAction();
  const [name, setName] = useState(group.name);
  const [announcement, setAnnouncement] = useState(group.announcement ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const save = (changes: Parameters<typeof groupApi.update>[1], what: string) =>
    action.run(() => groupApi.update(group.group_id, changes)).then((ok) => {
      setSaved(ok ? what : null);
      if (ok) onSaved();
    });
  return (
    <>
      <form
        class="social-form"
        onSubmit={(e) => {
          e.preventDefault();
          save({ name: name.trim() }, t('social.groups.renamed'));
        }}
      >
        <label>
          <span>{t('social.groups.name')}</span>
          <input value={name} maxLength={64} required onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy || !name.trim() || name.trim() === group.name}>
          {t('social.groups.rename')}
        </button>
      </form>
      <form
        class="social-form"
        onSubmit={(e) => {
          e.preventDefault();
          save({ announcement: announcement.trim() }, t('social.groups.announcementSaved'));
        }}
      >
        <label>
          <span>{t('social.groups.announcement')}</span>
          <textarea rows={3} value={announcement} onInput={(e) => setAnnouncement(e.currentTarget.value)} data-testid="announcement-input" />
        </label>
        <button type="submit" disabled={action.busy}>
          {t('social.groups.saveAnnouncement')}
        </button>
      </form>
      <label class="check">
        <input
          type="checkbox"
          checked={!!group.mute_all}
          disabled={action.busy}
          onChange={(e) => save({ mute_all: e.currentTarget.checked }, t('social.groups.muteAllSaved'))}
        />
        <span>{t('social.groups.muteAll')}</span>
      </label>
      <div aria-live="polite">
        {action.error && <p class="error">{action.error}</p>}
        {saved && <p class="ok">{saved}</p>}
      </div>
    </>
  );
}
