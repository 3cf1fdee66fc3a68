// The pinned messages of the open conversation, under its header: the newest pin as a button
// that jumps to it, and the others behind "All pins". The list is the server's (`…/pins`), read
// again whenever a `pin` entry or a recall is heard, so every member's bar follows.
import { useEffect, useState } from 'preact/hooks';
import { listPins } from '../api/actions';
import type { PinnedMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { openConversation } from '../route';
import { previewOf } from './format';
import { PinIcon } from './icons';
import { useChat, useUserName } from './useChat';

/** The pins of `conv`, read again when `changes` moves; the second value reads them now. */
export function usePins(conv: string, changes: number): [PinnedMessage[], () => void] {
  const [pins, setPins] = useState<PinnedMessage[]>([]);
  const [again, setAgain] = useState(0);
  useEffect(() => {
    let live = true;
    listPins(conv)
      .then((list) => live && setPins(list))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [conv, changes, again]);
  return [pins, () => setAgain((n) => n + 1)];
}

function PinLink({ pin }: { pin: PinnedMessage }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const name = useUserName(store, pin.message.sender, pin.message.sender === store.me ? t('chat.you') : undefined);
  const text = previewOf(lang, pin.message);
  return (
    <button
      type="button"
      class="pin-link"
      data-testid="pin-link"
      data-seq={pin.message.seq}
      aria-label={t('chat.pins.jump', { name, text })}
      onClick={() => openConversation(pin.message.conv, pin.message.seq)}
    >
      <span class="pin-sender">{name}:</span> <span class="pin-text">{text}</span>
    </button>
  );
}

/** The bar (nothing when no message is pinned). */
export function PinnedBar({ pins }: { pins: PinnedMessage[] }) {
  const t = useT();
  const [all, setAll] = useState(false);
  if (!pins.length) return null;
  return (
    <nav class="pinned-bar" aria-label={t('chat.pins')} data-testid="pinned-bar">
      <span class="pin" aria-hidden="true">
        <PinIcon />
      </span>
      <div class="pinned-list">
        {(all ? pins : pins.slice(0, 1)).map((pin) => (
          <PinLink key={pin.message.seq} pin={pin} />
        ))}
      </div>
      {pins.length > 1 && (
        <button type="button" class="link" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? t('chat.pins.less') : t('chat.pins.all', { n: pins.length })}
        </button>
      )}
    </nav>
  );
}
