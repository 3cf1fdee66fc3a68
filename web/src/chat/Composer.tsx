// Writing a message: a labelled textarea (Enter sends, Shift+Enter breaks the line), an attach
// button for images and files, and `typing` frames while writing (at most one in 3 s). It also
// carries what the message answers: "Replying to X: …" above it (Escape cancels) becomes the
// body's `reply_to`; in a group `@` opens the mention picker; in the thread panel every message
// gets the thread's `thread_root`.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { previewOf } from './format';
import { ClipIcon } from './icons';
import { type MentionCandidate, MentionList, queryAt, useCandidates, usePickerIndex } from './MentionPicker';
import type { GroupFacts } from './useGroup';
import { groupIdOf } from './useGroup';
import { useChat, useUserName } from './useChat';

const TYPING_EVERY_MS = 3_000;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

interface ComposerProps {
  conv: string;
  group: GroupFacts | null;
  /** The message being answered, shown above the box. */
  replyTo?: WireMessage | null;
  onCancelReply?: () => void;
  /** Set in the thread panel: every message sent is a reply in this thread. */
  threadRoot?: number;
}

/** The composer of `conv`. */
export function Composer({ conv, group, replyTo, onCancelReply, threadRoot }: ComposerProps) {
  const store = useChat();
  const t = useT();
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [dismissedAt, setDismissedAt] = useState(-1);
  const picked = useRef<MentionCandidate[]>([]);
  const lastTyping = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const nextCaret = useRef<number | null>(null);
  const groupId = groupIdOf(conv);
  const at = groupId ? queryAt(text, caret) : null;
  const pickerOpen = at !== null && at.start !== dismissedAt;
  const candidates = useCandidates(store, group, groupId, pickerOpen ? at.query : null);
  const [active, move, setActive] = usePickerIndex(candidates.length);
  const idBase = threadRoot ? `thread-${conv}-${threadRoot}` : `composer-${conv}`;

  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);
  useEffect(() => {
    if (nextCaret.current === null || !box.current) return;
    box.current.setSelectionRange(nextCaret.current, nextCaret.current);
    nextCaret.current = null;
  });

  const send = () => {
    const value = text.trim();
    if (!value) return;
    const body: Record<string, unknown> = { text: value };
    const mentions = [...new Set(picked.current.filter((c) => !c.all && value.includes('@' + c.name)).map((c) => c.id))];
    if (mentions.length) body.mentions = mentions;
    if (picked.current.some((c) => c.all) && value.includes('@all')) body.mention_all = true;
    if (replyTo) body.reply_to = { seq: replyTo.seq };
    if (threadRoot) body.thread_root = threadRoot;
    store.outbox.enqueue(conv, 'text', body);
    picked.current = [];
    setText('');
    setCaret(0);
    onCancelReply?.();
  };
  const pick = (candidate: MentionCandidate) => {
    if (!at) return;
    const insert = `@${candidate.name} `;
    const value = text.slice(0, at.start) + insert + text.slice(caret);
    picked.current.push(candidate);
    nextCaret.current = at.start + insert.length;
    setText(value);
    setCaret(at.start + insert.length);
    setActive(0);
  };
  const onInput = (el: HTMLTextAreaElement) => {
    const at = el.selectionStart ?? el.value.length;
    setText(el.value);
    setCaret(at);
    // A picker closed with Escape stays closed for that `@`, until it is gone.
    if (!queryAt(el.value, at)) setDismissedAt(-1);
    const now = Date.now();
    if (el.value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      store.sendTyping(conv);
    }
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (pickerOpen && at) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        move(event.key === 'ArrowDown' ? 1 : -1);
        return;
      }
      if ((event.key === 'Enter' || event.key === 'Tab') && candidates.length && !event.isComposing) {
        event.preventDefault();
        pick(candidates[active]);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setDismissedAt(at.start);
        return;
      }
    }
    if (event.key === 'Escape' && replyTo) {
      event.preventDefault();
      onCancelReply?.();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
  const onFiles = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const kind = IMAGE_TYPES.has(file.type) ? 'image' : 'file';
      store.outbox.enqueue(conv, kind, threadRoot ? { thread_root: threadRoot } : {}, file);
    }
    if (fileInput.current) fileInput.current.value = '';
  };
  return (
    <form
      class="composer-wrap"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {replyTo && <ReplyBanner message={replyTo} onCancel={() => onCancelReply?.()} />}
      {pickerOpen && <MentionList id={`${idBase}-mentions`} candidates={candidates} active={active} onPick={pick} />}
      <div class="composer">
        {!threadRoot && (
          <>
            <input
              ref={fileInput}
              type="file"
              multiple
              class="sr-only"
              id={`attach-${conv}`}
              data-testid="attach-input"
              aria-label={t('chat.attach')}
              tabIndex={-1}
              onChange={(e) => onFiles(e.currentTarget.files)}
            />
            <button type="button" class="icon attach" aria-label={t('chat.attach')} title={t('chat.attach')} onClick={() => fileInput.current?.click()}>
              <ClipIcon />
            </button>
          </>
        )}
        <label class="sr-only" for={idBase}>{t(threadRoot ? 'chat.thread.composer' : 'chat.composer')}</label>
        <textarea
          id={idBase}
          ref={box}
          rows={1}
          value={text}
          placeholder={t(threadRoot ? 'chat.thread.placeholder' : 'chat.composer.placeholder')}
          onInput={(e) => onInput(e.currentTarget)}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          aria-autocomplete={groupId ? 'list' : undefined}
          aria-controls={pickerOpen ? `${idBase}-mentions` : undefined}
          aria-activedescendant={pickerOpen && candidates.length ? `${idBase}-mentions-${active}` : undefined}
          data-testid={threadRoot ? 'thread-composer' : 'composer'}
        />
        <button type="submit" class="primary" disabled={!text.trim()}>{t('chat.send')}</button>
      </div>
    </form>
  );
}

/** "Replying to X: …" with a cancel button. */
function ReplyBanner({ message, onCancel }: { message: WireMessage; onCancel: () => void }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const name = useUserName(store, message.sender, message.sender === store.me ? t('chat.you') : undefined);
  return (
    <p class="reply-banner" data-testid="reply-banner">
      <span class="reply-banner-text">{t('chat.replyingTo', { name, text: previewOf(lang, message) })}</span>
      <button type="button" class="icon" aria-label={t('chat.reply.cancel')} onClick={onCancel}>
        ✕
      </button>
    </p>
  );
}
