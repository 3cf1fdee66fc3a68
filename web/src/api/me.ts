// The signed-in user's profile, shared by every screen.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** `GET /api/v1/me`. */
export interface Me {
  user_id: string;
  username: string;
  display_name: string;
  created_at: number;
  role?: string;
}

export const MeContext = createContext<Me | null>(null);

/** The signed-in user (screens under the shell only). */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a session');
  return me;
}
