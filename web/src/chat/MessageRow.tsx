// One message of the conversation view: sender, time, the body (text always as text; images as
// thumbnails; files with a download), its state (sending, sent, failed with a retry), the read
// receipt when it is the one to carry it, and the actions menu (recall) for my own messages.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { PendingMessage } from '../api/outbox';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeError } from '../ui/errors';
import { ApiError } from '../api/errors';
import { formatFullTime, formatTime } from './format';
import { FileMessage, ImageMessage } from './Media';
import { useChat, useUserName } from './useChat';

/** A row of the view: a stored message or one of my sends still pending. */
export type TimelineItem = { type: 'msg'; message: WireMessage } | { type: 'pending'; item: PendingMessage };

/** The body of a message of any kind. */
function Body({ kind, body }: { kind: string; body: Record<string, unknown> }) {
  const t = useT();
  switch (kind) {
    case 'text':
      return <p class="text">{String(body.text ?? '')}</p>;
    case 'image':
      return typeof body.media_id === 'string' ? (
        <ImageMessage mediaId={body.media_id} width={Number(body.width) || 0} height={Number(body.height) || 0} alt={t('chat.image.alt')} />
      ) : (
        <p class="notice">{t('chat.image.uploading')}</p>
      );
    case 'file':
      return typeof body.media_id === 'string' ? (
        <FileMessage mediaId={body.media_id} name={String(body.name ?? 'file')} size={Number(body.size) || 0} />
      ) : (
        <p class="notice">{t('chat.file.uploading')}</p>
      );
    case 'recalled':
      return <p class="notice recalled">{t('chat.recalled')}</p>;
    default:
      return <p class="notice">{t('chat.preview.other', { kind })}</p>;
  }
}

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
}

/** A message row. `receipt` is the read line under it, when it carries one. */
export function MessageRow(props: RowProps) {
  const entry = props.entry;
  if (entry.type === 'msg' && entry.message.kind === 'group_notice') return <NoticeRow message={entry.message} />;
  return <UserMessageRow {...props} />;
}

function UserMessageRow({ entry, peerName, highlighted, receipt }: RowProps) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const mine = entry.type === 'pending' || entry.message.sender === store.me;
  const sender = entry.type === 'msg' ? entry.message.sender : store.me;
  const kind = entry.type === 'msg' ? entry.message.kind : entry.item.kind;
  const body = entry.type === 'msg' ? entry.message.body : entry.item.body;
  const ts = entry.type === 'msg' ? entry.message.ts : entry.item.createdAt;
  const state = entry.type === 'msg' ? 'sent' : entry.item.state;
  const name = useUserName(store, sender, mine ? t('chat.you') : peerName);
  const classes = ['msg', mine ? 'mine' : 'theirs', highlighted ? 'highlight' : '', `state-${state}`].join(' ');
  return (
    <article class={classes} data-testid="msg" data-seq={entry.type === 'msg' ? entry.message.seq : undefined} data-state={state}>
      <header class="msg-meta">
        <span class="msg-sender">{name}</span>
        <time dateTime={new Date(ts).toISOString()} title={formatFullTime(lang, ts)}>{formatTime(lang, ts)}</time>
        {entry.type === 'msg' && entry.message.edited_at && <span class="edited">{t('chat.edited')}</span>}
        {state === 'sending' && <span class="msg-state">{t('chat.sending')}</span>}
        {mine && entry.type === 'msg' && kind !== 'recalled' && <MessageMenu message={entry.message} />}
      </header>
      <Body kind={kind} body={body} />
      {entry.type === 'pending' && entry.item.state === 'failed' && <FailedLine item={entry.item} />}
      {receipt}
    </article>
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

/** The actions of my own message: recall. */
function MessageMenu({ message }: { message: WireMessage }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState('');
  const recall = async () => {
    setOpen(false);
    setError('');
    try {
      const answer = await store.socket.request({ type: 'recall', conv: message.conv, seq: message.seq });
      if (answer.type === 'error') setError(describeError(lang, new ApiError(0, answer.code, answer.message)));
    } catch {
      setError(t('error.network'));
    }
  };
  return (
    <span class="msg-menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" class="icon" aria-label={t('chat.actions')} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        ⋯
      </button>
      {open && (
        <span class="menu" role="menu">
          <button type="button" role="menuitem" onClick={recall} data-testid="recall" autoFocus>
            {t('chat.recall')}
          </button>
        </span>
      )}
      {error && <span class="error" role="alert">{error}</span>}
    </span>
  );
}
