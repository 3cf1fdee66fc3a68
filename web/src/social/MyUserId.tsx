// The caller's own user id with a copy button: friend requests go by id (the server has no
// lookup by username), so people need to see and hand on theirs.
import { useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { useT } from '../i18n';

/** "Your user id: u_… [Copy]". */
export function MyUserId() {
  const t = useT();
  const me = useMe();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(me.user_id);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // No clipboard permission: the id stays selectable on screen.
    }
  };
  return (
    <p class="social-myid">
      {t('social.friends.myId')} <code data-testid="my-user-id">{me.user_id}</code>{' '}
      <button type="button" class="link" onClick={copy} aria-label={t('social.copyMyId')}>
        {copied ? t('social.copied') : t('social.copy')}
      </button>
    </p>
  );
}
