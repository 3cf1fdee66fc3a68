// Calls to `/integration/v1` for the webhooks screen. The admin API has no webhook routes:
// webhooks are managed with an API key holding `webhooks:manage` (docs/admin.md). The console
// keeps such a key in this module's memory only (never stored): gone on reload.
import { ApiError, errorOf } from '../api/errors';

let key: string | null = null;
const listeners = new Set<() => void>();

/** The integration key in use, or null. */
export function integrationKey(): string | null {
  return key;
}

/** Uses `next` (a `tk_…` key) for webhook calls from now on; null forgets it. */
export function setIntegrationKey(next: string | null) {
  key = next;
  listeners.forEach((fn) => fn());
}

/** Calls `fn` when the key changes; returns the unsubscribe. */
export function onIntegrationKey(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** `method /integration/v1{path}` with the key; the JSON answer (undefined for 204). */
export async function integration<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T> {
  if (!key) throw new ApiError(401, 'unauthorized', 'no integration key');
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, v);
  const search = params.toString();
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/integration/v1${path}${search ? '?' + search : ''}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
