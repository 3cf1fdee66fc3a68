/** A failed call, as the server explained it: `{error: {code, message}}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** When one more attempt would be accepted (`rate_limited`), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Whether trying again later may succeed (the server was busy, draining or unreachable). */
  get retriable(): boolean {
    return ['busy', 'draining', 'rate_limited', 'content_check_unavailable', 'network'].includes(this.code);
  }
}

/** The ApiError for a response that failed, read from its body when it has the error shape. */
export async function errorOf(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = response.statusText || 'request failed';
  let retryAfterMs: number | undefined;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'object' && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
      if (typeof body.error.retry_after_ms === 'number') retryAfterMs = body.error.retry_after_ms;
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, code, message, retryAfterMs);
}
