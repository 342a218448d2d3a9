import { isRouteErrorResponse, Link } from '@remix-run/react';
import { isRole } from '../auth/roles';
import { useT } from '../i18n/use-t';
import type { MessageKey } from '../i18n/messages';

type ErrorBody = { error?: { code?: string; reason?: string; required?: string } };

/** The status and the catalog message for a thrown route error (403 role/CSRF, 404, 429, …). */
export function describeRouteError(error: unknown): { status: number; key: MessageKey; role?: string } {
  if (!isRouteErrorResponse(error)) return { status: 500, key: 'error.generic' };
  const body = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as ErrorBody;
  const reason = body.error?.reason;
  switch (error.status) {
    case 400:
      return { status: 400, key: 'error.badRequest' };
    case 403:
      if (reason === 'csrf_missing' || reason === 'csrf_invalid') return { status: 403, key: `error.${reason}` };
      if (reason === 'role' && isRole(body.error?.required))
        return { status: 403, key: 'error.role', role: body.error.required };
      return { status: 403, key: 'error.forbidden' };
    case 404:
      return { status: 404, key: 'error.notFound' };
    case 413:
      return { status: 413, key: 'error.tooLarge' };
    case 429:
      return { status: 429, key: 'error.rateLimited' };
    default:
      return { status: error.status, key: 'error.generic' };
  }
}

/** The body of an error boundary: what happened, in the visitor's language, and a way back. */
export function ErrorView({ error }: { error: unknown }) {
  const t = useT();
  const { status, key, role } = describeRouteError(error);
  return (
    <section className="error-view" role="alert">
      <h1>{t('error.status', { status })}</h1>
      <p data-testid="error-message">{t(key, role ? { role: t(`role.${role}` as MessageKey) } : undefined)}</p>
      <p>
        <Link to="/">{t('error.home')}</Link>
      </p>
    </section>
  );
}
