// The admin console: a side nav (a top row on a phone) and the section the route names,
// `#/admin` (dashboard), `#/admin/users`, `#/admin/groups/<id>`, … Loaded only for admins.
import type { ComponentType } from 'preact';
import { useT } from '../i18n';
import type { Route } from '../route';
import { ApiKeys } from './ApiKeys';
import { Bots } from './Bots';
import { Dashboard } from './Dashboard';
import { Filters } from './Filters';
import { Groups } from './Groups';
import { Users } from './Users';
import { Webhooks } from './Webhooks';
import './messages';
import './admin.css';

/** What a section screen receives: the route segments after its own name. */
export interface SectionProps {
  rest: string[];
}

const SECTIONS: { key: string; label: string; screen: ComponentType<SectionProps> }[] = [
  { key: '', label: 'admin.nav.dashboard', screen: Dashboard },
  { key: 'users', label: 'admin.nav.users', screen: Users },
  { key: 'groups', label: 'admin.nav.groups', screen: Groups },
  { key: 'api-keys', label: 'admin.nav.apiKeys', screen: ApiKeys },
  { key: 'webhooks', label: 'admin.nav.webhooks', screen: Webhooks },
  { key: 'filters', label: 'admin.nav.filters', screen: Filters },
  { key: 'bots', label: 'admin.nav.bots', screen: Bots },
];

/** The admin console for `#/admin…` routes. */
export function AdminConsole({ route }: { route: Route }) {
  const t = useT();
  const key = route.parts[1] ?? '';
  const section = SECTIONS.find((s) => s.key === key);
  const Screen = section?.screen;
  return (
    <div class="admin">
      <nav class="admin-nav" aria-label={t('admin.nav.label')}>
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.key}>
              <a href={s.key ? `#/admin/${s.key}` : '#/admin'} aria-current={s === section ? 'page' : undefined}>
                {t(s.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {/* Focusable, so a keyboard can scroll a section that has nothing else to focus (the dashboard). */}
      <main class="admin-main" data-route={route.parts.join('/')} tabIndex={0} aria-label={t(section?.label ?? 'admin.nav.label')}>
        {Screen ? <Screen key={key} rest={route.parts.slice(2)} /> : <p class="error">{t('admin.unknownSection')}</p>}
      </main>
    </div>
  );
}
