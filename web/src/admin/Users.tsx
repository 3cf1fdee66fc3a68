// Users: a searchable, paged list; create an account; disable or enable it, reset its
// password, change its role. Every change is confirmed and shows the server's answer.
import { useState } from 'preact/hooks';
import { api } from '../api/http';
import { useMe } from '../api/me';
import { useLang, useT } from '../i18n';
import type { SectionProps } from './AdminConsole';
import type { AdminUser, UserPage } from './types';
import { formatTime, LoadState, Pager, useAction, useCursorPages, useLoad, type Actions } from './ui';

const ROLES = ['user', 'admin', 'bot'] as const;

/** The users section. */
export function Users(_props: SectionProps) {
  const t = useT();
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const pages = useCursorPages();
  const page = useLoad(
    () => api<UserPage>('GET', '/admin/v1/users', undefined, { query: { q: search || undefined, cursor: pages.cursor, limit: 50 } }),
    [search, pages.cursor],
  );
  const actions = useAction();

  return (
    <section aria-labelledby="admin-users-title">
      <h1 id="admin-users-title">{t('admin.nav.users')}</h1>
      <CreateUser actions={actions} onCreated={page.reload} />
      <form class="row" role="search" onSubmit={(e) => { e.preventDefault(); pages.reset(); setSearch(query.trim()); }}>
        <label>
          <span class="sr-only">{t('admin.users.search')}</span>
          <input type="search" placeholder={t('admin.users.search')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('admin.search')}</button>
      </form>
      {actions.view}
      <LoadState loaded={page} />
      {page.data && (
        <>
          <div class="table-wrap">
            <table class="admin-table" data-testid="users-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.users.username')}</th>
                  <th scope="col">{t('admin.users.displayName')}</th>
                  <th scope="col">{t('admin.users.role')}</th>
                  <th scope="col">{t('admin.users.state')}</th>
                  <th scope="col">{t('admin.created')}</th>
                  <th scope="col">{t('admin.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.users.map((u) => <UserRow key={u.user_id} user={u} actions={actions} onChanged={page.reload} />)}
              </tbody>
            </table>
          </div>
          {page.data.users.length === 0 && <p class="notice">{t('admin.none')}</p>}
          <Pager hasPrev={pages.hasPrev} next={page.data.next_cursor} onPrev={pages.prev}
            onNext={() => page.data?.next_cursor && pages.next(page.data.next_cursor)} />
        </>
      )}
    </section>
  );
}

function CreateUser({ actions, onCreated }: { actions: Actions; onCreated: () => void }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('user');

  async function submit(e: Event) {
    e.preventDefault();
    const body: Record<string, string> = { username: username.trim(), role };
    if (displayName.trim()) body.display_name = displayName.trim();
    if (role !== 'bot') body.password = password;
    const ok = await actions.run(() => api<AdminUser>('POST', '/admin/v1/users', body), {
      question: t('admin.users.confirmCreate', { name: body.username, role: t('admin.role.' + role) }),
      confirmLabel: t('admin.users.create'),
      done: t('admin.users.created', { name: body.username }),
    });
    if (ok) {
      setUsername('');
      setDisplayName('');
      setPassword('');
      setRole('user');
      setOpen(false);
      onCreated();
    }
  }

  if (!open) {
    return <button type="button" class="primary" onClick={() => setOpen(true)}>{t('admin.users.new')}</button>;
  }
  return (
    <form class="admin-form" aria-label={t('admin.users.new')} onSubmit={submit}>
      <label>
        {t('admin.users.username')}
        <input name="username" required minLength={3} maxLength={32} pattern="[a-z0-9][a-z0-9_.\-]*" autoComplete="off"
          value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </label>
      <label>
        {t('admin.users.displayName')}
        <input name="display_name" maxLength={64} value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
      </label>
      <label>
        {t('admin.users.role')}
        <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value as (typeof ROLES)[number])}>
          {ROLES.map((r) => <option key={r} value={r}>{t('admin.role.' + r)}</option>)}
        </select>
      </label>
      {role !== 'bot' && (
        <label>
          {t('admin.users.password')}
          <input name="password" type="password" required minLength={8} maxLength={128} autoComplete="new-password"
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={actions.busy}>{t('admin.users.create')}</button>
        <button type="button" onClick={() => setOpen(false)}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

function UserRow({ user, actions, onChanged }: { user: AdminUser; actions: Actions; onChanged: () => void }) {
  const t = useT();
  const lang = useLang();
  const me = useMe();
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [role, setRole] = useState(user.role);
  const path = `/admin/v1/users/${encodeURIComponent(user.user_id)}`;
  const system = user.role === 'system';
  const self = user.user_id === me.user_id;

  const toggle = () =>
    actions
      .run(() => api<AdminUser>('POST', `${path}/${user.disabled ? 'enable' : 'disable'}`), {
        question: t(user.disabled ? 'admin.users.confirmEnable' : 'admin.users.confirmDisable', { name: user.username }),
        confirmLabel: t(user.disabled ? 'admin.users.enable' : 'admin.users.disable'),
        danger: !user.disabled,
        done: t(user.disabled ? 'admin.users.enabled' : 'admin.users.disabled', { name: user.username }),
      })
      .then((ok) => ok && onChanged());

  const changeRole = (next: string) => {
    setRole(next);
    actions
      .run(() => api<AdminUser>('PUT', `${path}/role`, { role: next }), {
        question: t('admin.users.confirmRole', { name: user.username, role: t('admin.role.' + next) }),
        confirmLabel: t('admin.users.changeRole'),
        danger: next === 'bot',
        done: t('admin.users.roleChanged', { name: user.username }),
      })
      .then((ok) => (ok ? onChanged() : setRole(user.role)));
  };

  const reset = async (e: Event) => {
    e.preventDefault();
    const ok = await actions.run(() => api<void>('POST', `${path}/password`, { password }), {
      question: t('admin.users.confirmReset', { name: user.username }),
      confirmLabel: t('admin.users.resetPassword'),
      danger: true,
      done: t('admin.users.passwordReset', { name: user.username }),
    });
    if (ok) {
      setPassword('');
      setResetting(false);
    }
  };

  return (
    <tr data-testid={`user-${user.username}`}>
      <td>{user.username}</td>
      <td>{user.display_name}</td>
      <td>
        {system || self ? (
          t('admin.role.' + user.role)
        ) : (
          <label>
            <span class="sr-only">{t('admin.users.roleOf', { name: user.username })}</span>
            <select value={role} disabled={actions.busy} onChange={(e) => changeRole(e.currentTarget.value)}>
              {ROLES.map((r) => <option key={r} value={r}>{t('admin.role.' + r)}</option>)}
            </select>
          </label>
        )}
      </td>
      <td>
        {user.disabled ? (
          <span class="badge off" title={formatTime(lang, user.disabled_at)}>{t('admin.users.stateDisabled')}</span>
        ) : (
          <span class="badge on">{t('admin.users.stateActive')}</span>
        )}
      </td>
      <td>{formatTime(lang, user.created_at)}</td>
      <td>
        {!system && !self && (
          <div class="row">
            <button type="button" class={user.disabled ? '' : 'danger'} disabled={actions.busy} onClick={toggle}
              aria-label={t(user.disabled ? 'admin.users.enableOf' : 'admin.users.disableOf', { name: user.username })}>
              {t(user.disabled ? 'admin.users.enable' : 'admin.users.disable')}
            </button>
            {user.role !== 'bot' && !resetting && (
              <button type="button" onClick={() => setResetting(true)} aria-label={t('admin.users.resetOf', { name: user.username })}>
                {t('admin.users.resetPassword')}
              </button>
            )}
          </div>
        )}
        {resetting && (
          <form class="row" onSubmit={reset}>
            <label>
              <span class="sr-only">{t('admin.users.newPasswordOf', { name: user.username })}</span>
              <input type="password" required minLength={8} maxLength={128} autoComplete="new-password"
                placeholder={t('admin.users.newPassword')} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
            </label>
            <button type="submit" class="danger" disabled={actions.busy}>{t('admin.users.resetPassword')}</button>
            <button type="button" onClick={() => setResetting(false)}>{t('common.cancel')}</button>
          </form>
        )}
      </td>
    </tr>
  );
}
