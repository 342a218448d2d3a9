import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireRole, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { CsrfInput } from '~/components/csrf-input';
import { Field, SelectField } from '~/components/field';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { publicBaseUrl } from '~/http.server';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import {
  createStoreFromForm,
  getStoreView,
  rotateStoreApiKey,
  testStoreConnection,
  updateStoreFromForm,
  type ConnectionTest,
  type FieldErrors,
  type StoreField,
  type StoreFormValues,
  type StoreView,
} from '~/monitor/stores/store-admin.server';
import { merchantUrls } from '~/monitor/capture/orders.server';
import { MISMATCH_POLICIES, WEBHOOK_IP_POLICIES } from '~/monitor/status';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction<typeof loader> = ({ matches, data: page }) =>
  pageMeta(matches, page?.mode === 'create' ? 'stores.newTitle' : 'stores.title').map((m) =>
    page?.store ? { title: `${page.store.name} · ${m.title}` } : m,
  );

/** `/stores/new` is the create form (so `new` is not a usable slug); any other slug is that store's page. */
const NEW = 'new';

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const baseUrl = publicBaseUrl(request, context.config.publicUrl);
  const fromConfig = context.config.publicUrl !== null;
  const role = { canManage: hasRole(user.role, 'admin'), canTest: hasRole(user.role, 'operator') };
  if (params.slug === NEW) {
    await requireRole(request, context, 'admin');
    return { mode: 'create' as const, store: null, baseUrl, fromConfig, ...role };
  }
  try {
    return {
      mode: 'view' as const,
      store: await getStoreView(context, params.slug ?? '', baseUrl),
      baseUrl,
      fromConfig,
      ...role,
    };
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') throw errorResponse(error);
    throw error;
  }
}

type ActionResult =
  | { intent: 'create' | 'update'; ok: false; errors: FieldErrors; values: StoreFormValues }
  | { intent: 'created'; slug: string; name: string; apiKey: string; urls: StoreView['urls'] }
  | { intent: 'rotated'; apiKey: string; apiKeyPrefix: string }
  | { intent: 'test'; result: ConnectionTest };

const intentSchema = z.object({ intent: z.enum(['create', 'update', 'rotate', 'test']) });

function adminOnly(): never {
  throw errorResponse(new AppError('forbidden', 'This needs the admin role', { reason: 'role', required: 'admin' }));
}

/**
 * create / update / rotate: admin. test: operator and up. Each checks the CSRF token, parses the
 * form with zod (field errors come back with status 400) and is audited by the domain function.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const parsed = intentSchema.safeParse({ intent: form.get('intent') });
  if (!parsed.success) throw errorResponse(new AppError('bad_request', 'unknown intent'));
  const { intent } = parsed.data;
  const who = { actor: user, ip: context.clientIp };
  const slug = params.slug ?? '';
  const isNew = slug === NEW;
  if (intent !== 'test' && !hasRole(user.role, 'admin')) adminOnly();
  if (isNew !== (intent === 'create'))
    throw errorResponse(new AppError('bad_request', 'this form does not belong here'));

  try {
    switch (intent) {
      case 'create': {
        const created = await createStoreFromForm(context, who, form);
        if (!created.ok)
          return data<ActionResult>(
            { intent, ok: false, errors: created.errors, values: created.values },
            { status: 400 },
          );
        const baseUrl = publicBaseUrl(request, context.config.publicUrl);
        // The key is shown once, in this answer: never in a cookie, a redirect or a log.
        return data<ActionResult>({
          intent: 'created',
          slug: created.store.slug,
          name: created.store.name,
          apiKey: created.apiKey,
          urls: merchantUrls(baseUrl, created.store),
        });
      }
      case 'update': {
        const updated = await updateStoreFromForm(context, who, slug, form);
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
        return data<ActionResult>({
          intent: 'rotated',
          apiKey: rotated.apiKey,
          apiKeyPrefix: rotated.store.apiKeyPrefix,
        });
      }
      case 'test':
        return data<ActionResult>({ intent: 'test', result: await testStoreConnection(context, who, slug) });
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') throw errorResponse(error);
    throw error;
  }
}

export default function StorePage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  const locale = useLocale();

  if (page.mode === 'create') {
    if (result?.intent === 'created') {
      return (
        <>
          <PageHeader title={t('stores.createdTitle', { name: result.name })} />
          <ApiKeyCallout apiKey={result.apiKey} />
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

      {result?.intent === 'rotated' ? <ApiKeyCallout apiKey={result.apiKey} rotated /> : null}

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
    </>
  );
}

function ApiKeyCallout({ apiKey, rotated = false }: { apiKey: string; rotated?: boolean }) {
  const t = useT();
  return (
    <section className="callout callout-warning" role="status" data-testid="new-api-key">
      <h2>{t(rotated ? 'stores.rotatedTitle' : 'stores.apiKeyOnceTitle')}</h2>
      <p>
        <code className="secret">{apiKey}</code> <CopyButton value={apiKey} />
      </p>
      <p className="small">{t('stores.apiKeyOnceBody')}</p>
    </section>
  );
}

/** Copies `value` (the clipboard API where allowed, else the selection of a hidden field). */
function CopyButton({ value, testId }: { value: string; testId?: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const area = document.createElement('textarea');
      area.value = value;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button
      type="button"
      className="btn btn-secondary"
      onClick={() => void copy()}
      data-testid={testId}
      aria-live="polite"
    >
      {copied ? t('stores.copied') : t('stores.copy')}
    </button>
  );
}

