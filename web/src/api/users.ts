// Finding a person to add or message: by exact username (`GET /users?username=`) or by user id.
import { ApiError } from './errors';
import { api } from './http';
import type { UserProfile } from './wire';

const USER_ID = /^u_[0-9A-Z]{26}$/;

/** The account named by `text` (a username in any case, or a `u_…` id), or null if none. */
export async function findUser(text: string): Promise<UserProfile | null> {
  const wanted = text.trim().replace(/^@/, '');
  if (!wanted) return null;
  if (USER_ID.test(wanted)) {
    try {
      return await api<UserProfile>('GET', `/api/v1/users/${encodeURIComponent(wanted)}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return null;
      throw error;
    }
  }
  const found = await api<{ users: UserProfile[] }>('GET', '/api/v1/users', undefined, { query: { username: wanted } });
  return found.users[0] ?? null;
}
