// The open conversation: header (name, presence, typing), the virtualized message list (older
// pages load on scrolling up; `?seq=N` loads around N, scrolls to it and highlights it), read
// receipts, the pinned bar, and the composer. Reads are sent while the conversation is on
// screen. It holds the message actions' state (reply, edit, thread, forward, pins) for its rows;
// the thread panel and the forward dialog load on first use.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { peerOf, type WireMessage } from '../api/wire';
import { useT } from '../i18n';
import { ActionsContext, type ConversationActions } from './actionsContext';
import { Composer } from './Composer';
import { lazyComponent } from './lazy';
import { PinnedBar, usePins } from './PinnedBar';
import { useGroupFacts } from './useGroup';
import { conversationName } from './ConversationList';
import { MessageRow, type TimelineItem } from './MessageRow';
import { useDirectReceipt, useGroupReceipt } from './receipts';
import { GroupReceipt } from './GroupReceipt';
import { useChat, useUserName } from './useChat';
import { VirtualList } from './VirtualList';
import './actions.css';

const PRESENCE_REFRESH_MS = 60_000;
const ThreadPanel = lazyComponent(() => import('./ThreadPanel').then((m) => m.default));
const ForwardDialog = lazyComponent(() => import('./ForwardDialog').then((m) => m.default));

/** The conversation `conv`, scrolled to `seq` when given. */
export function ConversationView({ conv, seq }: { conv: string; seq?: number }) {
  const store = useChat();
  const t = useT();
  const timeline = store.timeline(conv);
  const row = store.rows.get(conv);
  const peer = peerOf(conv, store.me);
  const peerName = useUserName(store, peer ?? '', row?.peer_profile?.display_name ?? (peer ? undefined : ''));
  const name = peer ? peerName : conversationName(row, conv);
  const [error, setError] = useState('');
  const [loadingOlder, setLoadingOlder] = useState(false);
  const group = useGroupFacts(conv);
  const [replyTo, setReplyTo] = useState<WireMessage | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [threadRoot, openThread] = useState<number | null>(null);
  const [forwarding, setForwarding] = useState<WireMessage | null>(null);
  const [pins, reloadPins] = usePins(conv, timeline.pinChanges);
  const actions: ConversationActions = {
    conv,
    group,
    replyTo,
    setReplyTo,
    editing,
    setEditing,
    threadRoot,
    openThread,
    forwarding,
    setForwarding,
    pins,
    reloadPins,
  };

  // Load: the newest page, or a window around ?seq=.
  useEffect(() => {
    setError('');
    (seq ? store.openAround(conv, seq) : store.open(conv)).catch((e: { code?: string }) => setError(e.code ?? 'network'));
  }, [conv, seq]);

  // Presence of a direct peer, refreshed now and then.
  useEffect(() => {
    if (!peer) return;
    void store.profile(peer, true);
    const timer = setInterval(() => void store.profile(peer, true), PRESENCE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [peer]);

  // Reads while on screen.
  useEffect(() => {
    const mark = () => document.visibilityState === 'visible' && store.markRead(conv);
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [conv, timeline.highest, timeline.loaded]);

  const directReceipt = useDirectReceipt(store, conv, timeline, peer);
  const groupReceipt = useGroupReceipt(store, conv, timeline, !peer);

  const stored = useMemo(
    () => timeline.messages.map((message): TimelineItem => ({ type: 'msg', message })),
    [timeline.revision, conv],
  );
  const pending = store.pending(conv);
  const items = pending.length ? stored.concat(pending.map((item): TimelineItem => ({ type: 'pending', item }))) : stored;
  const focusSeq = seq ? (timeline.messages.find((m) => m.seq >= seq)?.seq ?? null) : null;

  const loadOlder = () => {
    if (loadingOlder || !timeline.hasOlder || !timeline.loaded) return;
    setLoadingOlder(true);
    store
      .loadOlder(conv)
      .catch(() => {})
      .finally(() => setLoadingOlder(false));
  };
  const presence = peer ? store.presence.get(peer) : undefined;
  const typists = store.typists(conv);

  return (
    <ActionsContext.Provider value={actions}>
    <section class={threadRoot ? 'conv-view with-thread' : 'conv-view'} aria-label={t('chat.conversationWith', { name })} data-testid="conv-view" data-conv={conv}>
      <header class="conv-header">
        <a class="back" href="#/" aria-label={t('chat.back')}>←</a>
        <h2 data-testid="conv-title">{name}</h2>
        {peer && (
          <span class="conv-presence" data-testid="conv-presence">
            {presence?.online ? t('chat.online') : t('chat.offline')}
          </span>
        )}
      </header>
      <PinnedBar pins={pins} />
      {error && <p class="error" role="alert">{t('chat.loadFailed', { code: error })}</p>}
      {loadingOlder && <p class="notice loading-older">{t('common.loading')}</p>}
      {timeline.loaded ? (
        <VirtualList
          class="messages"
          label={t('chat.messages')}
          items={items}
          keyOf={(item) => (item.type === 'msg' ? `s${item.message.seq}` : `p${item.item.client_msg_id}`)}
          focusKey={focusSeq ? `s${focusSeq}` : null}
          onNearTop={loadOlder}
          onNearBottom={() => timeline.hasNewer && void store.loadNewer(conv).catch(() => {})}
          render={(item) => {
            const seqOf = item.type === 'msg' ? item.message.seq : 0;
            let receipt = null;
            if (seqOf && peer && seqOf === directReceipt) {
              receipt = <p class="receipt" data-testid="receipt">{t('chat.read')}</p>;
            } else if (seqOf && !peer && groupReceipt && groupReceipt.seq === seqOf) {
              receipt = <GroupReceipt reads={groupReceipt.reads} />;
            }
            return <MessageRow entry={item} peerName={peer ? peerName : undefined} highlighted={seqOf > 0 && seqOf === focusSeq} receipt={receipt} />;
          }}
        />
      ) : (
        <p class="loading messages">{t('common.loading')}</p>
      )}
      <p class="typing" aria-live="polite" data-testid="typing">
        {typists.length > 0 && <TypingLine users={typists} />}
      </p>
      <Composer conv={conv} group={group} replyTo={replyTo} onCancelReply={() => setReplyTo(null)} />
    </section>
    {threadRoot !== null && <ThreadPanel conv={conv} root={threadRoot} onClose={() => openThread(null)} />}
    {forwarding && <ForwardDialog message={forwarding} onClose={() => setForwarding(null)} />}
    </ActionsContext.Provider>
  );
}

function TypingLine({ users }: { users: string[] }) {
  const store = useChat();
  const t = useT();
  const first = useUserName(store, users[0]);
  return <>{users.length > 1 ? t('chat.typingMany', { name: first, n: users.length - 1 }) : t('chat.typing', { name: first })}</>;
}
