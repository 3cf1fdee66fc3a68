// Reactions: the chips under a message (each emoji with its count, mine pressed; a click turns
// mine on or off) and the small set offered in the message's menu.
import { useState } from 'preact/hooks';
import { react } from '../api/actions';
import type { WireMessage, WireReaction } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { useChat } from './useChat';

/** The emoji offered in the menu. */
export const REACTION_SET = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

/** Turns a reaction on or off; resolves to an error text or ''. */
export function useToggleReaction(message: WireMessage): (emoji: string, on: boolean) => Promise<string> {
  const store = useChat();
  const lang = useLang();
  return async (emoji, on) => {
    try {
      await react(store, message.conv, message.seq, emoji, on);
      return '';
    } catch (e) {
      return describeActionError(lang, e);
    }
  };
}

/** The chips under `message`. */
export function ReactionChips({ message }: { message: WireMessage }) {
  const store = useChat();
  const t = useT();
  const toggle = useToggleReaction(message);
  const [error, setError] = useState('');
  const reactions: WireReaction[] = store.timeline(message.conv).reactionsOf(message, store.me);
  if (!reactions.length && !error) return null;
  return (
    <div class="reactions" data-testid="reactions">
      {reactions.map((r) => (
        <button
          type="button"
          key={r.emoji}
          class={r.me ? 'chip mine' : 'chip'}
          aria-pressed={r.me}
          aria-label={t(r.me ? 'chat.reaction.mine' : 'chat.reaction.other', { emoji: r.emoji, n: r.count })}
          data-testid="reaction"
          data-emoji={r.emoji}
          data-count={r.count}
          data-mine={r.me ? 'true' : 'false'}
          onClick={async () => setError(await toggle(r.emoji, !r.me))}
        >
          <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
        </button>
      ))}
      {error && <span class="error" role="alert">{error}</span>}
    </div>
  );
}
