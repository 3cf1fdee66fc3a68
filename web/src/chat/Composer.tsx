// Writing a message: a labelled textarea (Enter sends, Shift+Enter breaks the line), an attach
// button for images and files, and `typing` frames while writing (at most one in 3 s).
import { useRef, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { ClipIcon } from './icons';
import { useChat } from './useChat';

const TYPING_EVERY_MS = 3_000;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The composer of `conv`. */
export function Composer({ conv }: { conv: string }) {
  const store = useChat();
  const t = useT();
  const [text, setText] = useState('');
  const lastTyping = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const send = () => {
    const value = text.trim();
    if (!value) return;
    store.outbox.enqueue(conv, 'text', { text: value });
    setText('');
  };
  const onInput = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      store.sendTyping(conv);
    }
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
  const onFiles = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const kind = IMAGE_TYPES.has(file.type) ? 'image' : 'file';
      store.outbox.enqueue(conv, kind, {}, file);
    }
    if (fileInput.current) fileInput.current.value = '';
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <input
        ref={fileInput}
        type="file"
        multiple
        class="sr-only"
        id={`attach-${conv}`}
        data-testid="attach-input"
        tabIndex={-1}
        onChange={(e) => onFiles(e.currentTarget.files)}
      />
      <button type="button" class="icon attach" aria-label={t('chat.attach')} title={t('chat.attach')} onClick={() => fileInput.current?.click()}>
        <ClipIcon />
      </button>
      <label class="sr-only" for={`composer-${conv}`}>{t('chat.composer')}</label>
      <textarea
        id={`composer-${conv}`}
        rows={1}
        value={text}
        placeholder={t('chat.composer.placeholder')}
        onInput={(e) => onInput(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        data-testid="composer"
      />
      <button type="submit" class="primary" disabled={!text.trim()}>{t('chat.send')}</button>
    </form>
  );
}
