/** No imports: app/errors.ts (which routes and components import) uses this too. */

/** Socket errors that mean the database server cannot be reached (refused, reset, timed out). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether `error` says the database is down, restarting or unreachable (rather than that a query
 * was wrong): PostgreSQL's connection-exception class (08), an administrator or crash shutdown,
 * "the database system is starting up" (57P01-57P03), too many connections (53300), a socket
 * refused or reset, or node-postgres giving up on a connection. Requests that hit it answer 503
 * (server/app-server.ts); the pool replaces the connection once the server is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (UNREACHABLE_CODES.has(code)) return true;
  }
  // Connecting to "localhost" tries each address: every one refused arrives as an AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/.test(
    error.message,
  );
}