function UrlsCard({
  urls,
  fromConfig,
  impCode,
}: {
  urls: StoreView['urls'];
  fromConfig: boolean;
  impCode: string | null;
}) {
  const t = useT();
  const snippet = `IMP.init('${impCode ?? 'imp00000000'}');
IMP.request_pay({
  pg: '…', pay_method: 'card', merchant_uid: '<your order id>', amount: 15000, name: '…',
  m_redirect_url: '${urls.m_redirect_url}',
  notice_url: '${urls.notice_url}',
}, function (rsp) { /* desktop: ask your server, never trust rsp */ });`;
  return (
    <section className="card" data-testid="merchant-urls">
      <h2>{t('stores.urlsTitle')}</h2>
      <p className="muted small">{t('stores.urlsIntro')}</p>
      {[
        {
          key: 'm_redirect_url',
          label: t('stores.redirectUrl'),
          help: t('stores.redirectUrlHelp'),
          value: urls.m_redirect_url,
        },
        { key: 'notice_url', label: t('stores.webhookUrl'), help: t('stores.webhookUrlHelp'), value: urls.notice_url },
      ].map((u) => (
        <div className="field url-field" key={u.key}>
          <label htmlFor={`url-${u.key}`}>
            {u.label} <code className="small">{u.key}</code>
          </label>
          <div className="row-form">
            <input
              id={`url-${u.key}`}
              readOnly
              value={u.value}
              size={Math.min(80, u.value.length + 2)}
              className="mono"
              data-testid={`url-${u.key}`}
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton value={u.value} testId={`copy-${u.key}`} />
          </div>
          <small className="muted">{u.help}</small>
        </div>
      ))}
      {fromConfig ? null : <p className="small muted">{t('stores.publicUrlHint')}</p>}
      <details className="small">
        <summary>{t('stores.snippet')}</summary>
        <pre className="mono" style={{ whiteSpace: 'pre-wrap' }}>
          {snippet}
        </pre>
      </details>
    </section>
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

/** The settings form: every field with its rule as a hint, and the rule again as the error. */
function StoreForm({
  mode,
  store,
  errors,
  values,
}: {
  mode: 'create' | 'edit';
  store: StoreView | null;
  errors: FieldErrors;
  values: StoreFormValues | null;
}) {
  const t = useT();
  const initial: StoreFormValues = values ?? {
    name: store?.name ?? '',
    impCode: store?.impCode ?? '',
    impKey: store?.impKey ?? '',
    apiBaseUrl: store?.apiBaseUrl ?? 'https://api.iamport.kr',
    landingSuccessUrl: store?.landing.success ?? '',
    landingFailureUrl: store?.landing.failure ?? '',
    landingPendingUrl: store?.landing.pending ?? '',
    webhookIpPolicy: store?.webhookIpPolicy ?? 'log',
    mismatchPolicy: store?.mismatchPolicy ?? 'flag',
    webhookGraceSeconds: String(store?.webhookGraceSeconds ?? 600),
    stalePendingSeconds: String(store?.stalePendingSeconds ?? 1800),
    evidenceRetentionDays: String(store?.evidenceRetentionDays ?? 180),
  };
  const errorOf = (field: StoreField) =>
    errors[field]
      ? t(
          errors[field] === 'taken'
            ? 'stores.error.slugTaken'
            : errors[field] === 'secret_for_new_url'
              ? 'stores.error.impSecretForNewUrl'
              : (`stores.error.${field}` as MessageKey),
        )
      : undefined;
  const text = (
    field: Exclude<StoreField, 'impSecret' | 'webhookIpPolicy' | 'mismatchPolicy'>,
    extra: { type?: string; required?: boolean; hint?: boolean } = {},
  ) => (
    <Field
      label={t(`stores.field.${field}` as MessageKey)}
      name={field}
      type={extra.type ?? 'text'}
      defaultValue={initial[field] ?? ''}
      required={extra.required}
      hint={extra.hint === false ? undefined : t(`stores.hint.${field}` as MessageKey)}
      error={errorOf(field)}
      autoComplete="off"
    />
  );
  const count = Object.keys(errors).length;
  return (
    <section className="card" data-testid="store-form">
      <h2>{t(mode === 'create' ? 'stores.newTitle' : 'stores.settingsTitle')}</h2>
      {count > 0 ? (
        <p className="form-error" role="alert" data-testid="form-errors">
          {t('stores.fixFields', { count })}
        </p>
      ) : null}
      <Form method="post" className="stack" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value={mode === 'create' ? 'create' : 'update'} />
        {mode === 'create' ? text('slug', { required: true }) : null}
        {text('name', { required: true })}
        {text('impCode', { required: true })}
        {text('impKey', { required: true })}
        <Field
          label={t('stores.field.impSecret')}
          name="impSecret"
          type="password"
          required={mode === 'create'}
          autoComplete="new-password"
          hint={t(mode === 'create' ? 'stores.hint.impSecret' : 'stores.hint.impSecretKeep')}
          error={errorOf('impSecret')}
        />
        {text('apiBaseUrl', { type: 'url' })}
        {text('landingSuccessUrl', { type: 'url' })}
        {text('landingFailureUrl', { type: 'url' })}
        {text('landingPendingUrl', { type: 'url' })}
        <SelectField
          label={t('stores.field.webhookIpPolicy')}
          name="webhookIpPolicy"
          defaultValue={initial.webhookIpPolicy}
          options={WEBHOOK_IP_POLICIES.map((p) => ({ value: p, label: t(`stores.ipPolicy.${p}` as MessageKey) }))}
          hint={t('stores.hint.webhookIpPolicy')}
          error={errorOf('webhookIpPolicy')}
        />
        <SelectField
          label={t('stores.field.mismatchPolicy')}
          name="mismatchPolicy"
          defaultValue={initial.mismatchPolicy}
          options={MISMATCH_POLICIES.map((p) => ({ value: p, label: t(`stores.mismatch.${p}` as MessageKey) }))}
          hint={t('stores.hint.mismatchPolicy')}
          error={errorOf('mismatchPolicy')}
        />
        {text('webhookGraceSeconds', { type: 'number' })}
        {text('stalePendingSeconds', { type: 'number' })}
        {text('evidenceRetentionDays', { type: 'number' })}
        <div>
          <SubmitButton
            match={{ intent: mode === 'create' ? 'create' : 'update' }}
            pendingLabel={t('form.saving')}
            data-testid="save-store"
          >
            {t(mode === 'create' ? 'stores.create' : 'stores.save')}
          </SubmitButton>
        </div>
      </Form>
    </section>
  );
}
