// The chat: the sidebar (tabs, conversation list, connection state) and the open conversation.
// One ChatStore per session holds the socket, the list, the timelines and the outbox.
import { useEffect, useMemo } from 'preact/hooks';
import { ChatStore } from '../api/store';
import { useMe } from '../api/me';
import { useT } from '../i18n';
import type { Route } from '../route';
import { ConversationView } from './ConversationView';
import { Sidebar } from './Sidebar';
import { ChatContext } from './useChat';
import './messages';
import './chat.css';

/** The chat screen at `#/` and `#/c/<conv>?seq=N`. */
export function ChatApp({ route }: { route: Route }) {
  const me = useMe();
  const t = useT();
  const store = useMemo(() => new ChatStore(me.user_id), [me.user_id]);
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, [store]);
  const conv = route.parts[0] === 'c' ? route.parts[1] : undefined;
  const seqParam = Number(route.query.get('seq'));
  const seq = Number.isInteger(seqParam) && seqParam > 0 ? seqParam : undefined;
  return (
    <ChatContext.Provider value={store}>
      <main class={conv ? 'chat has-conv' : 'chat'}>
        {/* The page's one h1, for screen readers' heading navigation; the layout shows no title. */}
        <h1 class="sr-only">{t('nav.chat')}</h1>
        <Sidebar current={conv} />
        {conv ? <ConversationView key={conv} conv={conv} seq={seq} /> : <EmptyPane />}
      </main>
    </ChatContext.Provider>
  );
}


function EmptyPane() {
  const t = useT();
  return (
    <section class="conv-empty" aria-label={t('chat.conversation')}>
      <p class="notice">{t('chat.pick')}</p>
    </section>
  );
}
