// The quote above a reply: who wrote the original and the start of it, as the server's snapshot
// says (or, for my reply still on its way, as the loaded original says). Clicking it opens the
// original in the conversation.
import type { QuoteSnapshot, ReplyTo, WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { openConversation } from '../route';
import { previewOf } from './format';
import { useChat, useUserName } from './useChat';

/** The `reply_to` of a body, if it is one. */
export function replyOf(body: Record<string, unknown>): ReplyTo | null {
  const reply = body.reply_to as ReplyTo | undefined;
  return reply && typeof reply.seq === 'number' ? reply : null;
}

/** A snapshot of `message` as a quote would show it (before the server made one). */
export function snapshotOf(message: WireMessage): QuoteSnapshot {
  if (message.kind === 'recalled') return { recalled: true };
  const excerpt = message.kind === 'text' ? String(message.body.text ?? '') : message.kind === 'file' ? String(message.body.name ?? '') : '';
  return { sender: message.sender, kind: message.kind, excerpt: excerpt.slice(0, 100) };
}

/** The quote of a reply in `conv`. */
export function Quote({ conv, reply }: { conv: string; reply: ReplyTo }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const loaded = store.timelines.get(conv)?.get(reply.seq);
  const quote: QuoteSnapshot = reply.quote ?? (loaded ? snapshotOf(loaded) : {});
  const name = useUserName(store, quote.sender ?? '', quote.sender ? undefined : '');
  let text: string;
  if (quote.recalled) text = t('chat.recalled');
  else if (quote.excerpt) text = quote.excerpt;
  else if (quote.kind) text = previewOf(lang, { kind: quote.kind, body: {} } as WireMessage);
  else text = '…';
  return (
    <button
      type="button"
      class="quote"
      data-testid="quote"
      aria-label={t('chat.quote.jump', { name: name || '…', text })}
      onClick={() => openConversation(conv, reply.seq)}
    >
      {!quote.recalled && name && <span class="quote-sender">{name}</span>}
      <span class="quote-text">{text}</span>
    </button>
  );
}
