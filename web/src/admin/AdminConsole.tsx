import type { Route } from '../route';

/** The admin console. (Being built.) */
export function AdminConsole({ route }: { route: Route }) {
  return <main class="admin" data-route={route.parts.join('/')} />;
}
