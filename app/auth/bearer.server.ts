import { safeEqual, sha256Hex } from './crypto.server';

/**
 * True when no token is configured, or the request carries `Authorization: Bearer <token>`.
 * Compared as SHA-256 digests in constant time, so not even the token's length leaks.
 */
export function bearerAllowed(request: Request, token: string | null): boolean {
  if (token === null) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
  return match !== null && safeEqual(sha256Hex(match[1]!), sha256Hex(token));
}
