// The sidebar: connection state, tabs ("Chats" first, then the social area's panels) and the
// new-chat form. Social panels load only when their tab is opened.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { ConnState } from './ConnState';
import { ConversationList } from './ConversationList';
import { NewChat } from './NewChat';

type TabId = 'chats' | 'friends' | 'groups' | 'search';
const TABS: TabId[] = ['chats', 'friends', 'groups', 'search'];

// ---- Slots of the social area (web/src/social/, built by the social engineer) ----
// Each tab renders the named component of its module; the chat only hosts them.
const SOCIAL_PANELS: Record<Exclude<TabId, 'chats'>, () => Promise<ComponentType>> = {
  friends: () => import('../social/FriendsPanel').then((m) => m.FriendsPanel),
  groups: () => import('../social/GroupsPanel').then((m) => m.GroupsPanel),
  search: () => import('../social/SearchPanel').then((m) => m.SearchPanel),
};

/** The left column; `current` is the open conversation (highlighted in the list). */
export function Sidebar({ current }: { current?: string }) {
  const t = useT();
  const [tab, setTab] = useState<TabId>('chats');
  const onKey = (event: KeyboardEvent) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length];
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <aside class="sidebar" aria-label={t('chat.sidebar')}>
      <ConnState />
      <div class="tabs" role="tablist" aria-label={t('chat.sidebar')} onKeyDown={onKey}>
        {TABS.map((id) => (
          <button
            type="button"
            role="tab"
            id={`tab-${id}`}
            key={id}
            aria-selected={tab === id}
            aria-controls={`panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            data-testid={`tab-${id}`}
            onClick={() => setTab(id)}
          >
            {t(`chat.tab.${id}`)}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'chats' ? (
          <>
            <NewChat />
            <ConversationList current={current} />
          </>
        ) : (
          <SocialPanel load={SOCIAL_PANELS[tab]} />
        )}
      </div>
    </aside>
  );
}

function SocialPanel({ load }: { load: () => Promise<ComponentType> }) {
  const t = useT();
  const [Panel, setPanel] = useState<ComponentType | null>(null);
  useEffect(() => {
    let live = true;
    setPanel(null);
    load().then((component) => live && setPanel(() => component));
    return () => {
      live = false;
    };
  }, [load]);
  return Panel ? <Panel /> : <p class="loading">{t('common.loading')}</p>;
}
