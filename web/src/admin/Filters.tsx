// Word lists (docs/content-rules.md): the lists with their action and word count; create,
// edit (words one per line in a textarea) and delete; and the review list of flagged text.
// `#/admin/filters`, `#/admin/filters/new`, `#/admin/filters/<id>`, `#/admin/filters/flagged`.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import { navigate } from '../route';
import type { SectionProps } from './AdminConsole';
import { Flagged } from './Flagged';
import { FILTER_ACTIONS, type FilterAction, type FilterList } from './types';
import { formatTime, LoadState, useAction, useLoad } from './ui';

/** The filters section. */
export function Filters({ rest }: SectionProps) {
  const t = useT();
  const sub = rest[0];
  return (
    <section aria-labelledby="admin-filters-title">
      <h1 id="admin-filters-title">{t('admin.nav.filters')}</h1>
      <nav class="admin-tabs" aria-label={t('admin.filters.views')}>
        <a href="#/admin/filters" aria-current={sub !== 'flagged' ? 'page' : undefined}>{t('admin.filters.lists')}</a>
        <a href="#/admin/filters/flagged" aria-current={sub === 'flagged' ? 'page' : undefined}>{t('admin.filters.flagged')}</a>
      </nav>
      {sub === 'flagged' ? <Flagged /> : sub ? <FilterEditor key={sub} id={sub === 'new' ? null : sub} /> : <FilterIndex />}
    </section>
  );
}

function FilterIndex() {
  const t = useT();
  const lang = useLang();
  const list = useLoad(() => api<{ lists: FilterList[] }>('GET', '/admin/v1/filters'), []);
  const actions = useAction();
  const remove = (f: FilterList) =>
    actions
      .run(() => api<void>('DELETE', `/admin/v1/filters/${encodeURIComponent(f.id)}`), {
        question: t('admin.filters.confirmDelete', { name: f.name }),
        confirmLabel: t('admin.delete'),
        danger: true,
        done: t('admin.filters.deleted', { name: f.name }),
      })
      .then((ok) => ok && list.reload());
  return (
    <>
      <p><a class="button-like" href="#/admin/filters/new">{t('admin.filters.new')}</a></p>
      {actions.view}
      <LoadState loaded={list} />
      {list.data && (
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.filters.name')}</th>
                <th scope="col">{t('admin.filters.action')}</th>
                <th scope="col">{t('admin.filters.wordCount')}</th>
                <th scope="col">{t('admin.updated')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.lists.map((f) => (
                <tr key={f.id}>
                  <td><a href={`#/admin/filters/${encodeURIComponent(f.id)}`}>{f.name}</a></td>
                  <td>{t('admin.filters.action.' + f.action)}</td>
                  <td>{f.word_count}</td>
                  <td>{formatTime(lang, f.updated_at)}</td>
                  <td>
                    <button type="button" class="danger" disabled={actions.busy} onClick={() => remove(f)}
                      aria-label={t('admin.filters.deleteOf', { name: f.name })}>{t('admin.delete')}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.lists.length === 0 && <p class="notice">{t('admin.none')}</p>}
        </div>
      )}
    </>
  );
}

/** Words of the textarea: one per line, trimmed, blank lines dropped. */
function wordsOf(text: string): string[] {
  return text.split('\n').map((w) => w.trim()).filter(Boolean);
}

function FilterEditor({ id }: { id: string | null }) {
  const t = useT();
  const path = id ? `/admin/v1/filters/${encodeURIComponent(id)}` : '/admin/v1/filters';
  const existing = useLoad(() => (id ? api<FilterList>('GET', path) : Promise.resolve(null)), [id]);
  const actions = useAction();
  const [name, setName] = useState('');
  const [action, setAction] = useState<FilterAction>('reject');
  const [words, setWords] = useState('');
  const [saved, setSaved] = useState<FilterList | null>(null);
  useEffect(() => {
    const list = existing.data;
    if (!list) return;
    setName(list.name);
    setAction(list.action);
    setWords((list.words ?? []).join('\n'));
    setSaved(list);
  }, [existing.data]);

  const save = async (e: Event) => {
    e.preventDefault();
    const body = { name: name.trim(), action, words: wordsOf(words) };
    await actions.run(
      async () => {
        const list = await api<FilterList>(id ? 'PUT' : 'POST', path, body);
        setSaved(list);
        setWords((list.words ?? body.words).join('\n'));
        if (!id) navigate(['admin', 'filters', list.id]);
      },
      {
        question: t(id ? 'admin.filters.confirmSave' : 'admin.filters.confirmCreate', { name: body.name, count: body.words.length }),
        confirmLabel: t(id ? 'common.save' : 'admin.filters.create'),
        done: t('admin.filters.saved', { name: body.name }),
      },
    );
  };

  return (
    <>
      <p><a href="#/admin/filters">← {t('admin.filters.back')}</a></p>
      <LoadState loaded={existing} />
      {(!id || existing.data) && (
        <form class="admin-form wide" aria-label={id ? t('admin.filters.edit') : t('admin.filters.new')} onSubmit={save}>
          <h2>{id ? t('admin.filters.edit') : t('admin.filters.new')}</h2>
          <label>
            {t('admin.filters.name')}
            <input name="name" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            {t('admin.filters.action')}
            <select name="action" value={action} onChange={(e) => setAction(e.currentTarget.value as FilterAction)}>
              {FILTER_ACTIONS.map((a) => <option key={a} value={a}>{t('admin.filters.action.' + a)}</option>)}
            </select>
          </label>
          <p class="notice">{t('admin.filters.actionHelp.' + action)}</p>
          <label>
            {t('admin.filters.words')}
            <textarea name="words" rows={14} spellcheck={false} value={words} onInput={(e) => setWords(e.currentTarget.value)} />
          </label>
          <p class="notice">
            {t('admin.filters.wordsHelp', { count: wordsOf(words).length })}
            {saved && ' ' + t('admin.filters.keptCount', { count: saved.word_count })}
          </p>
          <div class="row">
            <button type="submit" class="primary" disabled={actions.busy}>{id ? t('common.save') : t('admin.filters.create')}</button>
          </div>
        </form>
      )}
      {actions.view}
    </>
  );
}
