// Usernames for user ids (group members, flag authors): the admin API has no batch lookup, so
// each id is read once with `GET /admin/v1/users/{id}`, a few at a time, and kept for the tab.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/http';
import type { AdminUser } from './types';

const known = new Map<string, AdminUser | null>();
const waiting = new Map<string, Promise<void>>();

function fetchOne(id: string): Promise<void> {
  let load = waiting.get(id);
  if (!load) {
    load = api<AdminUser>('GET', `/admin/v1/users/${encodeURIComponent(id)}`).then(
      (user) => void known.set(id, user),
      () => void known.set(id, null),
    );
    waiting.set(id, load);
  }
  return load;
}

/** The accounts of `ids` that are known so far (re-renders as more arrive). */
export function useUsers(ids: string[]): Map<string, AdminUser | null> {
  const [, setVersion] = useState(0);
  const key = ids.join(',');
  useEffect(() => {
    let alive = true;
    const missing = ids.filter((id) => !known.has(id));
    (async () => {
      for (let i = 0; i < missing.length && alive; i += 4) {
        await Promise.all(missing.slice(i, i + 4).map(fetchOne));
        if (alive) setVersion((v) => v + 1);
      }
    })();
    return () => {
      alive = false;
    };
  }, [key]);
  return known;
}

/** `username (display name)` for an id, or the id itself until it is known. */
export function userLabel(users: Map<string, AdminUser | null>, id: string): string {
  const user = users.get(id);
  if (!user) return id;
  return user.display_name && user.display_name !== user.username ? `${user.username} (${user.display_name})` : user.username;
}
