import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { authorizeAction, requireRole } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { PageHeader } from '~/components/page-header';
import { ApiKeyCallout, SharedCredentialWarnings, StoreForm, UrlsCard } from '~/components/store-settings';
import { AppError, errorResponse } from '~/errors';
import { publicBaseUrl } from '~/http.server';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';
import { merchantUrls } from '~/monitor/capture/orders.server';
import {
  createStoreFromForm,
  type FieldErrors,
  type StoreFormValues,
  type StoreView,
} from '~/monitor/stores/store-admin.server';
import type { SharedCredentialWarning } from '~/monitor/stores/shared-merchant.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'stores.newTitle');

/** `/stores/new`: the create form (admin), so `new` is not a usable slug. A store's page is `_dash.stores.$slug.tsx`. */

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, 'admin');
  return { mode: 'create' as const, store: null, fromConfig: context.config.publicUrl !== null };
}

type ActionResult =
  | { intent: 'create'; ok: false; errors: FieldErrors; values: StoreFormValues }
  | {
      intent: 'created';
      slug: string;
      name: string;
      apiKey: string;
      urls: StoreView['urls'];
      warnings: SharedCredentialWarning[];
    };

const intentSchema = z.object({ intent: z.enum(['create', 'update', 'rotate', 'test']) });

/** create (admin): checks the CSRF token, parses the form with zod (field errors with status 400); audited by the domain. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const parsed = intentSchema.safeParse({ intent: form.get('intent') });
  if (!parsed.success) throw errorResponse(new AppError('bad_request', 'unknown intent'));
  const { intent } = parsed.data;
  if (intent !== 'test' && !hasRole(user.role, 'admin'))
    throw errorResponse(new AppError('forbidden', 'This needs the admin role', { reason: 'role', required: 'admin' }));
  if (intent !== 'create') throw errorResponse(new AppError('bad_request', 'this form does not belong here'));
  const created = await createStoreFromForm(context, { actor: user, ip: context.clientIp }, form);
  if (!created.ok)
    return data<ActionResult>({ intent, ok: false, errors: created.errors, values: created.values }, { status: 400 });
  const baseUrl = publicBaseUrl(request, context.config.publicUrl);
  // The key is shown once, in this answer: never in a cookie, a redirect or a log.
  return data<ActionResult>({
    intent: 'created',
    slug: created.store.slug,
    name: created.store.name,
    apiKey: created.apiKey,
    urls: merchantUrls(baseUrl, created.store),
    warnings: created.warnings,
  });
}

export default function NewStorePage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  if (result?.intent === 'created') {
    return (
      <>
        <PageHeader title={t('stores.createdTitle', { name: result.name })} />
        <ApiKeyCallout apiKey={result.apiKey} />
        <SharedCredentialWarnings warnings={result.warnings} />
        <UrlsCard urls={result.urls} fromConfig={page.fromConfig} impCode={null} />
        <p>
          <Link to={`/stores/${encodeURIComponent(result.slug)}`} className="btn btn-primary">
            {t('stores.openStore')}
          </Link>
        </p>
      </>
    );
  }
  const failed = result?.intent === 'create' && !result.ok ? result : null;
  return (
    <>
      <PageHeader title={t('stores.newTitle')} description={t('stores.newIntro')} />
      <StoreForm mode="create" store={null} errors={failed?.errors ?? {}} values={failed?.values ?? null} />
    </>
  );
}
