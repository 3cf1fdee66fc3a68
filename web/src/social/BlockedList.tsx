// The users the caller blocks, each with an unblock button.
import { useT } from '../i18n';
import { socialApi, type Block } from './api';
import { nameOf, useProfiles } from './profiles';
import { useAction } from './useAction';

/** The block list; `onChange` reloads the panel after an unblock. */
export function BlockedList({ blocks, onChange }: { blocks: Block[]; onChange: () => void }) {
  const t = useT();
  const action = useAction();
  const profiles = useProfiles(blocks.map((b) => b.user_id));
  if (blocks.length === 0) return null;
  return (
    <section aria-labelledby="blocked-title" class="social-section">
      <h3 id="blocked-title">{t('social.blocked.title')}</h3>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      <ul class="social-list" data-testid="blocked-list">
        {blocks.map((block) => {
          const name = nameOf(block.user_id, profiles);
          return (
            <li key={block.user_id} class="social-row">
              <span class="social-main social-name">{name}</span>
              <button
                type="button"
                disabled={action.busy}
                aria-label={t('social.unblockName', { name })}
                onClick={() => action.run(() => socialApi.unblock(block.user_id)).then(onChange)}
              >
                {t('social.unblock')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
