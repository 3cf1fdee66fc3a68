// A thread beside the conversation (the whole screen on a phone): its root with the reply count,
// the replies (the server's thread page, then every reply heard in the conversation's log, as
// replies are ordinary messages there), and a composer whose messages carry `thread_root`.
// Seeing the replies moves my read position in the thread (kept only if I follow it).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { readThread, threadPage } from '../api/actions';
import type { ThreadPage, WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { useActions } from './actionsContext';
import { Composer } from './Composer';
import { MessageRow, type TimelineItem } from './MessageRow';
import { useChat } from './useChat';

/** The panel of the thread of `root` in `conv`. */
export default function ThreadPanel({ conv, root, onClose }: { conv: string; root: number; onClose: () => void }) {
  const store = useChat();
  const actions = useActions();
  const t = useT();
  const lang = useLang();
  const [page, setPage] = useState<ThreadPage | null>(null);
  const [older, setOlder] = useState<WireMessage[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState('');
  const panel = useRef<HTMLElement>(null);
  const timeline = store.timeline(conv);

  useEffect(() => {
    setPage(null);
    setOlder([]);
    setError('');
    let live = true;
    threadPage(conv, root)
      .then((answer) => {
        if (!live) return;
        setPage(answer);
        setHasMore(answer.has_more);
      })
      .catch((e) => live && setError(describeActionError(lang, e)));
    panel.current?.focus();
    return () => {
      live = false;
    };
  }, [conv, root]);

  const rootMessage = timeline.get(root) ?? page?.root;
  const replies = useMemo(() => {
    const bySeq = new Map<number, WireMessage>();
    for (const m of [...older, ...(page?.messages ?? [])]) bySeq.set(m.seq, m);
    for (const m of timeline.messages) if (m.body.thread_root === root) bySeq.set(m.seq, m);
    for (const [seq, m] of bySeq) bySeq.set(seq, timeline.get(seq) ?? m);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }, [page, older, timeline.revision, root]);
  const pending = store.pending(conv).filter((item) => item.body.thread_root === root);
  const newest = replies[replies.length - 1]?.seq ?? 0;

  useEffect(() => {
    if (newest > 0) void readThread(conv, root, newest).catch(() => {});
  }, [newest]);

  const loadOlder = async () => {
    const first = replies[0]?.seq;
    if (!first) return;
    try {
      const answer = await threadPage(conv, root, first);
      setOlder((known) => [...answer.messages, ...known]);
      setHasMore(answer.has_more);
    } catch (e) {
      setError(describeActionError(lang, e));
    }
  };
  const items: TimelineItem[] = [
    ...replies.map((message): TimelineItem => ({ type: 'msg', message })),
    ...pending.map((item): TimelineItem => ({ type: 'pending', item })),
  ];
  const count = rootMessage ? timeline.threadCount(rootMessage) : 0;
  return (
    <aside
      class="thread-panel"
      ref={panel}
      tabIndex={-1}
      aria-label={t('chat.thread.title')}
      data-testid="thread-panel"
      data-root={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) onClose();
      }}
    >
      <header class="thread-header">
        <h2>{t('chat.thread.title')}</h2>
        <button type="button" class="icon" aria-label={t('chat.thread.close')} data-testid="thread-close" onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="thread-body">
        {error && <p class="error" role="alert">{error}</p>}
        {rootMessage && (
          <div class="thread-root" data-testid="thread-root">
            <MessageRow entry={{ type: 'msg', message: rootMessage }} highlighted={false} place="thread" />
            <p class="thread-count-line" data-testid="thread-panel-count">{t(count === 1 ? 'chat.thread.replyOne' : 'chat.thread.replies', { n: count })}</p>
          </div>
        )}
        {!page && !error && <p class="loading">{t('common.loading')}</p>}
        {hasMore && (
          <button type="button" class="link" onClick={loadOlder}>
            {t('chat.thread.older')}
          </button>
        )}
        <div class="thread-replies" role="list" aria-label={t('chat.thread.replyList')}>
          {items.map((item) => (
            <div role="listitem" key={item.type === 'msg' ? `s${item.message.seq}` : `p${item.item.client_msg_id}`}>
              <MessageRow entry={item} highlighted={false} place="thread" />
            </div>
          ))}
        </div>
      </div>
      <Composer conv={conv} group={actions.group} threadRoot={root} />
    </aside>
  );
}
