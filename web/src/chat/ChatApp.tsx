import type { Route } from '../route';

/** The chat: conversation list and the open conversation. (Being built.) */
export function ChatApp({ route }: { route: Route }) {
  return <main class="chat" data-route={route.parts.join('/')} />;
}
