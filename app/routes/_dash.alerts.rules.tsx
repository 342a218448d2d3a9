import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { rulesPage, saveRulesFromForm } from '~/alerts/pages.server';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { AlertTabs, SeverityBadge } from '~/components/alert-bits';
import { CsrfInput } from '~/components/csrf-input';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'alerts.rules.title');

const slugSchema = z.string().trim().min(1).max(64);

/** Every built-in rule for one store (viewer and up read; admins save). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const store = new URL(request.url).searchParams.get('store');
  try {
    return {
      ...(await rulesPage(context, store ? slugSchema.parse(store) : null)),
      canManage: hasRole(user.role, 'admin'),
    };
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}

type ActionResult = { ok: false; errors: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'admin');
  const store = slugSchema.safeParse(form.get('store'));
  if (!store.success) throw errorResponse(new AppError('bad_request', 'store is required'));
  try {
    const saved = await saveRulesFromForm(context, { actor: user, ip: context.clientIp }, store.data, form);
    if (!saved.ok) return data<ActionResult>({ ok: false, errors: saved.errors }, { status: 400 });
    return redirectWithFlash(`/alerts/rules?store=${encodeURIComponent(store.data)}`, context, {
      kind: 'success',
      key: 'alerts.flash.rulesSaved',
      params: { store: store.data },
    });
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}

export default function RulesPage() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  return (
    <>
      <PageHeader title={t('alerts.rules.title')} description={t('alerts.rules.intro')} />
      <AlertTabs />
      {page.store === null ? (
        <p>{t('alerts.rules.noStores')}</p>
      ) : (
        <>
          <Form method="get" className="inline-form">
            <label>
              {t('alerts.rules.store')}{' '}
              <select name="store" defaultValue={page.store.slug} data-testid="rules-store">
                {page.stores.map((s) => (
                  <option key={s.slug} value={s.slug}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="btn btn-secondary">
              {t('alerts.rules.show')}
            </button>
          </Form>
          {result && !result.ok ? (
            <p className="form-error" role="alert" data-testid="form-errors">
              {t('alerts.channels.fixFields')}
            </p>
          ) : null}
          <Form method="post" key={page.store.slug}>
            <CsrfInput />
            <input type="hidden" name="store" value={page.store.slug} />
            <table className="data-table" data-testid="rules">
              <thead>
                <tr>
                  <th scope="col">{t('alerts.col.rule')}</th>
                  <th scope="col">{t('alerts.col.severity')}</th>
                  <th scope="col">{t('alerts.rules.col.on')}</th>
                  <th scope="col">{t('alerts.rules.col.threshold')}</th>
                  <th scope="col">{t('alerts.rules.col.reminder')}</th>
                </tr>
              </thead>
              <tbody>
                {page.rules.map((r) => (
                  <tr key={r.rule} data-testid="rule-row" data-rule={r.rule} data-enabled={String(r.enabled)}>
                    <th scope="row">
                      <label htmlFor={`on-${r.rule}`}>{t(`alerts.rule.${r.rule}` as MessageKey)}</label>
                      <div className="small muted">
                        {t(`alerts.ruleHelp.${r.rule}` as MessageKey)}
                        {r.scope === 'system' ? ` ${t('alerts.rules.systemNote')}` : ''}
                      </div>
                    </th>
                    <td>
                      <SeverityBadge severity={r.severity} />
                    </td>
                    <td>
                      <input
                        id={`on-${r.rule}`}
                        type="checkbox"
                        name={`on.${r.rule}`}
                        defaultChecked={r.enabled}
                        disabled={!page.canManage}
                        data-testid={`on-${r.rule}`}
                      />
                    </td>
                    <td>
                      {r.unit === 'none' ? (
                        '—'
                      ) : (
                        <label className="small">
                          <input
                            type="number"
                            name={`threshold.${r.rule}`}
                            min={0}
                            defaultValue={r.customThreshold ?? ''}
                            placeholder={String(r.defaultThreshold ?? '')}
                            disabled={!page.canManage}
                            aria-invalid={result?.errors[`threshold.${r.rule}`] ? true : undefined}
                            style={{ width: '7rem' }}
                          />{' '}
                          {t(`alerts.unit.${r.unit}` as MessageKey)} (
                          {t('alerts.rules.default', { value: r.defaultThreshold ?? '—' })})
                        </label>
                      )}
                    </td>
                    <td>
                      <input
                        type="number"
                        name={`reminder.${r.rule}`}
                        min={0}
                        max={10080}
                        defaultValue={r.customReminder ?? ''}
                        placeholder={String(r.reminderMinutes)}
                        disabled={!page.canManage}
                        aria-invalid={result?.errors[`reminder.${r.rule}`] ? true : undefined}
                        style={{ width: '6rem' }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {page.canManage ? (
              <p>
                <SubmitButton pendingLabel={t('form.saving')} data-testid="save-rules">
                  {t('alerts.rules.save')}
                </SubmitButton>
              </p>
            ) : null}
          </Form>
        </>
      )}
    </>
  );
}
