import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { CsrfInput } from '~/components/csrf-input';
import { PageHeader } from '~/components/page-header';
import { ApiKeyCallout, SharedCredentialWarnings, StoreForm, UrlsCard } from '~/components/store-settings';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { publicBaseUrl } from '~/http.server';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { sharedCredentialWarnings } from '~/monitor/stores/shared-merchant.server';
import {
  getStoreView,
  rotateStoreApiKey,
  setStoreArchived,
  testStoreConnection,
  updateStoreFromForm,
  type ConnectionTest,
  type FieldErrors,
  type StoreFormValues,
  type StoreView,
  type UnknownStore,
} from '~/monitor/stores/store-admin.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction<typeof loader> = ({ matches, data: page }) =>
  pageMeta(matches, 'stores.title').map((m) => (page?.store ? { title: `${page.store.name} · ${m.title}` } : m));

/** `/stores/:slug`: one store's settings, merchant URLs, connection test and API key. `/stores/new` is its own route. */

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const baseUrl = publicBaseUrl(request, context.config.publicUrl);
  const store = await getStoreView(context, params.slug ?? '', baseUrl);
  if (!store) throw errorResponse(new AppError('not_found', `unknown store ${params.slug ?? ''}`));
  return {
    mode: 'view' as const,
    store,
    // Said on every visit while it holds, naming the other store (allowed, but explicit).
    warnings: await sharedCredentialWarnings(context, {
      slug: store.slug,
      impCode: store.impCode,
      impKey: store.impKey,
    }),
    baseUrl,
    fromConfig: context.config.publicUrl !== null,
    canManage: hasRole(user.role, 'admin'),
    canTest: hasRole(user.role, 'operator'),
  };
}

type ActionResult =
  | { intent: 'update'; ok: false; errors: FieldErrors; values: StoreFormValues }
  | { intent: 'rotated'; apiKey: string; apiKeyPrefix: string }
  | { intent: 'test'; result: ConnectionTest };

const intentSchema = z.object({ intent: z.enum(['create', 'update', 'rotate', 'test', 'archive', 'unarchive']) });

function refused(refusal: UnknownStore): never {
  throw errorResponse(new AppError('not_found', refusal.message));
}

