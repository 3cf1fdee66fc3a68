// The review list: text a `flag` word list caught, newest first, with who wrote it, where,
// and the lists and words that matched. The excerpt is shown as text, never as markup.
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import { userLabel, useUsers } from './names';
import type { FlaggedPage } from './types';
import { formatTime, LoadState, Pager, useCursorPages, useLoad } from './ui';

/** The flagged-text review list. */
export function Flagged() {
  const t = useT();
  const lang = useLang();
  const pages = useCursorPages();
  const page = useLoad(
    () => api<FlaggedPage>('GET', '/admin/v1/flagged', undefined, { query: { cursor: pages.cursor, limit: 50 } }),
    [pages.cursor],
  );
  const users = useUsers([...new Set(page.data?.entries.map((e) => e.author) ?? [])]);
  return (
    <>
      <h2>{t('admin.filters.flagged')}</h2>
      <button type="button" onClick={page.reload}>{t('admin.refresh')}</button>
      <LoadState loaded={page} />
      {page.data && (
        <>
          <ul class="admin-flagged">
            {page.data.entries.map((e) => (
              <li key={e.id}>
                <div class="row meta">
                  <span>{formatTime(lang, e.at)}</span>
                  <span>{t('admin.flagged.subject.' + e.subject)}</span>
                  <span>{userLabel(users, e.author)}</span>
                  {e.conv && <code>{e.conv}</code>}
                  {e.reference && <code>{e.reference}</code>}
                </div>
                <blockquote>{e.excerpt}</blockquote>
                <p class="notice">
                  {t('admin.flagged.matched', { lists: e.lists.join(', '), words: e.words.join(', ') })}
                </p>
              </li>
            ))}
          </ul>
          {page.data.entries.length === 0 && <p class="notice">{t('admin.flagged.none')}</p>}
          <Pager hasPrev={pages.hasPrev} next={page.data.next_cursor} onPrev={pages.prev}
            onNext={() => page.data?.next_cursor && pages.next(page.data.next_cursor)} />
        </>
      )}
    </>
  );
}
