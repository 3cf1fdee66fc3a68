// "(edited)" on a message: a button that shows every version the message has had (the server
// lets the sender and group managers see them; anyone else is told it is not allowed).
import { useState } from 'preact/hooks';
import { editHistory } from '../api/actions';
import type { EditVersion, WireMessage } from '../api/wire';
import { useLang, useT } from '../i18n';
import { describeActionError } from './actionErrors';
import { formatFullTime } from './format';

/**
 * The "(edited)" mark of `message`; a button showing its history for those the server shows it
 * to (`canView`: the sender, and group owners and admins), plain text for the others.
 */
export function EditedMark({ message, canView }: { message: WireMessage; canView: boolean }) {
  const t = useT();
  const lang = useLang();
  const [versions, setVersions] = useState<EditVersion[] | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState(false);
  const toggle = async () => {
    if (open) return setOpen(false);
    setOpen(true);
    setError('');
    try {
      setVersions(await editHistory(message.conv, message.seq));
    } catch (e) {
      setError(describeActionError(lang, e));
    }
  };
  if (!canView) {
    return (
      <span class="edited" data-testid="edited">
        {t('chat.edited')}
      </span>
    );
  }
  return (
    <span class="edited-wrap">
      <button type="button" class="link edited" aria-expanded={open} data-testid="edited" onClick={toggle} title={t('chat.edit.history')}>
        {t('chat.edited')}
      </button>
      {open && (
        <span class="edit-history" role="region" aria-label={t('chat.edit.history')} data-testid="edit-history">
          {error && <span class="error">{error}</span>}
          {!error && !versions && <span class="notice">{t('common.loading')}</span>}
          {versions && (
            <ol>
              {versions.map((v) => {
                const ts = v.edited_at ?? v.ts ?? 0;
                return (
                  <li key={v.version}>
                    <time dateTime={new Date(ts).toISOString()}>{formatFullTime(lang, ts)}</time>
                    <span class="edit-text">{String(v.body.text ?? '')}</span>
                  </li>
                );
              })}
            </ol>
          )}
          <button type="button" class="link" onClick={() => setOpen(false)}>{t('common.close')}</button>
        </span>
      )}
    </span>
  );
}
