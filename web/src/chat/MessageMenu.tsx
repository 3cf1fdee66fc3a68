// The actions of one message behind its "⋯" button: react, reply, reply in thread, edit, pin
// or unpin, forward, recall (each offered only where the server would allow it). A real menu
// for the keyboard: arrows move between items, Home/End jump, Escape closes and gives focus
// back to the button, leaving it closes it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { setPinned } from '../api/actions';
import type { WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { ApiError } from '../api/errors';
import { useActions } from './actionsContext';
import { REACTION_SET, useToggleReaction } from './Reactions';
import { mayPin } from './useGroup';
import { useChat } from './useChat';

/** Where a row is shown: the main timeline or the thread panel (no reply or thread items there). */
export type RowPlace = 'main' | 'thread';

/** The menu of `message`. */
export function MessageMenu({ message, place }: { message: WireMessage; place: RowPlace }) {
  const store = useChat();
  const actions = useActions();
  const t = useT();
  const lang = useLang();
  const [open, setOpen] = useState(false);
  const [upward, setUpward] = useState(false);
  const [error, setError] = useState('');
  const root = useRef<HTMLSpanElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const toggleReaction = useToggleReaction(message);
  const mine = message.sender === store.me;
  const pinned = actions.pins.some((p) => p.message.seq === message.seq);
  const mineOn = new Set(store.timeline(message.conv).reactionsOf(message, store.me).filter((r) => r.me).map((r) => r.emoji));

  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    const away = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const run = (action: () => Promise<unknown> | void) => async () => {
    close(false);
    setError('');
    try {
      await action();
    } catch (e) {
      setError(describeActionError(lang, e instanceof ApiError ? e : new ApiError(0, 'network', String(e))));
    }
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const items = [...(root.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    let next = -1;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowRight') next = (at + 1) % items.length;
    else if (event.key === 'ArrowUp' || event.key === 'ArrowLeft') next = (at - 1 + items.length) % items.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = items.length - 1;
    if (next >= 0) {
      event.preventDefault();
      items[next]?.focus();
    }
  };
  const recall = async () => {
    const answer = await store.socket.request({ type: 'recall', conv: message.conv, seq: message.seq });
    if (answer.type === 'error') throw new ApiError(0, answer.code, answer.message);
  };
  const pin = async () => {
    await setPinned(message.conv, message.seq, !pinned);
    actions.reloadPins();
  };
  const isReply = typeof message.body.thread_root === 'number';

  return (
    <span
      class="msg-menu"
      ref={root}
      onFocusOut={(e) => open && !root.current?.contains(e.relatedTarget as Node) && setOpen(false)}
    >
      <button
        ref={button}
        type="button"
        class="icon"
        aria-label={t('chat.actions')}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="msg-menu"
        onClick={() => {
          if (!open) setUpward(opensUpward(button.current));
          setOpen(!open);
        }}
      >
        ⋯
      </button>
      {open && (
        <span class={upward ? 'menu up' : 'menu'} role="menu" aria-label={t('chat.actions')} onKeyDown={onKeyDown}>
          <span class="menu-reactions" role="group" aria-label={t('chat.react')}>
            {REACTION_SET.map((emoji) => (
              <button
                type="button"
                role="menuitem"
                key={emoji}
                class={mineOn.has(emoji) ? 'mine' : undefined}
                aria-label={t(mineOn.has(emoji) ? 'chat.react.off' : 'chat.react.on', { emoji })}
                data-testid="react"
                data-emoji={emoji}
                onClick={run(async () => {
                  const failed = await toggleReaction(emoji, !mineOn.has(emoji));
                  if (failed) setError(failed);
                })}
              >
                {emoji}
              </button>
            ))}
          </span>
          {place === 'main' && (
            <button type="button" role="menuitem" data-testid="reply" onClick={run(() => actions.setReplyTo(message))}>
              {t('chat.reply')}
            </button>
          )}
          {place === 'main' && !isReply && (
            <button type="button" role="menuitem" data-testid="thread" onClick={run(() => actions.openThread(message.seq))}>
              {t('chat.thread.open')}
            </button>
          )}
          {mine && message.kind === 'text' && (
            <button type="button" role="menuitem" data-testid="edit" onClick={run(() => actions.setEditing(message.seq))}>
              {t('chat.edit')}
            </button>
          )}
          {mayPin(message.conv, actions.group) && (
            <button type="button" role="menuitem" data-testid={pinned ? 'unpin' : 'pin'} onClick={run(pin)}>
              {t(pinned ? 'chat.unpin' : 'chat.pin')}
            </button>
          )}
          <button type="button" role="menuitem" data-testid="forward" onClick={run(() => actions.setForwarding(message))}>
            {t('chat.forward')}
          </button>
          {mine && (
            <button type="button" role="menuitem" data-testid="recall" onClick={run(recall)}>
              {t('chat.recall')}
            </button>
          )}
        </span>
      )}
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

/** Roughly how tall the open menu is (reactions row and five actions). */
const MENU_HEIGHT_PX = 260;

/** Whether a menu opened under `anchor` would run past the bottom of the list it scrolls in
 * (or of the window) while there is more room above: then it opens upwards. */
function opensUpward(anchor: HTMLElement | null): boolean {
  if (!anchor) return false;
  const box = anchor.getBoundingClientRect();
  const area = anchor.closest('.vlist')?.getBoundingClientRect() ?? { top: 0, bottom: window.innerHeight };
  const below = area.bottom - box.bottom;
  return below < MENU_HEIGHT_PX && box.top - area.top > below;
}
