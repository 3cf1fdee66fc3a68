// The chat store handed to every chat component, and a hook that re-renders on its changes.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { ChatStore } from '../api/store';

/** The signed-in user's chat store (one per session). */
export const ChatContext = createContext<ChatStore | null>(null);

/** The store, re-rendering the caller whenever it changes. */
export function useChat(): ChatStore {
  const store = useContext(ChatContext);
  if (!store) throw new Error('useChat outside ChatApp');
  const [, setRevision] = useState(store.revision);
  useEffect(() => store.subscribe(() => setRevision(store.revision)), [store]);
  return store;
}

/** A display name for a user: the cached profile, else the fallback (fetching the profile once). */
export function useUserName(store: ChatStore, userId: string, fallback?: string): string {
  const profile = store.profiles.get(userId);
  useEffect(() => {
    if (userId && !profile && !fallback) void store.profile(userId);
  }, [userId, profile, fallback]);
  return profile?.display_name ?? fallback ?? userId;
}
