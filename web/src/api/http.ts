// JSON over HTTP with the session's bearer token: one retry after a refresh when the token
// expired, errors as ApiError with the server's stable code.
import { accessToken, endSession } from './session';
import { ApiError, errorOf } from './errors';

/** Options of one call. */
export interface CallOptions {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** A body sent as it is (an upload) instead of JSON. */
  raw?: BodyInit;
  /** The raw body's content type. */
  contentType?: string;
  /** Cancels the call. */
  signal?: AbortSignal;
}

function url(path: string, query?: CallOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The authenticated response of `method path` (any status but 401/403 session errors). */
export async function fetchAuthed(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken(attempt > 0);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: BodyInit | undefined;
    if (options.raw !== undefined) {
      payload = options.raw;
      if (options.contentType) headers['content-type'] = options.contentType;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(url(path, options.query), { method, headers, body: payload, signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw new ApiError(0, 'network', 'the server cannot be reached');
    }
    if (response.status === 401 && attempt === 0) {
      const error = await errorOf(response.clone());
      if (error.code === 'token_expired') continue;
      endSession();
      throw error;
    }
    if (response.status === 403) {
      const error = await errorOf(response.clone());
      if (error.code === 'account_disabled') {
        endSession();
        throw error;
      }
    }
    return response;
  }
}

/** Calls `method path` with a JSON body and returns the JSON answer (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const response = await fetchAuthed(method, path, body, options);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
