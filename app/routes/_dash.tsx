import type { LoaderFunctionArgs } from '@remix-run/node';
import { Outlet, useLoaderData, useRouteError } from '@remix-run/react';
import { requireUser } from '~/auth/guard.server';
import { DashShell, type DashUser } from '~/components/dash-shell';
import { ErrorView } from '~/components/error-view';

/**
 * The dashboard layout (pathless): every `_dash.*` page renders inside the shell. This loader
 * signs visitors in; each page's own loader must still call requireUser/requireRole, because
 * loaders run in parallel and a page's data is served without this one (single fetch).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { user: { id: user.id, email: user.email, role: user.role } satisfies DashUser };
}

export default function DashLayout() {
  const { user } = useLoaderData<typeof loader>();
  return (
    <DashShell user={user}>
      <Outlet />
    </DashShell>
  );
}

export function ErrorBoundary() {
  return (
    <DashShell user={null}>
      <ErrorView error={useRouteError()} />
    </DashShell>
  );
}
