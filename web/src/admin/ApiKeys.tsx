// API keys of the integration API: the list (never a secret), create (the key shown once, with
// a copy button), revoke.
import { useState } from 'preact/hooks';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import type { SectionProps } from './AdminConsole';
import { userLabel, useUsers } from './names';
import { API_KEY_SCOPES, type ApiKey, type CreatedApiKey } from './types';
import { formatTime, LoadState, SecretOnce, useAction, useLoad } from './ui';

/** The API keys section. */
export function ApiKeys(_props: SectionProps) {
  const t = useT();
  const lang = useLang();
  const list = useLoad(() => api<{ api_keys: ApiKey[] }>('GET', '/admin/v1/api-keys'), []);
  const users = useUsers([...new Set(list.data?.api_keys.map((k) => k.created_by) ?? [])]);
  const actions = useAction();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    if (scopes.length === 0) return;
    await actions.run(
      async () => {
        setCreated(await api<CreatedApiKey>('POST', '/admin/v1/api-keys', { name: name.trim(), scopes }));
        setName('');
        setScopes([]);
        list.reload();
      },
      { done: t('admin.keys.createdDone') },
    );
  };

  const revoke = (k: ApiKey) =>
    actions
      .run(() => api<void>('DELETE', `/admin/v1/api-keys/${encodeURIComponent(k.key_id)}`), {
        question: t('admin.keys.confirmRevoke', { name: k.name }),
        confirmLabel: t('admin.keys.revoke'),
        danger: true,
        done: t('admin.keys.revoked', { name: k.name }),
      })
      .then((ok) => ok && list.reload());

  return (
    <section aria-labelledby="admin-keys-title">
      <h1 id="admin-keys-title">{t('admin.nav.apiKeys')}</h1>
      <form class="admin-form" aria-label={t('admin.keys.new')} onSubmit={create}>
        <label>
          {t('admin.keys.name')}
          <input name="name" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>{t('admin.keys.scopes')}</legend>
          {API_KEY_SCOPES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
              <code>{s}</code> — {t('admin.keys.scope.' + s)}
            </label>
          ))}
        </fieldset>
        {scopes.length === 0 && <p class="notice">{t('admin.keys.pickScope')}</p>}
        <div class="row">
          <button type="submit" class="primary" disabled={actions.busy || scopes.length === 0}>{t('admin.keys.create')}</button>
        </div>
      </form>
      {created && (
        <>
          <SecretOnce label={t('admin.keys.secretOf', { name: created.name })} secret={created.key} onDismiss={() => setCreated(null)} />
        </>
      )}
      {actions.view}
      <LoadState loaded={list} />
      {list.data && (
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.keys.name')}</th>
                <th scope="col">{t('admin.id')}</th>
                <th scope="col">{t('admin.keys.scopes')}</th>
                <th scope="col">{t('admin.keys.createdBy')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.api_keys.map((k) => (
                <tr key={k.key_id}>
                  <td>{k.name}</td>
                  <td><code>{k.key_id}</code></td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>{userLabel(users, k.created_by)}</td>
                  <td>{formatTime(lang, k.created_at)}</td>
                  <td>
                    {k.revoked_at ? (
                      <span class="badge off">{t('admin.keys.revokedAt', { at: formatTime(lang, k.revoked_at) })}</span>
                    ) : (
                      <button type="button" class="danger" disabled={actions.busy} onClick={() => revoke(k)}
                        aria-label={t('admin.keys.revokeOf', { name: k.name })}>{t('admin.keys.revoke')}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.api_keys.length === 0 && <p class="notice">{t('admin.none')}</p>}
        </div>
      )}
    </section>
  );
}
