// A group's members with their roles, and what the caller may do to each: the owner changes
// roles, hands the group over, mutes and removes; admins mute and remove plain members; every
// member may add friends to the group.
import { useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { useT } from '../i18n';
import { groupApi, type Group, type GroupMember, type GroupRole } from './api';
import { ConfirmButton } from './ConfirmButton';
import { FriendPicker } from './FriendPicker';
import { nameOf, useProfiles } from './profiles';
import { useAction } from './useAction';
import { useLoad } from './useLoad';

const RANK: Record<GroupRole, number> = { owner: 2, admin: 1, member: 0 };
const MUTE_CHOICES = [600, 3600, 86400];

/** The member list of `group` (the caller is a member); `onChange` reloads the group. */
export function GroupMembers({ group, onChange }: { group: Group; onChange: () => void }) {
  const t = useT();
  const me = useMe();
  const members = useLoad(() => groupApi.members(group.group_id), [group.group_id, group.member_count]);
  const profiles = useProfiles((members.data ?? []).map((m) => m.user_id));
  const [adding, setAdding] = useState(false);
  const myRole = group.me?.role ?? 'member';
  const live = !group.dissolved_at;
  const changed = () => {
    members.reload();
    onChange();
  };
  return (
    <section class="social-section" aria-labelledby="members-title">
      <div class="social-subhead">
        <h3 id="members-title">{t('social.groups.members')}</h3>
        {live && (
          <button type="button" aria-expanded={adding} onClick={() => setAdding(!adding)}>
            {adding ? t('common.close') : t('social.groups.addMembers')}
          </button>
        )}
      </div>
      {adding && (
        <AddMembers
          groupId={group.group_id}
          exclude={(members.data ?? []).map((m) => m.user_id)}
          onAdded={() => {
            setAdding(false);
            changed();
          }}
        />
      )}
      {members.error && <p class="error" role="alert">{members.error}</p>}
      <ul class="social-list" data-testid="member-list">
        {(members.data ?? []).map((member) => (
          <MemberRow
            key={member.user_id}
            groupId={group.group_id}
            member={member}
            name={nameOf(member.user_id, profiles) + (member.user_id === me.user_id ? ' ' + t('social.groups.you') : '')}
            myRole={live && member.user_id !== me.user_id ? myRole : null}
            onChange={changed}
          />
        ))}
      </ul>
    </section>
  );
}

function AddMembers({ groupId, exclude, onAdded }: { groupId: string; exclude: string[]; onAdded: () => void }) {
  const t = useT();
  const action = useAction();
  const [picked, setPicked] = useState<string[]>([]);
  return (
    <form
      class="social-form"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(() => groupApi.invite(groupId, picked)).then((ok) => ok && onAdded());
      }}
    >
      <FriendPicker legend={t('social.groups.pickMembers')} selected={picked} onChange={setPicked} exclude={exclude} />
      <button type="submit" class="primary" disabled={action.busy || picked.length === 0}>
        {t('social.groups.add')}
      </button>
      {action.error && <p class="error" role="alert">{action.error}</p>}
    </form>
  );
}

/** One member; `myRole` is null when the caller may do nothing to them (themselves, a dissolved group). */
function MemberRow(props: { groupId: string; member: GroupMember; name: string; myRole: GroupRole | null; onChange: () => void }) {
  const t = useT();
  const action = useAction();
  const [open, setOpen] = useState(false);
  const [muteSecs, setMuteSecs] = useState(MUTE_CHOICES[1]);
  const { member, name, myRole } = props;
  const outranks = myRole !== null && RANK[myRole] > RANK[member.role];
  const isOwner = myRole === 'owner';
  const muted = !!member.muted_until && member.muted_until > Date.now();
  const run = (work: () => Promise<unknown>) => action.run(work).then((ok) => ok && props.onChange());
  const actionsId = `member-actions-${member.user_id}`;
  return (
    <li class="social-row member">
      <div class="social-main">
        <span class="social-name">{name}</span>
        <span class={`role role-${member.role}`}>{t(`social.role.${member.role}`)}</span>
        {muted && <span class="notice small">{t('social.groups.mutedUntil', { time: new Date(member.muted_until!).toLocaleString() })}</span>}
      </div>
      {outranks && (
        <button type="button" class="icon" aria-expanded={open} aria-controls={actionsId} aria-label={t('social.moreFor', { name })} onClick={() => setOpen(!open)}>
          ⋯
        </button>
      )}
      {outranks && open && (
        <div id={actionsId} class="social-row-actions">
          {isOwner && (
            <button type="button" disabled={action.busy} onClick={() => run(() => groupApi.updateMember(props.groupId, member.user_id, { role: member.role === 'admin' ? 'member' : 'admin' }))}>
              {member.role === 'admin' ? t('social.groups.makeMember') : t('social.groups.makeAdmin')}
            </button>
          )}
          {muted ? (
            <button type="button" disabled={action.busy} onClick={() => run(() => groupApi.updateMember(props.groupId, member.user_id, { mute_secs: 0 }))}>
              {t('social.groups.unmute')}
            </button>
          ) : (
            <span class="inline-field">
              <label>
                <span class="sr-only">{t('social.groups.muteFor')}</span>
                <select value={muteSecs} onChange={(e) => setMuteSecs(Number(e.currentTarget.value))}>
                  {MUTE_CHOICES.map((secs) => (
                    <option key={secs} value={secs}>
                      {t(`social.groups.mute.${secs}`)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" disabled={action.busy} onClick={() => run(() => groupApi.updateMember(props.groupId, member.user_id, { mute_secs: muteSecs }))}>
                {t('social.groups.mute')}
              </button>
            </span>
          )}
          <ConfirmButton
            label={t('social.groups.remove')}
            confirmLabel={t('social.groups.confirmRemove')}
            ariaLabel={t('social.groups.removeName', { name })}
            disabled={action.busy}
            onConfirm={() => run(() => groupApi.removeMember(props.groupId, member.user_id))}
          />
          {isOwner && (
            <ConfirmButton
              label={t('social.groups.transfer')}
              confirmLabel={t('social.groups.confirmTransfer')}
              disabled={action.busy}
              onConfirm={() => run(() => groupApi.transfer(props.groupId, member.user_id))}
            />
          )}
          {action.error && <p class="error" role="alert">{action.error}</p>}
        </div>
      )}
    </li>
  );
}
