// The Friends tab of the chat sidebar: friends with presence (a click opens the direct chat),
// pending requests, the add-a-friend form and the block list.
import { useState } from 'preact/hooks';
import { useMe } from '../api/me';
import { useT } from '../i18n';
import { openConversation } from '../route';
import { socialApi, type Friend } from './api';
import { AddFriendForm } from './AddFriendForm';
import { BlockedList } from './BlockedList';
import { ConfirmButton } from './ConfirmButton';
import { directConversation } from './conv';
import { FriendRequests } from './FriendRequests';
import { PresenceDot } from './PresenceDot';
import { MyUserId } from './MyUserId';
import { isOnline, useProfiles } from './profiles';
import { useRefreshTick } from './refresh';
import { useAction } from './useAction';
import { useLoad } from './useLoad';
import './messages';
import './social.css';

async function loadFriendsView() {
  const [friends, incoming, outgoing, blocks] = await Promise.all([
    socialApi.friends(),
    socialApi.requests('incoming'),
    socialApi.requests('outgoing'),
    socialApi.blocks(),
  ]);
  return { friends, incoming, outgoing, blocks };
}

/** The friends panel (no props: the signed-in user comes from `useMe`). */
export function FriendsPanel() {
  const t = useT();
  const tick = useRefreshTick();
  const view = useLoad(loadFriendsView, [tick]);
  const [adding, setAdding] = useState(false);
  const data = view.data;
  return (
    <section class="social-panel" aria-labelledby="friends-title" data-testid="friends-panel">
      <header class="social-head">
        <h2 id="friends-title">{t('social.friends.title')}</h2>
        <button type="button" aria-expanded={adding} aria-controls="add-friend" onClick={() => setAdding(!adding)}>
          {adding ? t('common.close') : t('social.friends.add')}
        </button>
        <button type="button" class="icon" aria-label={t('social.reload')} title={t('social.reload')} onClick={view.reload}>
          ↻
        </button>
      </header>
      <div class="social-scroll">
        <MyUserId />
        {adding && (
          <div id="add-friend">
            <AddFriendForm onSent={view.reload} />
          </div>
        )}
        {view.error && <p class="error" role="alert">{view.error}</p>}
        {!data && !view.error && <p class="notice">{t('common.loading')}</p>}
        {data && (
          <>
            <FriendRequests incoming={data.incoming} outgoing={data.outgoing} onChange={view.reload} />
            <FriendList friends={data.friends} tick={tick} onChange={view.reload} />
            <BlockedList blocks={data.blocks} onChange={view.reload} />
          </>
        )}
      </div>
    </section>
  );
}

function FriendList({ friends, tick, onChange }: { friends: Friend[]; tick: number; onChange: () => void }) {
  const t = useT();
  const profiles = useProfiles(friends.map((f) => f.user.user_id), tick);
  return (
    <section aria-labelledby="friend-list-title" class="social-section">
      <h3 id="friend-list-title">{t('social.friends.list', { count: friends.length })}</h3>
      {friends.length === 0 ? (
        <p class="notice">{t('social.friends.none')}</p>
      ) : (
        <ul class="social-list" data-testid="friend-list">
          {friends.map((friend) => (
            <FriendRow key={friend.user.user_id} friend={friend} online={isOnline(friend.user.user_id, profiles.get(friend.user.user_id))} onChange={onChange} />
          ))}
        </ul>
      )}
    </section>
  );
}

function FriendRow({ friend, online, onChange }: { friend: Friend; online: boolean | undefined; onChange: () => void }) {
  const t = useT();
  const me = useMe();
  const action = useAction();
  const [open, setOpen] = useState(false);
  const user = friend.user;
  const name = friend.remark || user.display_name;
  const actionsId = `friend-actions-${user.user_id}`;
  return (
    <li class="social-row friend">
      <button
        type="button"
        class="social-open"
        onClick={() => openConversation(directConversation(me.user_id, user.user_id))}
        aria-label={t('social.friends.chatWith', { name })}
      >
        <PresenceDot online={online} />
        <span class="social-name">{name}</span>
        {friend.remark && <span class="notice small">{user.display_name}</span>}
      </button>
      <button
        type="button"
        class="icon"
        aria-expanded={open}
        aria-controls={actionsId}
        aria-label={t('social.moreFor', { name })}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <div id={actionsId} class="social-row-actions">
          <span class="notice small">@{user.username}</span>
          <ConfirmButton
            label={t('social.friends.remove')}
            confirmLabel={t('social.friends.confirmRemove')}
            ariaLabel={t('social.friends.removeName', { name })}
            disabled={action.busy}
            onConfirm={() => action.run(() => socialApi.removeFriend(user.user_id)).then(onChange)}
          />
          <button
            type="button"
            class="danger-text"
            disabled={action.busy}
            aria-label={t('social.blockName', { name })}
            onClick={() => action.run(() => socialApi.block(user.user_id)).then(onChange)}
          >
            {t('social.block')}
          </button>
          {action.error && <p class="error" role="alert">{action.error}</p>}
        </div>
      )}
    </li>
  );
}
