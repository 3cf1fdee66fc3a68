// Groups: a searchable, paged list; one group's members with their roles (change, remove);
// dissolving a group. `#/admin/groups` and `#/admin/groups/<group_id>`.
import { useState } from 'preact/hooks';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import { navigate } from '../route';
import type { SectionProps } from './AdminConsole';
import { userLabel, useUsers } from './names';
import type { GroupInfo, GroupList, GroupMember, GroupMemberList } from './types';
import { formatTime, LoadState, Pager, useAction, useCursorPages, useLoad, type Actions } from './ui';

/** The groups section: the list, or one group when the route names it. */
export function Groups({ rest }: SectionProps) {
  return rest[0] ? <GroupDetail groupId={rest[0]} /> : <GroupIndex />;
}

function GroupIndex() {
  const t = useT();
  const lang = useLang();
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const pages = useCursorPages();
  const list = useLoad(
    () => api<GroupList>('GET', '/admin/v1/groups', undefined, { query: { q: search || undefined, after: pages.cursor, limit: 50 } }),
    [search, pages.cursor],
  );
  return (
    <section aria-labelledby="admin-groups-title">
      <h1 id="admin-groups-title">{t('admin.nav.groups')}</h1>
      <form class="row" role="search" onSubmit={(e) => { e.preventDefault(); pages.reset(); setSearch(query.trim()); }}>
        <label>
          <span class="sr-only">{t('admin.groups.search')}</span>
          <input type="search" placeholder={t('admin.groups.search')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('admin.search')}</button>
      </form>
      <LoadState loaded={list} />
      {list.data && (
        <>
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.groups.name')}</th>
                  <th scope="col">{t('admin.groups.members')}</th>
                  <th scope="col">{t('admin.groups.policy')}</th>
                  <th scope="col">{t('admin.created')}</th>
                  <th scope="col">{t('admin.users.state')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.groups.map((g) => (
                  <tr key={g.group_id}>
                    <td><a href={`#/admin/groups/${encodeURIComponent(g.group_id)}`}>{g.name}</a></td>
                    <td>{g.member_count}</td>
                    <td>{t('admin.groups.policy.' + g.join_policy)}</td>
                    <td>{formatTime(lang, g.created_at)}</td>
                    <td>{g.dissolved_at ? <span class="badge off">{t('admin.groups.dissolved')}</span> : <span class="badge on">{t('admin.groups.active')}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.data.groups.length === 0 && <p class="notice">{t('admin.none')}</p>}
          <Pager hasPrev={pages.hasPrev} next={list.data.next_after} onPrev={pages.prev}
            onNext={() => list.data?.next_after && pages.next(list.data.next_after)} />
        </>
      )}
    </section>
  );
}

function GroupDetail({ groupId }: { groupId: string }) {
  const t = useT();
  const lang = useLang();
  const path = `/admin/v1/groups/${encodeURIComponent(groupId)}`;
  const group = useLoad(() => api<GroupInfo>('GET', path), [groupId]);
  const pages = useCursorPages();
  const members = useLoad(
    () => api<GroupMemberList>('GET', `${path}/members`, undefined, { query: { after: pages.cursor, limit: 100 } }),
    [groupId, pages.cursor],
  );
  const users = useUsers(members.data?.members.map((m) => m.user_id) ?? []);
  const actions = useAction();
  const g = group.data;

  const dissolve = async () => {
    if (!g) return;
    const ok = await actions.run(() => api<void>('DELETE', path), {
      question: t('admin.groups.confirmDissolve', { name: g.name }),
      confirmLabel: t('admin.groups.dissolve'),
      danger: true,
      done: t('admin.groups.dissolvedDone', { name: g.name }),
    });
    if (ok) {
      group.reload();
      members.reload();
    }
  };

  return (
    <section aria-labelledby="admin-group-title">
      <p><a href="#/admin/groups">← {t('admin.groups.back')}</a></p>
      <LoadState loaded={group} />
      {g && (
        <>
          <h1 id="admin-group-title">{g.name}</h1>
          <dl class="admin-facts">
            <dt>{t('admin.id')}</dt><dd><code>{g.group_id}</code></dd>
            <dt>{t('admin.groups.owner')}</dt><dd>{g.owner ? userLabel(users, g.owner) : '—'}</dd>
            <dt>{t('admin.groups.members')}</dt><dd>{g.member_count}</dd>
            <dt>{t('admin.groups.policy')}</dt><dd>{t('admin.groups.policy.' + g.join_policy)}</dd>
            <dt>{t('admin.created')}</dt><dd>{formatTime(lang, g.created_at)}</dd>
            {g.dissolved_at && (<><dt>{t('admin.groups.dissolved')}</dt><dd>{formatTime(lang, g.dissolved_at)}</dd></>)}
          </dl>
          {!g.dissolved_at && (
            <button type="button" class="danger" disabled={actions.busy} onClick={dissolve}>{t('admin.groups.dissolve')}</button>
          )}
        </>
      )}
      {actions.view}
      <h2>{t('admin.groups.members')}</h2>
      <LoadState loaded={members} />
      {members.data && (
        <>
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.groups.member')}</th>
                  <th scope="col">{t('admin.groups.role')}</th>
                  <th scope="col">{t('admin.groups.joined')}</th>
                  <th scope="col">{t('admin.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {members.data.members.map((m) => (
                  <MemberRow key={m.user_id} member={m} label={userLabel(users, m.user_id)} path={path} actions={actions}
                    dissolved={Boolean(g?.dissolved_at)}
                    onChanged={() => { members.reload(); group.reload(); }} />
                ))}
              </tbody>
            </table>
          </div>
          {members.data.members.length === 0 && <p class="notice">{t('admin.none')}</p>}
          <Pager hasPrev={pages.hasPrev} next={members.data.next_after} onPrev={pages.prev}
            onNext={() => members.data?.next_after && pages.next(members.data.next_after)} />
        </>
      )}
      {!g && group.error && <button type="button" onClick={() => navigate(['admin', 'groups'])}>{t('admin.groups.back')}</button>}
    </section>
  );
}

const MEMBER_ROLES = ['owner', 'admin', 'member'];

function MemberRow(props: { member: GroupMember; label: string; path: string; actions: Actions; dissolved: boolean; onChanged: () => void }) {
  const { member, label, path, actions, dissolved, onChanged } = props;
  const t = useT();
  const lang = useLang();
  const [role, setRole] = useState(member.role);
  const memberPath = `${path}/members/${encodeURIComponent(member.user_id)}`;
  const changeRole = (next: string) => {
    setRole(next);
    actions
      .run(() => api<GroupMember>('PUT', `${memberPath}/role`, { role: next }), {
        question: t(next === 'owner' ? 'admin.groups.confirmOwner' : 'admin.groups.confirmRole', { name: label, role: t('admin.groups.role.' + next) }),
        confirmLabel: t('admin.groups.changeRole'),
        done: t('admin.groups.roleChanged', { name: label }),
      })
      .then((ok) => (ok ? onChanged() : setRole(member.role)));
  };
  const remove = () =>
    actions
      .run(() => api<void>('DELETE', memberPath), {
        question: t('admin.groups.confirmRemove', { name: label }),
        confirmLabel: t('admin.groups.remove'),
        danger: true,
        done: t('admin.groups.removed', { name: label }),
      })
      .then((ok) => ok && onChanged());
  return (
    <tr>
      <td>{label}{member.nickname ? ` · ${member.nickname}` : ''}</td>
      <td>
        {dissolved ? (
          t('admin.groups.role.' + member.role)
        ) : (
          <label>
            <span class="sr-only">{t('admin.groups.roleOf', { name: label })}</span>
            <select value={role} disabled={actions.busy || member.role === 'owner'} onChange={(e) => changeRole(e.currentTarget.value)}>
              {MEMBER_ROLES.map((r) => <option key={r} value={r}>{t('admin.groups.role.' + r)}</option>)}
            </select>
          </label>
        )}
      </td>
      <td>{formatTime(lang, member.joined_at)}</td>
      <td>
        {!dissolved && member.role !== 'owner' && (
          <button type="button" class="danger" disabled={actions.busy} onClick={remove} aria-label={t('admin.groups.removeOf', { name: label })}>
            {t('admin.groups.remove')}
          </button>
        )}
      </td>
    </tr>
  );
}
