// The Search tab of the chat sidebar: message search (`GET /api/v1/search`) as the user types,
// optionally in one conversation or of one kind, newest first, a page at a time. A result names
// its conversation, sender and time and shows the matched words marked; a click opens the
// conversation at that message.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { useLang, useT } from '../i18n';
import { openConversation } from '../route';
import { describeError } from '../ui/errors';
import { searchApi, type ConversationRow, type SearchHit } from './api';
import { peerOf } from './conv';
import { Highlighted } from './Highlighted';
import { nameOf, useProfiles } from './profiles';
import { useDebounced } from './useDebounced';
import { useLoad } from './useLoad';
import './messages';
import './social.css';

const KINDS = ['text', 'file', 'image', 'voice', 'video'];
const DEBOUNCE_MS = 300;

/** Results so far for one query, and the cursor of the next page. */
interface Found {
  key: string;
  hits: SearchHit[];
  next: string | null;
}

/** The search panel (no props: the signed-in user comes from `useMe`). */
export function SearchPanel() {
  const t = useT();
  const lang = useLang();
  const me = useMe();
  const [text, setText] = useState('');
  const [conv, setConv] = useState('');
  const [kind, setKind] = useState('');
  const q = useDebounced(text.trim(), DEBOUNCE_MS);
  const key = JSON.stringify([q, conv, kind]);
  const [found, setFound] = useState<Found | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inflight = useRef<AbortController | null>(null);
  const conversations = useLoad(searchApi.conversations, []);

  const fetchPage = async (cursor: string | undefined) => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    setBusy(true);
    setError(null);
    try {
      const page = await searchApi.search({ q, conv, kind, cursor }, controller.signal);
      if (controller.signal.aborted) return;
      setFound((before) => ({
        key,
        hits: cursor && before?.key === key ? [...before.hits, ...page.results] : page.results,
        next: page.next_cursor ?? null,
      }));
    } catch (e) {
      if (!controller.signal.aborted) setError(describeError(lang, e));
    } finally {
      if (inflight.current === controller) {
        inflight.current = null;
        setBusy(false);
      }
    }
  };

  useEffect(() => {
    if (!q) {
      inflight.current?.abort();
      setFound(null);
      setError(null);
      setBusy(false);
      return;
    }
    fetchPage(undefined);
  }, [key]);
  useEffect(() => () => inflight.current?.abort(), []);

  const rows = conversations.data ?? [];
  const hits = found?.key === key ? found.hits : [];
  return (
    <section class="social-panel" aria-labelledby="search-title" data-testid="search-panel">
      <header class="social-head">
        <h2 id="search-title">{t('social.search.title')}</h2>
      </header>
      <form class="social-form search-form" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span class="sr-only">{t('social.search.query')}</span>
          <input type="search" value={text} maxLength={100} placeholder={t('social.search.placeholder')} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <div class="search-filters">
          <label>
            <span class="sr-only">{t('social.search.inConversation')}</span>
            <select value={conv} onChange={(e) => setConv(e.currentTarget.value)}>
              <option value="">{t('social.search.allConversations')}</option>
              {rows.map((row) => (
                <option key={row.conv} value={row.conv}>
                  {rowName(row, t)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span class="sr-only">{t('social.search.kind')}</span>
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
              <option value="">{t('social.search.anyKind')}</option>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`social.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>
      <div class="social-scroll" aria-busy={busy}>
        <div aria-live="polite" class="search-status">
          {error && <p class="error">{error}</p>}
          {q && found?.key === key && hits.length === 0 && !busy && <p class="notice">{t('social.search.nothing')}</p>}
          {q && found?.key === key && hits.length > 0 && <p class="sr-only">{t('social.search.count', { count: hits.length })}</p>}
        </div>
        {!q && <p class="notice">{t('social.search.hint')}</p>}
        <SearchResults hits={hits} rows={rows} me={me.user_id} />
        {q && busy && <p class="notice">{t('common.loading')}</p>}
        {found?.key === key && found.next && !busy && (
          <button type="button" class="more" onClick={() => fetchPage(found.next ?? undefined)}>
            {t('social.search.more')}
          </button>
        )}
      </div>
    </section>
  );
}

function rowName(row: ConversationRow, t: (key: string) => string): string {
  return row.group?.name ?? row.peer_profile?.display_name ?? (row.kind === 'group' ? t('social.search.aGroup') : row.conv);
}

function SearchResults({ hits, rows, me }: { hits: SearchHit[]; rows: ConversationRow[]; me: string }) {
  const t = useT();
  const lang = useLang();
  const names = useMemo(() => new Map(rows.map((row) => [row.conv, rowName(row, t)])), [rows, lang]);
  const people = useMemo(() => {
    const ids = new Set<string>();
    for (const hit of hits) {
      ids.add(hit.message.sender);
      const peer = names.has(hit.message.conv) ? null : peerOf(hit.message.conv, me);
      if (peer) ids.add(peer);
    }
    return [...ids].sort();
  }, [hits, names]);
  const profiles = useProfiles(people);
  const when = useMemo(() => timeFormatter(lang), [lang]);
  if (hits.length === 0) return null;
  return (
    <ul class="social-list search-results" data-testid="search-results" aria-label={t('social.search.results')}>
      {hits.map((hit) => {
        const m = hit.message;
        const peer = peerOf(m.conv, me);
        const convName = names.get(m.conv) ?? (peer ? nameOf(peer, profiles) : t('social.search.aGroup'));
        const sender = m.sender === me ? t('social.search.you') : nameOf(m.sender, profiles);
        return (
          <li key={`${m.conv}#${m.seq}`}>
            <button type="button" class="search-hit" onClick={() => openConversation(m.conv, m.seq)}>
              <span class="search-hit-head">
                <span class="social-name">{convName}</span>
                <time dateTime={new Date(m.ts).toISOString()} class="notice small">
                  {when(m.ts)}
                </time>
              </span>
              <span class="search-hit-body">
                <span class="search-sender">{sender}: </span>
                {m.kind !== 'text' && KINDS.includes(m.kind) && <span class="notice small">[{t(`social.kind.${m.kind}`)}] </span>}
                <Highlighted snippet={hit.snippet} highlights={hit.highlights} />
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Today's messages by time, older ones by date and time. */
function timeFormatter(lang: string): (ts: number) => string {
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const full = new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' });
  return (ts) => {
    const date = new Date(ts);
    return date.toDateString() === new Date().toDateString() ? time.format(date) : full.format(date);
  };
}
