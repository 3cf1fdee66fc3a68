// The link's state where people see it: "Reconnecting…" while the socket is down.
import { useT } from '../i18n';
import { useChat } from './useChat';

/** A status line announcing connection changes (`data-state`: online, connecting, offline). */
export function ConnState() {
  const store = useChat();
  const t = useT();
  const state = store.socket.state;
  return (
    <p class={`conn conn-${state}`} role="status" data-testid="conn-state" data-state={state}>
      {t(`chat.conn.${state}`)}
    </p>
  );
}
