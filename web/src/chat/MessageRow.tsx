// One message of the conversation view: sender, time, the body (text always as text; images as
// thumbnails; files with a download), its state (sending, sent, failed with a retry), the read
// receipt when it is the one to carry it, and the message's actions: its quote, reactions,
// thread summary, "(edited)" with the history, the inline editor and the actions menu.
import type { ComponentChildren } from 'preact';
import type { PendingMessage } from '../api/outbox';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeError } from '../ui/errors';
import { ApiError } from '../api/errors';
import { useActions } from './actionsContext';
import { EditedMark } from './EditHistory';
import { formatFullTime, formatTime } from './format';
import { InlineEditor } from './InlineEditor';
import { MessageBody, mentionsMe } from './MessageBody';
import { MessageMenu, type RowPlace } from './MessageMenu';
import { Quote, replyOf } from './Quote';
import { ReactionChips } from './Reactions';
import { isManager } from './useGroup';
import { useChat, useUserName } from './useChat';

/** A row of the view: a stored message or one of my sends still pending. */
export type TimelineItem = { type: 'msg'; message: WireMessage } | { type: 'pending'; item: PendingMessage };

/** A group event, as one centered line. */
function NoticeRow({ message }: { message: WireMessage }) {
  const t = useT();
  const store = useChat();
  const actor = useUserName(store, String(message.body.actor ?? message.sender));
  const event = String(message.body.event ?? '');
  const key = `chat.notice.${event}`;
  const text = t(key, { actor });
  return (
    <p class="notice-row" data-testid="msg" data-seq={message.seq} data-state="sent">
      {text === key ? t('chat.notice.other', { actor }) : text}
    </p>
  );
}

interface RowProps {
  entry: TimelineItem;
  peerName?: string;
  highlighted: boolean;
  receipt?: ComponentChildren;
  /** The main timeline (default) or the thread panel. */
  place?: RowPlace;
}

/** A message row. `receipt` is the read line under it, when it carries one. */
export function MessageRow(props: RowProps) {
  const entry = props.entry;
  if (entry.type === 'msg' && entry.message.kind === 'group_notice') return <NoticeRow message={entry.message} />;
  return <UserMessageRow {...props} />;
}

function UserMessageRow({ entry, peerName, highlighted, receipt, place = 'main' }: RowProps) {
  const store = useChat();
  const actions = useActions();
  const t = useT();
  const lang = useLang();
  const message = entry.type === 'msg' ? entry.message : null;
  const mine = entry.type === 'pending' || entry.message.sender === store.me;
  const sender = message ? message.sender : store.me;
  const kind = message ? message.kind : entry.type === 'pending' ? entry.item.kind : '';
  const body = message ? message.body : entry.type === 'pending' ? entry.item.body : {};
  const ts = message ? message.ts : entry.type === 'pending' ? entry.item.createdAt : 0;
  const state = message ? 'sent' : entry.type === 'pending' ? entry.item.state : 'sent';
  const name = useUserName(store, sender, mine ? t('chat.you') : peerName);
  const reply = replyOf(body);
  const threadRoot = typeof body.thread_root === 'number' ? body.thread_root : null;
  const live = message && kind !== 'recalled';
  const editing = live && actions.editing === message.seq;
  const forMe = !mine && mentionsMe(body, store.me);
  const classes = ['msg', mine ? 'mine' : 'theirs', highlighted ? 'highlight' : '', forMe ? 'mentions-me' : '', `state-${state}`].join(' ');
  return (
    <article class={classes} data-testid="msg" data-seq={message?.seq} data-state={state}>
      <header class="msg-meta">
        <span class="msg-sender">{name}</span>
        <time dateTime={new Date(ts).toISOString()} title={formatFullTime(lang, ts)}>{formatTime(lang, ts)}</time>
        {message?.edited_at && kind !== 'recalled' && <EditedMark message={message} canView={mine || isManager(actions.group)} />}
        {state === 'sending' && <span class="msg-state">{t('chat.sending')}</span>}
        {live && <MessageMenu message={message} place={place} />}
      </header>
      {threadRoot !== null && place === 'main' && (
        <button type="button" class="link in-thread" data-testid="in-thread" onClick={() => actions.openThread(threadRoot)}>
          {t('chat.thread.inThread')}
        </button>
      )}
      {reply && kind !== 'recalled' && <Quote conv={actions.conv} reply={reply} />}
      {editing ? <InlineEditor message={message} /> : <MessageBody kind={kind} body={body} />}
      {message && <ReactionChips message={message} />}
      {message && place === 'main' && threadRoot === null && <ThreadSummary root={message} />}
      {entry.type === 'pending' && entry.item.state === 'failed' && <FailedLine item={entry.item} />}
      {receipt}
    </article>
  );
}

/** "N replies" under a thread's root, opening the thread. */
function ThreadSummary({ root }: { root: WireMessage }) {
  const store = useChat();
  const actions = useActions();
  const t = useT();
  const count = store.timeline(root.conv).threadCount(root);
  if (count === 0) return null;
  return (
    <button type="button" class="link thread-count" data-testid="thread-count" data-count={count} onClick={() => actions.openThread(root.seq)}>
      {t(count === 1 ? 'chat.thread.replyOne' : 'chat.thread.replies', { n: count })}
    </button>
  );
}

function FailedLine({ item }: { item: PendingMessage }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const error = describeError(lang, new ApiError(0, item.error ?? 'internal', item.error ?? ''));
  return (
    <p class="failed" role="alert">
      <span class="error">{t('chat.failed', { error })}</span>
      <button type="button" class="link" onClick={() => store.outbox.retry(item.client_msg_id)}>{t('chat.retry')}</button>
      <button type="button" class="link" onClick={() => store.outbox.discard(item.client_msg_id)}>{t('chat.discard')}</button>
    </p>
  );
}
