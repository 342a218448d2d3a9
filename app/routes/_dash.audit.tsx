import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { requireRole } from '~/auth/guard.server';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { formatDateTime } from '~/i18n/format';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { auditLog } from '~/monitor/dashboard/audit-log.server';
import type { MessageKey } from '~/i18n/messages';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'audit.title');

/** Every operator action, newest first, by actor and action, in pages of AUDIT_PAGE_SIZE (operator and up). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, 'operator');
  return auditLog(context, new URL(request.url).searchParams);
}

/** Target types the catalog names (`audit.target.*`); another shows as stored. */
const TARGET_TYPES = new Set(['order', 'store', 'user', 'run', 'alert_channel', 'alert_incident']);

/** Where an event's target lives in the dashboard, when it has a page. */
function targetHref(type: string | null, id: string | null): string | null {
  if (!type || !id) return null;
  switch (type) {
    case 'order':
      return /^\d+$/.test(id) ? `/orders/${id}` : null;
    case 'store':
      return `/stores/${encodeURIComponent(id)}`;
    case 'run':
      return /^\d+$/.test(id) ? `/runs/${id}` : null;
    case 'user':
      return '/users';
    default:
      return null;
  }
}

export default function Audit() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const { filter } = data;
  const filtered = filter.actor !== '' || filter.action !== '';
  const nextHref = (() => {
    const q = new URLSearchParams();
    if (filter.actor) q.set('actor', filter.actor);
    if (filter.action) q.set('action', filter.action);
    if (data.next) q.set('before', data.next);
    return `?${q}`;
  })();
  const firstHref = (() => {
    const q = new URLSearchParams();
    if (filter.actor) q.set('actor', filter.actor);
    if (filter.action) q.set('action', filter.action);
    const text = q.toString();
    return text ? `?${text}` : '/audit';
  })();

  return (
    <>
      <PageHeader title={t('audit.title')} description={t('audit.intro')} />
      <Form method="get" className="inline-form" style={{ marginBottom: '1rem' }} aria-label={t('audit.filters')}>
        <div className="field">
          <label htmlFor="audit-actor">{t('audit.actor')}</label>
          <select id="audit-actor" name="actor" defaultValue={filter.actor}>
            <option value="">{t('audit.anyone')}</option>
            <option value="system">{t('audit.system')}</option>
            {data.actors.map((a) => (
              <option key={a.id} value={String(a.id)}>
                {a.email}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-action">{t('audit.action')}</label>
          <select id="audit-action" name="action" defaultValue={filter.action}>
            <option value="">{t('audit.anyAction')}</option>
            {data.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-secondary">
          {t('audit.apply')}
        </button>
        {filtered ? <Link to="/audit">{t('audit.reset')}</Link> : null}
      </Form>
      {data.badFilter ? (
        <p className="flash flash-info" role="status">
          {t('audit.badFilter')}
        </p>
      ) : null}

      {data.events.length === 0 ? (
        <EmptyState title={t(filtered ? 'audit.noMatchTitle' : 'audit.emptyTitle')}>
          {t(filtered ? 'audit.noMatchBody' : 'audit.emptyBody')}
        </EmptyState>
      ) : (
        <table className="data-table" data-testid="audit-table">
          <caption className="small muted" style={{ captionSide: 'bottom', textAlign: 'left' }}>
            {t('audit.caption')}
          </caption>
          <thead>
            <tr>
              <th>{t('audit.colAt')}</th>
              <th>{t('audit.actor')}</th>
              <th>{t('audit.action')}</th>
              <th>{t('audit.colTarget')}</th>
              <th>{t('audit.colReason')}</th>
              <th>{t('audit.colChange')}</th>
            </tr>
          </thead>
          <tbody>
            {data.events.map((e) => {
              const href = targetHref(e.targetType, e.targetId);
              const target = e.target ? (
                <>
                  <span className="muted">
                    {TARGET_TYPES.has(e.target.type) ? t(`audit.target.${e.target.type}` as MessageKey) : e.target.type}
                  </span>{' '}
                  <span className="mono" data-testid="audit-target">
                    {e.target.label}
                  </span>
                  {e.target.detail ? <span className="muted"> · {e.target.detail}</span> : null}
                </>
              ) : (
                '—'
              );
              return (
                <tr key={e.id} data-testid={`audit-${e.id}`} style={{ verticalAlign: 'top' }}>
                  <td className="small" style={{ whiteSpace: 'nowrap' }}>
                    {formatDateTime(locale, e.at)}
                  </td>
                  <td className="small">
                    {e.actorUserId === null ? (
                      <span className="badge badge-muted">{t('audit.system')}</span>
                    ) : (
                      e.actorLabel
                    )}
                    {e.ip ? <div className="muted mono">{e.ip}</div> : null}
                  </td>
                  <td>
                    <code>{e.action}</code>
                    {e.outcome === 'refused' ? (
                      <>
                        {' '}
                        <span className="badge badge-warn" data-testid="audit-refused">
                          {t('audit.refused')}
                        </span>
                      </>
                    ) : null}
                  </td>
                  <td className="small">{href ? <Link to={href}>{target}</Link> : target}</td>
                  <td className="small">{e.reason ?? '—'}</td>
                  <td className="small">
                    {e.before || e.after ? (
                      <details>
                        <summary>{t('audit.showChange')}</summary>
                        <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0.5rem' }}>
                          <div>
                            <div className="muted">{t('audit.before')}</div>
                            <pre
                              className="mono"
                              style={{ whiteSpace: 'pre-wrap', margin: 0 }}
                              data-testid="audit-before"
                            >
                              {e.before ?? '—'}
                            </pre>
                          </div>
                          <div>
                            <div className="muted">{t('audit.after')}</div>
                            <pre
                              className="mono"
                              style={{ whiteSpace: 'pre-wrap', margin: 0 }}
                              data-testid="audit-after"
                            >
                              {e.after ?? '—'}
                            </pre>
                          </div>
                        </div>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p>
        {filter.paged ? <Link to={firstHref}>{t('audit.newest')}</Link> : null}{' '}
        {data.next ? (
          <Link to={nextHref} data-testid="audit-older">
            {t('audit.older')}
          </Link>
        ) : null}
      </p>
    </>
  );
}
