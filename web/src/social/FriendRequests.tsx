// Pending friend requests: the ones to the caller (accept, decline, block the asker) and the
// ones the caller sent (shown as waiting: the server has no route to withdraw a request).
import { useT } from '../i18n';
import { socialApi, type FriendRequest } from './api';
import { nameOf, useProfiles } from './profiles';
import { useAction } from './useAction';

/** Incoming and outgoing pending requests; `onChange` reloads the panel after an answer. */
export function FriendRequests(props: { incoming: FriendRequest[]; outgoing: FriendRequest[]; onChange: () => void }) {
  const t = useT();
  const action = useAction();
  const profiles = useProfiles([...props.incoming.map((r) => r.from), ...props.outgoing.map((r) => r.to)]);
  const answer = (request: FriendRequest, how: 'accept' | 'reject') =>
    action.run(() => socialApi.answerRequest(request.request_id, how)).then(props.onChange);
  const block = (request: FriendRequest) =>
    action
      .run(async () => {
        await socialApi.answerRequest(request.request_id, 'reject');
        await socialApi.block(request.from);
      })
      .then(props.onChange);

  if (props.incoming.length === 0 && props.outgoing.length === 0) return null;
  return (
    <section aria-labelledby="friend-requests-title" class="social-section">
      <h3 id="friend-requests-title">{t('social.requests.title')}</h3>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      <ul class="social-list" aria-label={t('social.requests.incoming')} data-testid="incoming-requests">
        {props.incoming.map((request) => {
          const name = nameOf(request.from, profiles);
          return (
            <li key={request.request_id} class="social-row request">
              <div class="social-main">
                <span class="social-name">{name}</span>
                <span class="notice small">{t('social.requests.wantsToBeFriends')}</span>
                {request.message && <q class="social-note">{request.message}</q>}
              </div>
              <div class="social-actions">
                <button type="button" class="primary" disabled={action.busy} onClick={() => answer(request, 'accept')} aria-label={t('social.requests.acceptFrom', { name })}>
                  {t('social.requests.accept')}
                </button>
                <button type="button" disabled={action.busy} onClick={() => answer(request, 'reject')} aria-label={t('social.requests.declineFrom', { name })}>
                  {t('social.requests.decline')}
                </button>
                <button type="button" class="danger-text" disabled={action.busy} onClick={() => block(request)} aria-label={t('social.blockName', { name })}>
                  {t('social.block')}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {props.outgoing.length > 0 && (
        <ul class="social-list" aria-label={t('social.requests.outgoing')} data-testid="outgoing-requests">
          {props.outgoing.map((request) => (
            <li key={request.request_id} class="social-row">
              <div class="social-main">
                <span class="social-name">{nameOf(request.to, profiles)}</span>
                <span class="notice small">{t('social.requests.waiting')}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
