import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { z } from 'zod';
import { createChannelFromForm, listAlertChannels, setChannelEnabled } from '~/alerts/channels.server';
import { sendChannelTest } from '~/alerts/delivery.server';
import { storeChoices } from '~/alerts/pages.server';
import { SEVERITIES } from '~/alerts/rules';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { AlertTabs } from '~/components/alert-bits';
import { CsrfInput } from '~/components/csrf-input';
import { Field, SelectField } from '~/components/field';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { publicBaseUrl } from '~/http.server';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'alerts.channels.title');

/** Channels (viewer and up read; admins add, test and switch them). Secrets are never sent to the page. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return {
    channels: await listAlertChannels(context),
    stores: await storeChoices(context),
    canManage: hasRole(user.role, 'admin'),
  };
}

type ActionResult =
  | { intent: 'create'; ok: false; errors: Record<string, string> }
  | { intent: 'created'; name: string; secret: string | null }
  | {
      intent: 'test';
      channelId: number;
      ok: boolean;
      status: number | null;
      answer: string | null;
      error: string | null;
    };

const intentSchema = z.enum(['create', 'test', 'enable', 'disable']);
const idSchema = z.coerce.number().int().positive();

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'admin');
  const intent = intentSchema.safeParse(form.get('intent'));
  if (!intent.success) throw errorResponse(new AppError('bad_request', 'unknown intent'));
  const who = { actor: user, ip: context.clientIp };
  const deps = { db: context.db, now: context.now, appSecret: context.config.appSecret };
  try {
    switch (intent.data) {
      case 'create': {
        const created = await createChannelFromForm(deps, who, form);
        if (!created.ok)
          return data<ActionResult>(
            { intent: 'create', ok: false, errors: created.errors as Record<string, string> },
            { status: 400 },
          );
        // A webhook's signing secret is shown once, in this answer.
        return data<ActionResult>({ intent: 'created', name: created.channel.name, secret: created.shownOnce });
      }
      case 'test': {
        const id = idSchema.safeParse(form.get('channelId'));
        if (!id.success) throw new AppError('bad_request', 'channelId must be a number');
        const base = context.config.publicUrl ?? publicBaseUrl(request, null);
        const outcome = await sendChannelTest(
          { ...context, appSecret: context.config.appSecret, linkBase: () => base },
          who,
          id.data,
        );
        return data<ActionResult>({
          intent: 'test',
          channelId: id.data,
          ok: outcome.ok,
          status: outcome.status,
          answer: outcome.response,
          error: outcome.error,
        });
      }
      case 'enable':
      case 'disable': {
        const id = idSchema.safeParse(form.get('channelId'));
        if (!id.success) throw new AppError('bad_request', 'channelId must be a number');
        await setChannelEnabled(deps, who, id.data, intent.data === 'enable');
        return redirectWithFlash('/alerts/channels', context, { kind: 'success', key: 'alerts.flash.channelToggled' });
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}

export default function ChannelsPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  const storeName = (id: number) => page.stores.find((s) => s.id === id)?.name ?? `#${id}`;
  return (
    <>
      <PageHeader title={t('alerts.channels.title')} description={t('alerts.channels.intro')} />
      <AlertTabs />
      {result?.intent === 'created' && result.secret ? (
        <section className="callout callout-warning" role="status" data-testid="channel-secret">
          <h2>{t('alerts.channels.secretTitle', { name: result.name })}</h2>
          <p>
            <code className="secret">{result.secret}</code>
          </p>
          <p className="small">{t('alerts.channels.secretBody')}</p>
        </section>
      ) : null}
      {result?.intent === 'test' ? (
        <p
          className={`flash ${result.ok ? 'flash-success' : 'flash-error'}`}
          role={result.ok ? 'status' : 'alert'}
          data-testid="test-result"
          data-ok={String(result.ok)}
        >
          {result.ok
            ? t('alerts.channels.testOk', {
                answer: [result.status, result.answer].filter((v) => v !== null).join(' '),
              })
            : t('alerts.channels.testFailed', { error: result.error ?? String(result.status) })}
        </p>
      ) : null}
      <section className="card">
        {page.channels.length === 0 ? (
          <p>{t('alerts.channels.empty')}</p>
        ) : (
          <table className="data-table" data-testid="channels">
            <thead>
              <tr>
                <th scope="col">{t('alerts.channels.col.name')}</th>
                <th scope="col">{t('alerts.channels.col.kind')}</th>
                <th scope="col">{t('alerts.channels.col.target')}</th>
                <th scope="col">{t('alerts.channels.col.route')}</th>
                <th scope="col">{t('alerts.channels.col.state')}</th>
                {page.canManage ? <th scope="col">{t('alerts.channels.col.actions')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {page.channels.map((c) => (
                <tr key={c.id} data-testid="channel-row" data-name={c.name}>
                  <td>{c.name}</td>
                  <td>{t(`alerts.kind.${c.kind}` as MessageKey)}</td>
                  <td className="mono small">
                    {c.email
                      ? `${c.email.recipients.join(', ')} via ${c.email.host}:${c.email.port}`
                      : (c.webhookUrl ?? 'hooks.slack.com …')}
                  </td>
                  <td className="small">
                    {c.storeIds === null ? t('alerts.channels.allStores') : c.storeIds.map(storeName).join(', ')} ·{' '}
                    {t(`alerts.severity.${c.minSeverity}` as MessageKey)} · {c.locale}
                  </td>
                  <td>
                    <span className={`badge ${c.enabled ? 'badge-ok' : 'badge-muted'}`}>
                      {t(c.enabled ? 'alerts.channels.on' : 'alerts.channels.off')}
                    </span>
                  </td>
                  {page.canManage ? (
                    <td className="actions">
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="test" />
                        <input type="hidden" name="channelId" value={c.id} />
                        <SubmitButton
                          variant="secondary"
                          match={{ intent: 'test', channelId: String(c.id) }}
                          pendingLabel={t('alerts.channels.testing')}
                          data-testid="send-test"
                        >
                          {t('alerts.channels.test')}
                        </SubmitButton>
                      </Form>
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="intent" value={c.enabled ? 'disable' : 'enable'} />
                        <input type="hidden" name="channelId" value={c.id} />
                        <button type="submit" className="btn btn-secondary">
                          {t(c.enabled ? 'alerts.channels.disable' : 'alerts.channels.enable')}
                        </button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {page.canManage ? (
        <ChannelForm stores={page.stores} errors={result?.intent === 'create' && !result.ok ? result.errors : {}} />
      ) : null}
    </>
  );
}

function ChannelForm({ stores, errors }: { stores: { id: number; name: string }[]; errors: Record<string, string> }) {
  const t = useT();
  const [kind, setKind] = useState('email');
  const err = (field: string) => (errors[field] ? t('alerts.field.error') : undefined);
  return (
    <section className="card" data-testid="channel-form">
      <h2>{t('alerts.channels.createTitle')}</h2>
      {Object.keys(errors).length ? (
        <p className="form-error" role="alert" data-testid="form-errors">
          {t('alerts.channels.fixFields')}
        </p>
      ) : null}
      <Form method="post" className="stack">
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <Field label={t('alerts.field.name')} name="name" required error={err('name')} autoComplete="off" />
        <SelectField
          label={t('alerts.field.kind')}
          name="kind"
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value)}
          options={(['email', 'slack', 'webhook'] as const).map((k) => ({ value: k, label: t(`alerts.kind.${k}`) }))}
        />
        {kind === 'email' ? (
          <>
            <Field label={t('alerts.field.host')} name="host" required error={err('host')} autoComplete="off" />
            <Field
              label={t('alerts.field.port')}
              name="port"
              type="number"
              defaultValue="587"
              required
              error={err('port')}
            />
            <SelectField
              label={t('alerts.field.tls')}
              name="tls"
              defaultValue="starttls"
              options={(['starttls', 'tls', 'none'] as const).map((m) => ({ value: m, label: t(`alerts.tls.${m}`) }))}
            />
            <Field label={t('alerts.field.user')} name="user" autoComplete="off" error={err('user')} />
            <Field label={t('alerts.field.password')} name="password" type="password" autoComplete="new-password" />
            <Field label={t('alerts.field.from')} name="from" required error={err('from')} />
            <Field label={t('alerts.field.recipients')} name="recipients" required error={err('recipients')} />
          </>
        ) : (
          <Field label={t('alerts.field.url')} name="url" type="url" required error={err('url')} autoComplete="off" />
        )}
        <SelectField
          label={t('alerts.field.locale')}
          name="locale"
          defaultValue="ko"
          options={[
            { value: 'ko', label: t('lang.ko') },
            { value: 'en', label: t('lang.en') },
          ]}
        />
        <SelectField
          label={t('alerts.field.minSeverity')}
          name="minSeverity"
          defaultValue="warning"
          options={SEVERITIES.map((s) => ({ value: s, label: t(`alerts.severity.${s}`) }))}
        />
        <Field
          label={t('alerts.field.groupSeconds')}
          name="groupSeconds"
          type="number"
          defaultValue="60"
          min={0}
          max={86400}
          error={err('groupSeconds')}
        />
        <fieldset>
          <legend>{t('alerts.field.storeIds')}</legend>
          {stores.map((s) => (
            <label key={s.id} className="small">
              <input type="checkbox" name="storeIds" value={s.id} /> {s.name}{' '}
            </label>
          ))}
        </fieldset>
        <div>
          <SubmitButton match={{ intent: 'create' }} pendingLabel={t('form.saving')} data-testid="create-channel">
            {t('alerts.channels.create')}
          </SubmitButton>
        </div>
      </Form>
    </section>
  );
}
