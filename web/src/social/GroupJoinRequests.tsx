// Pending requests to join a group, for its owner and admins to approve or reject.
import { useT } from '../i18n';
import { groupApi } from './api';
import { nameOf, useProfiles } from './profiles';
import { useAction } from './useAction';
import { useLoad } from './useLoad';

/** The pending join requests of `groupId` (nothing when there are none). */
export function GroupJoinRequests({ groupId, onChange }: { groupId: string; onChange: () => void }) {
  const t = useT();
  const requests = useLoad(() => groupApi.joinRequests(groupId), [groupId]);
  const profiles = useProfiles((requests.data ?? []).map((r) => r.user_id));
  const action = useAction();
  const answer = (requestId: string, how: 'approve' | 'reject') =>
    action.run(() => groupApi.answerJoin(groupId, requestId, how)).then(() => {
      requests.reload();
      onChange();
    });
  if (requests.error) return <p class="error">{requests.error}</p>;
  if (!requests.data || requests.data.length === 0) return null;
  return (
    <section class="social-section" aria-labelledby="join-requests-title">
      <h3 id="join-requests-title">{t('social.groups.joinRequests')}</h3>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      <ul class="social-list">
        {requests.data.map((request) => {
          const name = nameOf(request.user_id, profiles);
          return (
            <li key={request.request_id} class="social-row request">
              <div class="social-main">
                <span class="social-name">{name}</span>
                {request.message && <q class="social-note">{request.message}</q>}
              </div>
              <div class="social-actions">
                <button type="button" class="primary" disabled={action.busy} aria-label={t('social.groups.approveName', { name })} onClick={() => answer(request.request_id, 'approve')}>
                  {t('social.groups.approve')}
                </button>
                <button type="button" disabled={action.busy} aria-label={t('social.groups.rejectName', { name })} onClick={() => answer(request.request_id, 'reject')}>
                  {t('social.groups.reject')}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
