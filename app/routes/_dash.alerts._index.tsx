import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { AlertTabs, SeverityBadge } from '~/components/alert-bits';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { requireUser } from '~/auth/guard.server';
import { incidentList, INCIDENT_STATES } from '~/alerts/pages.server';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'alerts.title');

const querySchema = z.object({ state: z.enum(INCIDENT_STATES).catch('open') });

/** Incidents by state (viewer and up). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  const { state } = querySchema.parse({ state: new URL(request.url).searchParams.get('state') ?? 'open' });
  return incidentList(context, state);
}

export default function AlertsPage() {
  const page = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <PageHeader title={t('alerts.title')} description={t('alerts.intro')} />
      <AlertTabs />
      <nav className="inline-form" aria-label={t('alerts.col.state')}>
        {INCIDENT_STATES.map((state) => (
          <Link
            key={state}
            to={`/alerts?state=${state}`}
            className={`btn ${state === page.state ? 'btn-primary' : 'btn-secondary'}`}
            data-testid={`state-${state}`}
          >
            {t(`alerts.state.${state}` as MessageKey)} ({page.counts[state] ?? 0})
          </Link>
        ))}
      </nav>
      {page.incidents.length === 0 ? (
        <EmptyState title={t('alerts.emptyTitle')}>{t('alerts.emptyBody')}</EmptyState>
      ) : (
        <table className="data-table" data-testid="incidents">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('alerts.col.severity')}</th>
              <th scope="col">{t('alerts.col.rule')}</th>
              <th scope="col">{t('alerts.col.store')}</th>
              <th scope="col">{t('alerts.col.subject')}</th>
              <th scope="col">{t('alerts.col.opened')}</th>
              <th scope="col">{t('alerts.col.events')}</th>
            </tr>
          </thead>
          <tbody>
            {page.incidents.map((i) => (
              <tr key={i.id} data-testid="incident-row" data-rule={i.rule}>
                <td>
                  <Link to={`/alerts/incidents/${i.id}`}>#{i.id}</Link>
                </td>
                <td>
                  <SeverityBadge severity={i.severity} />
                </td>
                <td>
                  <Link to={`/alerts/incidents/${i.id}`}>{t(`alerts.rule.${i.rule}` as MessageKey)}</Link>
                  {i.mutedUntil ? (
                    <div className="small muted">
                      {t('alerts.muted', { time: formatDateTime(locale, i.mutedUntil) })}
                    </div>
                  ) : null}
                </td>
                <td>{i.storeName ?? t('alerts.system')}</td>
                <td className="mono small">{i.subject}</td>
                <td className="small">{formatDateTime(locale, i.openedAt)}</td>
                <td>{i.eventCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
