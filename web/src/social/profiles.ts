// Names and presence of other users, looked up once per page life (`GET /users/{id}`): friend
// requests, blocks and group members carry only ids. The chat core may feed live presence from
// its socket's `presence` frames through `notePresence`, which every panel showing a dot follows.
import { useEffect, useRef, useState } from 'preact/hooks';
import { socialApi, type UserProfile } from './api';

const cache = new Map<string, Promise<UserProfile | null>>();
const livePresence = new Map<string, boolean>();
const listeners = new Set<() => void>();

function changed() {
  listeners.forEach((fn) => fn());
}

/** The profile of `userId` (null when it cannot be read), fetched at most once unless `fresh`. */
export function loadProfile(userId: string, fresh = false): Promise<UserProfile | null> {
  let entry = cache.get(userId);
  if (!entry || fresh) {
    entry = socialApi.profile(userId).catch(() => null);
    cache.set(userId, entry);
    entry.then(changed);
  }
  return entry;
}

/** Records a presence change seen elsewhere (the chat socket's `presence` frame). */
export function notePresence(userId: string, online: boolean) {
  livePresence.set(userId, online);
  changed();
}

/**
 * Profiles of `userIds` as they arrive (missing ones are absent), re-rendered on changes. A new
 * `freshKey` (a reload tick) fetches them again, for presence that moved since.
 */
export function useProfiles(userIds: string[], freshKey?: number): Map<string, UserProfile> {
  const [profiles, setProfiles] = useState<Map<string, UserProfile>>(new Map());
  const key = userIds.join(',');
  const lastFresh = useRef(freshKey);
  useEffect(() => {
    let live = true;
    const fresh = lastFresh.current !== freshKey;
    lastFresh.current = freshKey;
    if (fresh) userIds.forEach((id) => loadProfile(id, true));
    const collect = async () => {
      const found = await Promise.all(userIds.map((id) => loadProfile(id)));
      if (!live) return;
      const next = new Map<string, UserProfile>();
      found.forEach((p) => p && next.set(p.user_id, p));
      setProfiles(next);
    };
    collect();
    listeners.add(collect);
    return () => {
      live = false;
      listeners.delete(collect);
    };
  }, [key, freshKey]);
  return profiles;
}

/** Whether `userId` is online: the socket's word when it spoke, else the profile's presence. */
export function isOnline(userId: string, profile: UserProfile | undefined): boolean | undefined {
  return livePresence.get(userId) ?? profile?.presence?.online;
}

/** The name to show for a user: display name, else the id. */
export function nameOf(userId: string, profiles: Map<string, UserProfile>): string {
  return profiles.get(userId)?.display_name ?? userId;
}
