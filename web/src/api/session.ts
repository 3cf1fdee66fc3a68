// The signed-in session: tokens, refresh and logout. Tokens live in this module's memory; only
// the refresh token is also kept in `sessionStorage` (this tab only, gone when it closes) so a
// reload stays signed in. Nothing else in the app can read them: `accessToken()` hands the
// current one to the HTTP and WebSocket layers. See docs/security.md, "The web app".
import { ApiError, errorOf } from './errors';

/** What login answers. */
interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user_id: string;
}

const REFRESH_KEY = 'tidings.refresh';
const USER_KEY = 'tidings.user';
const DEVICE_KEY = 'tidings.device';

let access: string | null = null;
let accessExpiresAt = 0;
let refreshToken: string | null = sessionStorage.getItem(REFRESH_KEY);
let userId: string | null = sessionStorage.getItem(USER_KEY);
let refreshing: Promise<string> | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

/** This browser's device id: random, kept for good so the server sees one device per browser. */
export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = 'web-' + crypto.randomUUID();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** The signed-in user's id, or null. */
export function currentUserId(): string | null {
  return refreshToken ? userId : null;
}

/** Calls `fn` whenever the session starts or ends; returns the unsubscribe. */
export function onSessionChange(fn: (signedIn: boolean) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function store(tokens: Tokens) {
  access = tokens.access_token;
  accessExpiresAt = Date.now() + (tokens.expires_in - 30) * 1000;
  refreshToken = tokens.refresh_token;
  userId = tokens.user_id;
  sessionStorage.setItem(REFRESH_KEY, refreshToken);
  sessionStorage.setItem(USER_KEY, userId);
}

/** Forgets the session (after logout, revocation or a disabled account) and tells listeners. */
export function endSession() {
  const was = refreshToken !== null;
  access = null;
  refreshToken = null;
  userId = null;
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(USER_KEY);
  if (was) listeners.forEach((fn) => fn(false));
}

async function post(path: string, body: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
}

/** Signs in on this browser's device; the session is this tab's until logout. */
export async function login(username: string, password: string): Promise<void> {
  const response = await post('/api/v1/auth/login', { username, password, device_id: deviceId(), platform: 'web' });
  if (!response.ok) throw await errorOf(response);
  store(await response.json());
  listeners.forEach((fn) => fn(true));
}

/** Creates an account (then call `login`). */
export async function register(username: string, password: string, displayName?: string): Promise<void> {
  const body: Record<string, string> = { username, password };
  if (displayName) body.display_name = displayName;
  const response = await post('/api/v1/auth/register', body);
  if (!response.ok) throw await errorOf(response);
}

/** Trades the refresh token for a new pair; one refresh at a time however many callers wait. */
function refresh(): Promise<string> {
  if (!refreshing) {
    refreshing = (async () => {
      const token = refreshToken;
      if (!token) throw new ApiError(401, 'unauthorized', 'not signed in');
      const response = await post('/api/v1/auth/refresh', { refresh_token: token });
      if (!response.ok) {
        const error = await errorOf(response);
        // A revoked, reused or disabled session cannot come back: sign out.
        if (response.status === 401 || response.status === 403) endSession();
        throw error;
      }
      store(await response.json());
      return access!;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** A current access token, refreshed first when it is missing or about to expire. */
export async function accessToken(forceRefresh = false): Promise<string> {
  if (!forceRefresh && access && Date.now() < accessExpiresAt) return access;
  return refresh();
}

/** Ends the session on the server (its sockets close) and here. */
export async function logout(): Promise<void> {
  try {
    if (access) await post('/api/v1/auth/logout', {}, access);
  } finally {
    endSession();
  }
}
