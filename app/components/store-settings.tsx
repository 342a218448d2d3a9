import { Form } from '@remix-run/react';
import { useState } from 'react';
import { CsrfInput } from '~/components/csrf-input';
import { Field, SelectField } from '~/components/field';
import { SubmitButton } from '~/components/submit-button';
import type { MessageKey } from '~/i18n/messages';
import { useT } from '~/i18n/use-t';
import type { FieldErrors, StoreField, StoreFormValues, StoreView } from '~/monitor/stores/store-admin.server';
import { MISMATCH_POLICIES, WEBHOOK_IP_POLICIES } from '~/monitor/status';
import type { SharedCredentialWarning } from '~/monitor/stores/shared-merchant.server';

/** What the new-store page and a store's page share: the settings form, the URLs card, the one-time API key. */

export function ApiKeyCallout({ apiKey, rotated = false }: { apiKey: string; rotated?: boolean }) {
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

export function UrlsCard({
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

/** The settings form: every field with its rule as a hint, and the rule again as the error. */
export function StoreForm({
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
    merchantUidPrefix: store?.merchantUidPrefix ?? '',
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
        {text('merchantUidPrefix')}
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

/** Other stores on the same merchant code or REST key, named (allowed, but said out loud). */
export function SharedCredentialWarnings({ warnings }: { warnings: readonly SharedCredentialWarning[] }) {
  const t = useT();
  if (warnings.length === 0) return null;
  return (
    <section className="callout callout-warning" role="status" data-testid="shared-credentials">
      {warnings.map((w) => (
        <p key={w.field} data-field={w.field}>
          {t(w.field === 'impCode' ? 'stores.shared.impCode' : 'stores.shared.impKey', {
            stores: w.stores.map((s) => `${s.name} (${s.slug})`).join(', '),
          })}
        </p>
      ))}
    </section>
  );
}
