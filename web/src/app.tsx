import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api/http';
import { MeContext, type Me } from './api/me';
import { currentUserId, logout, onSessionChange } from './api/session';
import { AuthPage } from './AuthPage';
import { ChatApp } from './chat/ChatApp';
import { DevMount } from './social/DevMount'; // dev harness until the chat sidebar shows the social tabs: remove on merge
import { LangContext, initialLang, persistLang, useT, type Lang } from './i18n';
import { useRoute, type Route } from './route';
import { LangSwitch } from './ui/LangSwitch';
import './messages';

/** The whole app: the sign-in page, or the shell around chat and the admin console. */
export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = (next: Lang) => {
    persistLang(next);
    setLangState(next);
  };
  useEffect(() => persistLang(lang), []);
  const [signedIn, setSignedIn] = useState(currentUserId() !== null);
  const [ended, setEnded] = useState(false);
  useEffect(
    () =>
      onSessionChange((now) => {
        setSignedIn(now);
        if (!now) setEnded(true);
      }),
    [],
  );
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      {signedIn ? <Session /> : <AuthPageWithNotice ended={ended} />}
    </LangContext.Provider>
  );
}

function AuthPageWithNotice({ ended }: { ended: boolean }) {
  const t = useT();
  return <AuthPage notice={ended ? t('auth.ended') : undefined} />;
}

/** A signed-in session: loads the profile, then shows the shell. */
function Session() {
  const t = useT();
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    api<Me>('GET', '/api/v1/me').then(setMe, () => {});
  }, []);
  if (!me) return <p class="loading">{t('common.loading')}</p>;
  return (
    <MeContext.Provider value={me}>
      <Shell me={me} />
    </MeContext.Provider>
  );
}

/** The admin console, loaded only when an admin opens it (it carries the charts). */
function useAdminConsole(wanted: boolean): ComponentType<{ route: Route }> | null {
  const [component, setComponent] = useState<ComponentType<{ route: Route }> | null>(null);
  useEffect(() => {
    if (wanted && !component) import('./admin/AdminConsole').then((m) => setComponent(() => m.AdminConsole));
  }, [wanted]);
  return component;
}

function Shell({ me }: { me: Me }) {
  const t = useT();
  const route = useRoute();
  const isAdmin = me.role === 'admin';
  const inAdmin = isAdmin && route.parts[0] === 'admin';
  const Admin = useAdminConsole(inAdmin);
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/">{t('app.name')}</a>
        <nav aria-label={t('nav.main')}>
          <a href="#/" aria-current={inAdmin ? undefined : 'page'}>{t('nav.chat')}</a>
          {isAdmin && (
            <a href="#/admin" aria-current={inAdmin ? 'page' : undefined} data-testid="nav-admin">
              {t('nav.admin')}
            </a>
          )}
        </nav>
        <span class="spacer" />
        <span class="who" data-testid="me">{me.display_name}</span>
        <LangSwitch />
        <button type="button" onClick={() => logout()} data-testid="logout">{t('auth.logout')}</button>
      </header>
      <div class="workspace">
        {route.parts[0] === 'social-dev' && <DevMount />}
        {inAdmin ? Admin ? <Admin route={route} /> : <p class="loading">{t('common.loading')}</p> : <ChatApp route={route} />}
      </div>
    </div>
  );
}
