// "Read by N" under my last message in a group; a click lists who.
import { useState } from 'preact/hooks';
import type { ReadReceipts } from '../api/wire';
import { useT } from '../i18n';
import { useChat, useUserName } from './useChat';

/** The group receipt line with its expandable list of readers. */
export function GroupReceipt({ reads }: { reads: ReadReceipts }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  return (
    <div class="receipt" data-testid="receipt">
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('chat.readBy', { n: reads.count })}
      </button>
      {open && (
        <ul class="readers" aria-label={t('chat.readers')}>
          {reads.read_by.map((user) => (
            <Reader key={user} user={user} />
          ))}
          {reads.read_by.length === 0 && <li class="notice">{t('chat.readByNone')}</li>}
        </ul>
      )}
    </div>
  );
}

function Reader({ user }: { user: string }) {
  const store = useChat();
  return <li>{useUserName(store, user)}</li>;
}
