import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { EmptyState } from '~/components/empty-state';
import { publicBaseUrl } from '~/http.server';
import { PageHeader } from '~/components/page-header';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { listStoreViews } from '~/monitor/stores/store-admin.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'stores.title');

/** Every store with its settings (never the secret); viewers and up. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const baseUrl = publicBaseUrl(request, context.config.publicUrl);
  return { stores: await listStoreViews(context, baseUrl), canManage: hasRole(user.role, 'admin') };
}

export default function Stores() {
  const { stores, canManage } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const add = canManage ? (
    <Link to="/stores/new" className="btn btn-primary" data-testid="add-store">
      {t('stores.add')}
    </Link>
  ) : undefined;
  return (
    <>
      <PageHeader
        title={t('stores.title')}
        description={t('stores.intro')}
        actions={stores.length > 0 ? add : undefined}
      />
      {stores.length === 0 ? (
        <EmptyState title={t('stores.emptyTitle')} action={add}>
          {t(canManage ? 'stores.emptyBody' : 'stores.emptyBodyViewer')}
        </EmptyState>
      ) : (
        <table className="data-table" data-testid="stores-table">
          <thead>
            <tr>
              <th>{t('stores.colName')}</th>
              <th>{t('stores.field.impCode')}</th>
              <th>{t('stores.field.apiBaseUrl')}</th>
              <th>{t('stores.field.webhookIpPolicy')}</th>
              <th>{t('stores.field.mismatchPolicy')}</th>
              <th>{t('stores.colApiKey')}</th>
              <th>{t('stores.colUpdated')}</th>
            </tr>
          </thead>
          <tbody>
            {stores.map((s) => (
              <tr key={s.slug} data-testid={`store-row-${s.slug}`}>
                <td>
                  <Link to={`/stores/${encodeURIComponent(s.slug)}`}>{s.name}</Link>{' '}
                  <span className="muted mono small">{s.slug}</span>
                  {s.archivedAt ? (
                    <>
                      {' '}
                      <span className="badge badge-muted" data-testid="store-archived">
                        {t('stores.archivedBadge')}
                      </span>
                    </>
                  ) : null}
                </td>
                <td className="mono">{s.impCode}</td>
                <td className="mono small">{s.apiBaseUrl}</td>
                <td>{t(`stores.ipPolicy.${s.webhookIpPolicy}` as MessageKey)}</td>
                <td>{t(`stores.mismatch.${s.mismatchPolicy}` as MessageKey)}</td>
                <td className="mono small">{s.apiKeyPrefix}…</td>
                <td>{formatDateTime(locale, s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
