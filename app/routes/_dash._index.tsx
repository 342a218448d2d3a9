import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link } from '@remix-run/react';
import { requireUser } from '~/auth/guard.server';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'overview.title');

/** The overview (placeholder until the charts land): signed-in users only. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  return null;
}

export default function Overview() {
  const t = useT();
  return (
    <>
      <PageHeader title={t('overview.title')} description={t('app.tagline')} />
      <EmptyState title={t('overview.emptyTitle')} action={<Link to="/orders">{t('overview.emptyAction')}</Link>}>
        {t('overview.emptyBody')}
      </EmptyState>
    </>
  );
}
