import { Form, Link, NavLink, useRouteError, useRouteLoaderData } from '@remix-run/react';
import type { ReactNode } from 'react';
import { hasRole, type Role } from '../auth/roles';
import type { MessageKey } from '../i18n/messages';
import { useT } from '../i18n/use-t';
import { CsrfInput } from './csrf-input';
import { ErrorView } from './error-view';
import { FlashMessage } from './flash-message';
import { LanguageSwitch } from './language-switch';
import { SubmitButton } from './submit-button';

/**
 * The dashboard's navigation, in order. A new page adds one line here and a route file
 * `app/routes/_dash.<name>.tsx`; `minRole` hides the link from weaker roles (the route's own
 * requireRole is what actually refuses them).
 */
export const NAV_ITEMS: { to: string; label: MessageKey; minRole: Role; end?: boolean }[] = [
  { to: '/', label: 'nav.overview', minRole: 'viewer', end: true },
  { to: '/orders', label: 'nav.payments', minRole: 'viewer' },
  { to: '/attention', label: 'nav.attention', minRole: 'viewer' },
  { to: '/runs', label: 'nav.runs', minRole: 'viewer' },
  { to: '/alerts', label: 'nav.alerts', minRole: 'viewer' },
  { to: '/stores', label: 'nav.stores', minRole: 'viewer' },
  { to: '/audit', label: 'nav.audit', minRole: 'operator' },
  { to: '/users', label: 'nav.users', minRole: 'admin' },
];

/** What the `_dash` layout loader answers: the signed-in user, for the shell and every page. */
export type DashUser = { id: number; email: string; role: Role };

/** The signed-in user inside any dashboard page (from the `_dash` layout's loader). */
export function useDashUser(): DashUser | null {
  return (useRouteLoaderData('routes/_dash') as { user: DashUser } | undefined)?.user ?? null;
}

export function DashShell({ user, children }: { user: DashUser | null; children: ReactNode }) {
  const t = useT();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skipToContent')}
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          {t('app.name')}
        </Link>
        {user ? (
          // A phone folds the navigation behind a menu button (a checkbox: it works before the
          // page's script loads); wider screens always show it.
          <input type="checkbox" id="nav-toggle" className="nav-toggle" aria-controls="main-nav" />
        ) : null}
        {user ? (
          <label htmlFor="nav-toggle" className="nav-toggle-label">
            {t('nav.menu')}
          </label>
        ) : null}
        {user ? (
          <nav aria-label={t('nav.label')} className="main-nav" id="main-nav">
            {NAV_ITEMS.filter((item) => hasRole(user.role, item.minRole)).map((item) => (
              <NavLink key={item.to} to={item.to} end={item.end}>
                {t(item.label)}
              </NavLink>
            ))}
          </nav>
        ) : (
          <span className="main-nav" />
        )}
        <div className="session-box">
          <LanguageSwitch />
          {user ? (
            <>
              <span className="who" title={t('shell.signedInAs')}>
                <Link to="/account" data-testid="current-user">
                  {user.email}
                </Link>{' '}
                <span className={`badge badge-role-${user.role}`} data-testid="current-role">
                  {t(`role.${user.role}`)}
                </span>
              </span>
              <Form method="post" action="/logout" reloadDocument>
                <CsrfInput />
                <SubmitButton variant="secondary">{t('shell.signOut')}</SubmitButton>
              </Form>
            </>
          ) : null}
        </div>
      </header>
      <main id="main" className="page">
        <FlashMessage />
        {children}
      </main>
    </div>
  );
}

/**
 * The error boundary for dashboard pages: the error inside the shell, so the nav stays. Every
 * `_dash.*` route re-exports it: `export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';`
 */
export function DashErrorBoundary() {
  return <ErrorView error={useRouteError()} />;
}
