// The conversation list: pinned first, then the most recent; each row a link with the name,
// the last message, its time, unread and mention badges and, for direct chats, a presence dot.
// Peers' presence is watched over the socket (`presence_sub`) for the rows near the top.
import { useEffect, useMemo } from 'preact/hooks';
import type { ConversationRow } from '../api/wire';
import { useLang, useT } from '../i18n';
import { formatFullTime, formatTime, previewOf } from './format';
import { PinIcon, ThreadIcon } from './icons';
import { useChat } from './useChat';

const WATCHED_PEERS = 200;

/** The "Chats" tab's list; `current` is highlighted. */
export function ConversationList({ current }: { current?: string }) {
  const store = useChat();
  const t = useT();
  const rows = store.sortedRows();
  const peers = useMemo(
    () => rows.filter((r) => r.peer).slice(0, WATCHED_PEERS).map((r) => r.peer!).sort().join(','),
    [store.revision],
  );
  const online = store.socket.state === 'online';
  useEffect(() => {
    if (!online || !peers) return;
    // presence_sub is limited to one a second: settle the list first.
    const timer = setTimeout(() => store.watchPresence(peers.split(',')), 1200);
    return () => clearTimeout(timer);
  }, [peers, online]);
  if (!store.listLoaded && rows.length === 0) return <p class="loading">{t('common.loading')}</p>;
  if (rows.length === 0) return <p class="notice conv-none">{t('chat.noConversations')}</p>;
  return (
    <ul class="conv-list" data-testid="conv-list" aria-label={t('chat.conversations')}>
      {rows.map((row) => (
        <ConversationItem key={row.conv} row={row} current={row.conv === current} />
      ))}
    </ul>
  );
}

/** The shown name of a conversation: the peer's display name or the group's name. */
export function conversationName(row: ConversationRow | undefined, fallback: string): string {
  return row?.peer_profile?.display_name ?? row?.group?.name ?? fallback;
}

function ConversationItem({ row, current }: { row: ConversationRow; current: boolean }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const name = conversationName(row, row.conv);
  const presence = row.peer ? store.presence.get(row.peer) : undefined;
  const last = row.last_message;
  const unread = row.unread > 0 ? row.unread : 0;
  return (
    <li>
      <a
        class={current ? 'conv-row current' : 'conv-row'}
        href={`#/c/${encodeURIComponent(row.conv)}`}
        aria-current={current ? 'page' : undefined}
        data-testid="conv-row"
        data-conv={row.conv}
      >
        {row.kind === 'direct' && (
          <span
            class={presence?.online ? 'dot online' : 'dot'}
            role="img"
            aria-label={t(presence?.online ? 'chat.online' : 'chat.offline')}
            data-testid="presence"
            data-online={presence?.online ? 'true' : 'false'}
          />
        )}
        <span class="conv-main">
          <span class="conv-top">
            <span class="conv-name">
              {row.pinned && (
                <span class="pin" role="img" aria-label={t('chat.pinned')}>
                  <PinIcon />
                </span>
              )}
              {name}
            </span>
            {last && (
              <time class="conv-time" dateTime={new Date(last.ts).toISOString()} title={formatFullTime(lang, last.ts)}>
                {formatTime(lang, last.ts)}
              </time>
            )}
          </span>
          <span class="conv-bottom">
            <span class="conv-last">{last ? previewOf(lang, last) : row.draft ? t('chat.draft', { text: row.draft }) : ''}</span>
            {(row.threads ?? 0) > 0 && (
              <span class="badge thread" data-testid="threads" title={t('chat.threadsNew', { n: row.threads ?? 0 })}>
                <ThreadIcon />
                <span class="sr-only">{t('chat.threadsNew', { n: row.threads ?? 0 })}</span>
                <span aria-hidden="true">{row.threads}</span>
              </span>
            )}
            {(row.mention_count ?? 0) > 0 && (
              <span class="badge mention" data-testid="mention" aria-label={t('chat.mentions', { n: row.mention_count ?? 0 })}>
                @
              </span>
            )}
            {unread > 0 && (
              <span class={row.muted ? 'badge muted' : 'badge'} data-testid="unread" aria-label={t('chat.unread', { n: unread })}>
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
}
