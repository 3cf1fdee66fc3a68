// Webhooks: list, register (the signing secret shown once), delete, and each webhook's
// delivery log, through `/admin/v1/webhooks` with the admin's own session.
import { useState } from 'preact/hooks';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import type { SectionProps } from './AdminConsole';
import { WEBHOOK_EVENTS, type CreatedWebhook, type DeliveryPage, type Webhook } from './types';
import { formatTime, LoadState, Pager, SecretOnce, useAction, useCursorPages, useLoad } from './ui';

/** The webhooks section: the list, or one webhook's deliveries. */
export function Webhooks({ rest }: SectionProps) {
  const t = useT();
  return (
    <section aria-labelledby="admin-hooks-title">
      <h1 id="admin-hooks-title">{t('admin.nav.webhooks')}</h1>
      {rest[0] ? <Deliveries webhookId={rest[0]} /> : <WebhookList />}
    </section>
  );
}

function WebhookList() {
  const t = useT();
  const lang = useLang();
  const list = useLoad(() => api<{ webhooks: Webhook[] }>('GET', '/admin/v1/webhooks'), []);
  const actions = useAction();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['message.sent']);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);

  const create = (e: Event) => {
    e.preventDefault();
    if (events.length === 0) return;
    actions.run(
      async () => {
        setCreated(await api<CreatedWebhook>('POST', '/admin/v1/webhooks', { url: url.trim(), events }));
        setUrl('');
        list.reload();
      },
      { done: t('admin.hooks.createdDone') },
    );
  };
  const remove = (w: Webhook) =>
    actions
      .run(() => api<void>('DELETE', `/admin/v1/webhooks/${encodeURIComponent(w.webhook_id)}`), {
        question: t('admin.hooks.confirmDelete', { url: w.url }),
        confirmLabel: t('admin.delete'),
        danger: true,
        done: t('admin.hooks.deleted'),
      })
      .then((ok) => ok && list.reload());

  return (
    <>
      <form class="admin-form" aria-label={t('admin.hooks.new')} onSubmit={create}>
        <label>
          {t('admin.hooks.url')}
          <input name="url" type="url" required maxLength={2048} pattern="http://.*" placeholder="http://…" value={url}
            onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>{t('admin.hooks.events')}</legend>
          {WEBHOOK_EVENTS.map((ev) => (
            <label key={ev} class="check">
              <input type="checkbox" checked={events.includes(ev)}
                onChange={(e) => setEvents(e.currentTarget.checked ? [...events, ev] : events.filter((x) => x !== ev))} />
              <code>{ev}</code>
            </label>
          ))}
        </fieldset>
        <p class="notice">{t('admin.hooks.httpOnly')}</p>
        <div class="row">
          <button type="submit" class="primary" disabled={actions.busy || events.length === 0}>{t('admin.hooks.create')}</button>
        </div>
      </form>
      {created && <SecretOnce label={t('admin.hooks.secretOf', { url: created.url })} secret={created.secret} onDismiss={() => setCreated(null)} />}
      {actions.view}
      <LoadState loaded={list} />
      {list.data && (
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.hooks.url')}</th>
                <th scope="col">{t('admin.hooks.events')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.webhooks.map((w) => (
                <tr key={w.webhook_id}>
                  <td><code>{w.url}</code></td>
                  <td>{w.events.join(', ')}</td>
                  <td>{formatTime(lang, w.created_at)}</td>
                  <td class="row">
                    <a href={`#/admin/webhooks/${encodeURIComponent(w.webhook_id)}`}>{t('admin.hooks.deliveries')}</a>
                    <button type="button" class="danger" disabled={actions.busy} onClick={() => remove(w)}
                      aria-label={t('admin.hooks.deleteOf', { url: w.url })}>{t('admin.delete')}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.webhooks.length === 0 && <p class="notice">{t('admin.none')}</p>}
        </div>
      )}
    </>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const t = useT();
  const lang = useLang();
  const pages = useCursorPages();
  const page = useLoad(
    () => api<DeliveryPage>('GET', `/admin/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries`, undefined, { query: { cursor: pages.cursor, limit: 50 } }),
    [webhookId, pages.cursor],
  );
  return (
    <>
      <p><a href="#/admin/webhooks">← {t('admin.hooks.back')}</a></p>
      <h2>{t('admin.hooks.deliveriesOf', { id: webhookId })}</h2>
      <button type="button" onClick={page.reload}>{t('admin.refresh')}</button>
      <LoadState loaded={page} />
      {page.data && (
        <>
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.hooks.event')}</th>
                  <th scope="col">{t('admin.hooks.status')}</th>
                  <th scope="col">{t('admin.hooks.attempts')}</th>
                  <th scope="col">{t('admin.hooks.lastStatus')}</th>
                  <th scope="col">{t('admin.hooks.lastError')}</th>
                  <th scope="col">{t('admin.hooks.nextAttempt')}</th>
                  <th scope="col">{t('admin.created')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.deliveries.map((d) => (
                  <tr key={d.delivery_id}>
                    <td><code>{d.event}</code></td>
                    <td><span class={`badge ${d.status === 'delivered' ? 'on' : d.status === 'failed' ? 'off' : ''}`}>{t('admin.hooks.status.' + d.status)}</span></td>
                    <td>{d.attempts}</td>
                    <td>{d.last_status ?? '—'}</td>
                    <td>{d.last_error ?? '—'}</td>
                    <td>{d.next_attempt_at ? formatTime(lang, d.next_attempt_at) : '—'}</td>
                    <td>{formatTime(lang, d.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.data.deliveries.length === 0 && <p class="notice">{t('admin.none')}</p>}
          <Pager hasPrev={pages.hasPrev} next={page.data.next_cursor} onPrev={pages.prev}
            onNext={() => page.data?.next_cursor && pages.next(page.data.next_cursor)} />
        </>
      )}
    </>
  );
}
