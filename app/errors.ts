import { isDatabaseUnavailable } from '../db/unavailable';

/** The closed set of error codes the app answers with. */
export type AppErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'gateway_unavailable'
  | 'database_unavailable'
  | 'internal';

const statusByCode: Record<AppErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  gateway_unavailable: 503,
  database_unavailable: 503,
  internal: 500,
};

/** An error whose message is safe to show to the caller. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = statusByCode[code];
  }
}

/** Seconds a client is asked to wait while the database is unreachable (a restart takes a few). */
export const DATABASE_RETRY_AFTER_S = 5;

/**
 * Turns any thrown value into a JSON response; unknown errors become a 500 with no detail, except
 * the database being down or restarting: a 503 with Retry-After.
 */
export function errorResponse(error: unknown, headers?: HeadersInit): Response {
  if (!(error instanceof AppError) && isDatabaseUnavailable(error)) {
    const unavailable = new AppError(
      'database_unavailable',
      'The database cannot be reached right now. Try again in a few seconds.',
    );
    const withRetry = new Headers(headers);
    withRetry.set('Retry-After', String(DATABASE_RETRY_AFTER_S));
    return errorResponse(unavailable, withRetry);
  }
  const appError = error instanceof AppError ? error : new AppError('internal', 'Internal error');
  const body = { error: { code: appError.code, message: appError.message, ...(appError.details ?? {}) } };
  return Response.json(body, { status: appError.status, headers });
}