/**
 * update / rotate: admin. test: operator and up. Each checks the CSRF token, parses the form with
 * zod (field errors come back with status 400) and is audited by the domain function.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const parsed = intentSchema.safeParse({ intent: form.get('intent') });
  if (!parsed.success) throw errorResponse(new AppError('bad_request', 'unknown intent'));
  const { intent } = parsed.data;
  const who = { actor: user, ip: context.clientIp };
  const slug = params.slug ?? '';
  if (intent !== 'test' && !hasRole(user.role, 'admin'))
    throw errorResponse(new AppError('forbidden', 'This needs the admin role', { reason: 'role', required: 'admin' }));
  switch (intent) {
    case 'create':
      throw errorResponse(new AppError('bad_request', 'this form does not belong here'));
    case 'update': {
      const updated = await updateStoreFromForm(context, who, slug, form);
      if ('refusal' in updated) refused(updated);
      if (!updated.ok)
        return data<ActionResult>(
          { intent, ok: false, errors: updated.errors, values: updated.values },
          { status: 400 },
        );
      return redirectWithFlash(`/stores/${encodeURIComponent(slug)}`, context, {
        kind: 'success',
        key: updated.changed.length ? 'stores.saved' : 'stores.unchanged',
        params: { count: updated.changed.length },
      });
    }
    case 'rotate': {
      const rotated = await rotateStoreApiKey(context, who, slug);
      if (!rotated.ok) refused(rotated);
      return data<ActionResult>({
        intent: 'rotated',
        apiKey: rotated.apiKey,
        apiKeyPrefix: rotated.store.apiKeyPrefix,
      });
    }
    case 'archive':
    case 'unarchive': {
      const changed = await setStoreArchived(context, who, slug, intent === 'archive');
      if (!changed.ok && changed.refusal === 'unknown_store') refused(changed);
      const to = `/stores/${encodeURIComponent(slug)}`;
      if (!changed.ok) return redirectWithFlash(to, context, { kind: 'error', key: `stores.error.${changed.refusal}` });
      return redirectWithFlash(to, context, {
        kind: 'success',
        key: intent === 'archive' ? 'stores.archivedDone' : 'stores.unarchivedDone',
      });
    }
    case 'test': {
      const tested = await testStoreConnection(context, who, slug);
      if (!tested.ok) refused(tested);
      return data<ActionResult>({ intent: 'test', result: tested.result });
    }
  }
}

export default function StorePage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  const locale = useLocale();
  const store = page.store;
  const failed = result?.intent === 'update' && !result.ok ? result : null;
  return (
    <>
      <PageHeader
        title={store.name}
        description={
          <>
            <span className="mono">{store.slug}</span> ·{' '}
            {t('stores.updatedAt', { time: formatDateTime(locale, store.updatedAt) })}
          </>
        }
        actions={
          <Link to="/stores" className="btn btn-secondary">
            {t('stores.back')}
          </Link>
        }
      />

      {store.archivedAt ? (
        <section className="callout callout-warning" role="status" data-testid="archived-notice">
          <strong>{t('stores.archivedBadge')}</strong>{' '}
          {t('stores.archivedNotice', { time: formatDateTime(locale, store.archivedAt), by: store.archivedBy ?? '—' })}
        </section>
      ) : null}

      {result?.intent === 'rotated' ? <ApiKeyCallout apiKey={result.apiKey} rotated /> : null}

      <SharedCredentialWarnings warnings={page.warnings} />

      <UrlsCard urls={store.urls} fromConfig={page.fromConfig} impCode={store.impCode} />

      <section className="card" data-testid="connection-card">
        <h2>{t('stores.testTitle')}</h2>
        <p className="muted small">{t('stores.testIntro', { url: store.apiBaseUrl })}</p>
        {page.canTest ? (
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="test" />
            <SubmitButton
              variant="secondary"
              match={{ intent: 'test' }}
              pendingLabel={t('stores.testing')}
              data-testid="test-connection"
            >
              {t('stores.test')}
            </SubmitButton>
          </Form>
        ) : null}
        {result?.intent === 'test' ? <ConnectionResult result={result.result} /> : null}
      </section>

      {page.canManage ? (
        <StoreForm mode="edit" store={store} errors={failed?.errors ?? {}} values={failed?.values ?? null} />
      ) : (
        <SettingsList store={store} />
      )}

      <section className="card" data-testid="api-key-card">
        <h2>{t('stores.apiKeyTitle')}</h2>
        <p className="muted small">{t('stores.apiKeyIntro')}</p>
        <p>
          {t('stores.apiKeyCurrent')} <code>{store.apiKeyPrefix}…</code>
        </p>
        {page.canManage ? (
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="rotate" />
            <label className="small">
              <input type="checkbox" name="confirm" value="yes" required /> {t('stores.rotateConfirm')}
            </label>
            <SubmitButton
              variant="danger"
              match={{ intent: 'rotate' }}
              pendingLabel={t('form.saving')}
              data-testid="rotate-key"
            >
              {t('stores.rotate')}
            </SubmitButton>
          </Form>
        ) : null}
      </section>

      {page.canManage ? (
        <section className="card" data-testid="archive-card">
          <h2>{t('stores.archiveTitle')}</h2>
          <p className="muted small">{t('stores.archiveIntro')}</p>
          <Form method="post" className="inline-form">
            <CsrfInput />
            {store.archivedAt ? (
              <>
                <input type="hidden" name="intent" value="unarchive" />
                <SubmitButton
                  variant="secondary"
                  match={{ intent: 'unarchive' }}
                  pendingLabel={t('form.saving')}
                  data-testid="unarchive-store"
                >
                  {t('stores.unarchive')}
                </SubmitButton>
              </>
            ) : (
              <>
                <input type="hidden" name="intent" value="archive" />
                <label className="small">
                  <input type="checkbox" name="confirm" value="yes" required /> {t('stores.archiveConfirm')}
                </label>
                <SubmitButton
                  variant="danger"
                  match={{ intent: 'archive' }}
                  pendingLabel={t('form.saving')}
                  data-testid="archive-store"
                >
                  {t('stores.archive')}
                </SubmitButton>
              </>
            )}
          </Form>
        </section>
      ) : null}
    </>
  );
}

function ConnectionResult({ result }: { result: ConnectionTest }) {
  const t = useT();
  const locale = useLocale();
  if (result.ok) {
    return (
      <p className="flash flash-success" role="status" data-testid="connection-result" data-ok="true">
        {t('stores.testOk', {
          expires: formatDateTime(locale, result.expiresAt),
          ms: result.latencyMs,
          status: result.httpStatus ?? '—',
        })}
      </p>
    );
  }
  return (
    <div
      className="flash flash-error"
      role="alert"
      data-testid="connection-result"
      data-ok="false"
      data-kind={result.kind}
    >
      <div>
        <strong>{t(`stores.testKind.${result.kind}` as MessageKey)}</strong>
        <div className="small">
          {t('stores.testError', { status: result.httpStatus ?? '—', code: result.code ?? '—', ms: result.latencyMs })}
        </div>
        <div className="mono small" data-testid="connection-message">
          {result.message}
        </div>
      </div>
    </div>
  );
}

function SettingsList({ store }: { store: StoreView }) {
  const t = useT();
  const rows: [MessageKey, string][] = [
    ['stores.field.impCode', store.impCode],
    ['stores.field.impKey', store.impKey],
    ['stores.field.impSecret', t('stores.secretHidden')],
    ['stores.field.apiBaseUrl', store.apiBaseUrl],
    ['stores.field.landingSuccessUrl', store.landing.success ?? '—'],
    ['stores.field.landingFailureUrl', store.landing.failure ?? '—'],
    ['stores.field.landingPendingUrl', store.landing.pending ?? '—'],
    ['stores.field.webhookIpPolicy', t(`stores.ipPolicy.${store.webhookIpPolicy}` as MessageKey)],
    ['stores.field.mismatchPolicy', t(`stores.mismatch.${store.mismatchPolicy}` as MessageKey)],
    ['stores.field.webhookGraceSeconds', String(store.webhookGraceSeconds)],
    ['stores.field.stalePendingSeconds', String(store.stalePendingSeconds)],
    ['stores.field.evidenceRetentionDays', String(store.evidenceRetentionDays)],
    ['stores.field.merchantUidPrefix', store.merchantUidPrefix ?? '—'],
  ];
  return (
    <section className="card" data-testid="settings">
      <h2>{t('stores.settingsTitle')}</h2>
      <table className="data-table">
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{t(label)}</th>
              <td className="mono small">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
