// Development only, until the chat's sidebar shows these panels: `#/social-dev` mounts the three
// panels behind tabs named as the chat's will be ("Friends", "Groups", "Search"), at sidebar
// width, so the same browser steps run before and after the merge. The lead removes its route.
import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { FriendsPanel } from './FriendsPanel';
import { GroupsPanel } from './GroupsPanel';
import { SearchPanel } from './SearchPanel';
import './messages';

const TABS = [
  { id: 'friends', label: 'social.friends.title', Panel: FriendsPanel },
  { id: 'groups', label: 'social.groups.title', Panel: GroupsPanel },
  { id: 'search', label: 'social.search.title', Panel: SearchPanel },
] as const;

/** The three panels in a 300 px sidebar with an ARIA tab list. */
export function DevMount() {
  const t = useT();
  const [current, setCurrent] = useState<(typeof TABS)[number]['id']>('friends');
  const tab = TABS.find((x) => x.id === current)!;
  return (
    <div class="social-dev">
      <aside class="social-dev-sidebar">
        <div role="tablist" aria-label="Social (dev)" class="social-dev-tabs">
          {TABS.map((x) => (
            <button
              key={x.id}
              type="button"
              role="tab"
              id={`social-dev-tab-${x.id}`}
              aria-selected={x.id === current}
              aria-controls="social-dev-panel"
              tabIndex={x.id === current ? 0 : -1}
              onClick={() => setCurrent(x.id)}
            >
              {t(x.label)}
            </button>
          ))}
        </div>
        <div role="tabpanel" id="social-dev-panel" aria-labelledby={`social-dev-tab-${current}`} class="social-dev-panel">
          <tab.Panel />
        </div>
      </aside>
    </div>
  );
}
