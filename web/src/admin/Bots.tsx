// AI bots (docs/admin.md, "AI bots"): the list with today's usage; create and edit (the model
// API key is write-only: it is never shown, only replaced); delete; one bot's usage report,
// optionally for one user. `#/admin/bots`, `#/admin/bots/new`, `#/admin/bots/<bot_id>`.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import { navigate } from '../route';
import type { SectionProps } from './AdminConsole';
import { BUDGET_KEYS, type Bot, type BotBudgets, type BotUsage, type BotUsageReport } from './types';
import { formatTime, LoadState, useAction, useLoad } from './ui';

/** The bots section. */
export function Bots({ rest }: SectionProps) {
  const t = useT();
  return (
    <section aria-labelledby="admin-bots-title">
      <h1 id="admin-bots-title">{t('admin.nav.bots')}</h1>
      {rest[0] ? <BotEditor key={rest[0]} id={rest[0] === 'new' ? null : rest[0]} /> : <BotIndex />}
    </section>
  );
}

function usageText(t: (k: string, v?: Record<string, string | number>) => string, u: BotUsage): string {
  return t('admin.bots.usageLine', { requests: u.requests, tin: u.tokens_in, tout: u.tokens_out, errors: u.errors });
}

function BotIndex() {
  const t = useT();
  const list = useLoad(() => api<{ bots: Bot[] }>('GET', '/admin/v1/bots'), []);
  const actions = useAction();
  const remove = (b: Bot) =>
    actions
      .run(() => api<void>('DELETE', `/admin/v1/bots/${encodeURIComponent(b.bot_id)}`), {
        question: t('admin.bots.confirmDelete', { name: b.username }),
        confirmLabel: t('admin.delete'),
        danger: true,
        done: t('admin.bots.deleted', { name: b.username }),
      })
      .then((ok) => ok && list.reload());
  return (
    <>
      <p><a class="button-like" href="#/admin/bots/new">{t('admin.bots.new')}</a></p>
      {actions.view}
      <LoadState loaded={list} />
      {list.data && (
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.users.username')}</th>
                <th scope="col">{t('admin.bots.model')}</th>
                <th scope="col">{t('admin.bots.apiKey')}</th>
                <th scope="col">{t('admin.bots.usageToday')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.bots.map((b) => (
                <tr key={b.bot_id}>
                  <td><a href={`#/admin/bots/${encodeURIComponent(b.bot_id)}`}>{b.username}</a> · {b.display_name}</td>
                  <td><code>{b.model}</code></td>
                  <td>{b.has_api_key ? t('admin.bots.keySet') : t('admin.bots.keyNotSet')}</td>
                  <td>{usageText(t, b.usage_today)}</td>
                  <td>
                    <button type="button" class="danger" disabled={actions.busy} onClick={() => remove(b)}
                      aria-label={t('admin.bots.deleteOf', { name: b.username })}>{t('admin.delete')}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.bots.length === 0 && <p class="notice">{t('admin.none')}</p>}
        </div>
      )}
    </>
  );
}

type BudgetText = Record<(typeof BUDGET_KEYS)[number], string>;
const NO_BUDGETS: BudgetText = { requests_per_day: '', tokens_per_day: '', user_requests_per_day: '', user_tokens_per_day: '' };

function BotEditor({ id }: { id: string | null }) {
  const t = useT();
  const lang = useLang();
  const path = id ? `/admin/v1/bots/${encodeURIComponent(id)}` : '/admin/v1/bots';
  const existing = useLoad(() => (id ? api<Bot>('GET', path) : Promise.resolve(null)), [id]);
  const actions = useAction();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [baseUrl, setBaseUrl] = useState('https://api.openai.com/v1');
  const [model, setModel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [prompt, setPrompt] = useState('');
  const [temperature, setTemperature] = useState('0.7');
  const [stream, setStream] = useState(true);
  const [budgets, setBudgets] = useState<BudgetText>(NO_BUDGETS);
  useEffect(() => {
    const b = existing.data;
    if (!b) return;
    setUsername(b.username);
    setDisplayName(b.display_name);
    setBaseUrl(b.base_url);
    setModel(b.model);
    setPrompt(b.system_prompt);
    setTemperature(String(b.temperature));
    setStream(b.stream);
    const text = { ...NO_BUDGETS };
    for (const k of BUDGET_KEYS) text[k] = b.budgets[k] === null || b.budgets[k] === undefined ? '' : String(b.budgets[k]);
    setBudgets(text);
  }, [existing.data]);

  const save = async (e: Event) => {
    e.preventDefault();
    const budgetBody: BotBudgets = {};
    for (const k of BUDGET_KEYS) if (budgets[k].trim() !== '') budgetBody[k] = Number(budgets[k]);
    const body: Record<string, unknown> = {
      display_name: displayName.trim() || undefined,
      base_url: baseUrl.trim(),
      model: model.trim(),
      system_prompt: prompt,
      temperature: Number(temperature),
      stream,
      budgets: budgetBody,
    };
    if (!id) body.username = username.trim();
    // Write-only: sent only when typed, so saving other fields keeps the stored key.
    if (apiKey) body.api_key = apiKey;
    await actions.run(
      async () => {
        const bot = await api<Bot>(id ? 'PATCH' : 'POST', path, body);
        setApiKey('');
        if (id) existing.reload();
        else navigate(['admin', 'bots', bot.bot_id]);
      },
      {
        question: t(id ? 'admin.bots.confirmSave' : 'admin.bots.confirmCreate', { name: id ? username : username.trim() }),
        confirmLabel: t(id ? 'common.save' : 'admin.bots.create'),
        done: t('admin.bots.saved'),
      },
    );
  };

  const bot = existing.data;
  return (
    <>
      <p><a href="#/admin/bots">← {t('admin.bots.back')}</a></p>
      <LoadState loaded={existing} />
      {(!id || bot) && (
        <form class="admin-form wide" aria-label={id ? t('admin.bots.edit') : t('admin.bots.new')} onSubmit={save}>
          <h2>{id ? t('admin.bots.edit') : t('admin.bots.new')}</h2>
          <label>
            {t('admin.users.username')}
            <input name="username" required minLength={3} maxLength={32} pattern="[a-z0-9][a-z0-9_.\-]*" disabled={Boolean(id)}
              value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.users.displayName')}
            <input name="display_name" maxLength={64} value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.bots.baseUrl')}
            <input name="base_url" type="url" required maxLength={512} pattern="https?://.*" value={baseUrl}
              onInput={(e) => setBaseUrl(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.bots.model')}
            <input name="model" required maxLength={128} value={model} onInput={(e) => setModel(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.bots.apiKey')}
            <input name="api_key" type="password" autoComplete="off" maxLength={512} value={apiKey}
              placeholder={bot?.has_api_key ? t('admin.bots.keyKeep') : t('admin.bots.keyNone')}
              onInput={(e) => setApiKey(e.currentTarget.value)} />
          </label>
          <p class="notice">{t('admin.bots.keyHelp')}</p>
          <label>
            {t('admin.bots.prompt')}
            <textarea name="system_prompt" rows={5} maxLength={4000} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.bots.temperature')}
            <input name="temperature" type="number" min={0} max={2} step={0.1} required value={temperature}
              onInput={(e) => setTemperature(e.currentTarget.value)} />
          </label>
          <label class="check">
            <input type="checkbox" checked={stream} onChange={(e) => setStream(e.currentTarget.checked)} />
            {t('admin.bots.stream')}
          </label>
          <fieldset>
            <legend>{t('admin.bots.budgets')}</legend>
            <p class="notice">{t('admin.bots.budgetsHelp')}</p>
            {BUDGET_KEYS.map((k) => (
              <label key={k}>
                {t('admin.bots.budget.' + k)}
                <input type="number" min={0} step={1} value={budgets[k]} placeholder={t('admin.bots.budgetDefault')}
                  onInput={(e) => setBudgets({ ...budgets, [k]: e.currentTarget.value })} />
              </label>
            ))}
          </fieldset>
          <div class="row">
            <button type="submit" class="primary" disabled={actions.busy}>{id ? t('common.save') : t('admin.bots.create')}</button>
          </div>
          {bot && <p class="notice">{t('admin.updatedAt', { at: formatTime(lang, bot.updated_at) })}</p>}
        </form>
      )}
      {actions.view}
      {bot && <BotUsagePanel bot={bot} />}
    </>
  );
}

function BotUsagePanel({ bot }: { bot: Bot }) {
  const t = useT();
  const [userId, setUserId] = useState('');
  const [asked, setAsked] = useState('');
  const report = useLoad(
    () => api<BotUsageReport>('GET', `/admin/v1/bots/${encodeURIComponent(bot.bot_id)}/usage`, undefined, { query: { user_id: asked || undefined } }),
    [bot.bot_id, asked],
  );
  const r = report.data;
  return (
    <section aria-labelledby="admin-bot-usage">
      <h2 id="admin-bot-usage">{t('admin.bots.usage')}</h2>
      <form class="row" onSubmit={(e) => { e.preventDefault(); setAsked(userId.trim()); }}>
        <label>
          <span class="sr-only">{t('admin.bots.usageUser')}</span>
          <input placeholder={t('admin.bots.usageUser')} value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('admin.bots.showUsage')}</button>
      </form>
      <LoadState loaded={report} />
      {r && (
        <dl class="admin-facts">
          <dt>{t('admin.bots.day')}</dt><dd>{new Date(r.day * 86_400_000).toISOString().slice(0, 10)} UTC</dd>
          <dt>{t('admin.bots.total')}</dt><dd>{usageText(t, r.total)}</dd>
          {r.user && (<><dt>{t('admin.bots.userPart', { id: asked })}</dt><dd>{usageText(t, r.user)}</dd></>)}
          {BUDGET_KEYS.map((k) => (
            <Fragment key={k}>
              <dt>{t('admin.bots.budget.' + k)}</dt>
              <dd>{r.budgets[k] ? r.budgets[k] : t('admin.bots.noLimit')}</dd>
            </Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}
