import { NavLink } from '@remix-run/react';
import type { MessageKey } from '~/i18n/messages';
import { useT } from '~/i18n/use-t';

/** The three alert pages' sub-navigation. */
export function AlertTabs() {
  const t = useT();
  const items: [string, MessageKey][] = [
    ['/alerts', 'alerts.nav.incidents'],
    ['/alerts/rules', 'alerts.nav.rules'],
    ['/alerts/channels', 'alerts.nav.channels'],
  ];
  return (
    <nav className="inline-form" aria-label={t('nav.alerts')} data-testid="alert-tabs">
      {items.map(([to, label]) => (
        <NavLink key={to} to={to} end className={({ isActive }) => `btn ${isActive ? 'btn-primary' : 'btn-secondary'}`}>
          {t(label)}
        </NavLink>
      ))}
    </nav>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  const t = useT();
  const className =
    severity === 'critical'
      ? 'badge badge-role-admin'
      : severity === 'warning'
        ? 'badge badge-role-operator'
        : 'badge badge-muted';
  return (
    <span className={className} data-severity={severity}>
      {t(`alerts.severity.${severity}` as MessageKey)}
    </span>
  );
}
