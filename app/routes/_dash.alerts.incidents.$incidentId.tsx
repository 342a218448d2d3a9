import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { acknowledgeIncident, muteIncident } from '~/alerts/incidents.server';
import { incidentDetail } from '~/alerts/pages.server';
import { formatMoney } from '~/alerts/render';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { SeverityBadge } from '~/components/alert-bits';
import { CsrfInput } from '~/components/csrf-input';
import { Field } from '~/components/field';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'alerts.title');

const idSchema = z.coerce.number().int().positive();

function incidentId(value: string | undefined): number {
  const parsed = idSchema.safeParse(value);
  if (!parsed.success) throw errorResponse(new AppError('not_found', 'No such incident'));
  return parsed.data;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  try {
    return {
      incident: await incidentDetail(context, incidentId(params.incidentId)),
      canAct: hasRole(user.role, 'operator'),
    };
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}

const text = z.string().trim().min(3).max(500);
const ackSchema = z.object({ intent: z.literal('acknowledge'), note: text });
const muteSchema = z.object({
  intent: z.literal('mute'),
  reason: text,
  minutes: z.coerce.number().int().min(1).max(10_080),
});

type ActionResult = { ok: false; intent: 'acknowledge' | 'mute' };

/** acknowledge / mute: operator and up, CSRF-checked, audited with the written note or reason. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const id = incidentId(params.incidentId);
  const intent = form.get('intent');
  const who = { actor: user, ip: context.clientIp };
  try {
    if (intent === 'acknowledge') {
      const parsed = ackSchema.safeParse(Object.fromEntries(form));
      if (!parsed.success) return data<ActionResult>({ ok: false, intent }, { status: 400 });
      await acknowledgeIncident(context, who, id, parsed.data.note);
      return redirectWithFlash(`/alerts/incidents/${id}`, context, {
        kind: 'success',
        key: 'alerts.flash.acknowledged',
      });
    }
    if (intent === 'mute') {
      const parsed = muteSchema.safeParse(Object.fromEntries(form));
      if (!parsed.success) return data<ActionResult>({ ok: false, intent }, { status: 400 });
      await muteIncident(context, who, id, parsed.data);
      return redirectWithFlash(`/alerts/incidents/${id}`, context, { kind: 'success', key: 'alerts.flash.muted' });
    }
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
  throw errorResponse(new AppError('bad_request', 'unknown intent'));
}

export default function IncidentPage() {
  const { incident: i, canAct } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const t = useT();
  const locale = useLocale();
  const facts: [MessageKey, string][] = [
    ['alerts.col.state', t(`alerts.state.${i.state}` as MessageKey)],
    ['alerts.col.store', i.storeName ?? t('alerts.system')],
    ['alerts.col.subject', i.subject],
    ['alerts.col.opened', formatDateTime(locale, i.openedAt, { seconds: true })],
    ['alerts.col.events', String(i.eventCount)],
  ];
  if (i.expectedAmount !== null || i.paidAmount !== null) {
    facts.push(['alerts.msg.expected', formatMoney(locale, i.expectedAmount, i.currency)]);
    facts.push(['alerts.msg.paid', formatMoney(locale, i.paidAmount, i.currency)]);
  }
  if (i.value !== null) facts.push(['alerts.msg.value', `${i.value} / ${i.threshold ?? '—'}`]);
  if (i.detail) facts.push(['alerts.msg.detail', i.detail]);
  return (
    <>
      <PageHeader
        title={
          <>
            {t('alerts.incident.title', { id: i.id })} · {t(`alerts.rule.${i.rule}` as MessageKey)}
          </>
        }
        description={t(`alerts.ruleHelp.${i.rule}` as MessageKey)}
        actions={
          <Link to="/alerts" className="btn btn-secondary">
            {t('alerts.incident.back')}
          </Link>
        }
      />
      <section className="card" data-testid="incident-facts" data-state={i.state}>
        <h2>
          {t('alerts.incident.facts')} <SeverityBadge severity={i.severity} />
        </h2>
        <table className="data-table">
          <tbody>
            {facts.map(([label, value]) => (
              <tr key={label}>
                <th scope="row">{t(label)}</th>
                <td className="small">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {i.orderId !== null ? (
          <p>
            <Link to={`/orders/${i.orderId}`} data-testid="order-link">
              {t('alerts.msg.openOrder')}
            </Link>
          </p>
        ) : null}
        {i.acknowledgedAt ? (
          <p className="small" data-testid="acknowledged">
            {t('alerts.incident.acked', {
              who: i.acknowledgedBy ?? '—',
              time: formatDateTime(locale, i.acknowledgedAt),
            })}
          </p>
        ) : null}
        {i.mutedUntil ? (
          <p className="small">
            {t('alerts.muted', { time: formatDateTime(locale, i.mutedUntil) })} — {i.muteReason}
          </p>
        ) : null}
        {i.resolvedAt ? (
          <p className="small">
            {t('alerts.incident.resolvedAt', { time: formatDateTime(locale, i.resolvedAt), who: i.resolvedBy ?? '—' })}
          </p>
        ) : null}
      </section>

      {canAct && i.state === 'open' ? (
        <section className="card">
          <h2>{t('alerts.incident.ackTitle')}</h2>
          <p className="muted small">{t('alerts.incident.ackIntro')}</p>
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="acknowledge" />
            <Field
              label={t('alerts.incident.note')}
              name="note"
              required
              minLength={3}
              maxLength={500}
              error={result?.intent === 'acknowledge' ? t('alerts.error.note') : undefined}
            />
            <SubmitButton match={{ intent: 'acknowledge' }} pendingLabel={t('form.saving')} data-testid="acknowledge">
              {t('alerts.incident.ack')}
            </SubmitButton>
          </Form>
        </section>
      ) : null}
      {canAct && i.state !== 'resolved' ? (
        <section className="card">
          <h2>{t('alerts.incident.muteTitle')}</h2>
          <p className="muted small">{t('alerts.incident.muteIntro')}</p>
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="mute" />
            <Field
              label={t('alerts.incident.minutes')}
              name="minutes"
              type="number"
              defaultValue="60"
              min={1}
              max={10080}
              required
            />
            <Field
              label={t('alerts.incident.reason')}
              name="reason"
              required
              minLength={3}
              maxLength={500}
              error={result?.intent === 'mute' ? t('alerts.error.mute') : undefined}
            />
            <SubmitButton
              variant="secondary"
              match={{ intent: 'mute' }}
              pendingLabel={t('form.saving')}
              data-testid="mute"
            >
              {t('alerts.incident.mute')}
            </SubmitButton>
          </Form>
        </section>
      ) : null}

      <section className="card" data-testid="deliveries">
        <h2>{t('alerts.incident.deliveries')}</h2>
        <p className="muted small">{t('alerts.incident.deliveriesIntro')}</p>
        {i.deliveries.length === 0 ? (
          <p>{t('alerts.incident.noDeliveries')}</p>
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{t('alerts.col.channel')}</th>
                <th scope="col">{t('alerts.col.kind')}</th>
                <th scope="col">{t('alerts.col.message')}</th>
                <th scope="col">{t('alerts.col.attempt')}</th>
                <th scope="col">{t('alerts.col.at')}</th>
                <th scope="col">{t('alerts.col.result')}</th>
                <th scope="col">{t('alerts.col.answer')}</th>
              </tr>
            </thead>
            <tbody>
              {i.deliveries.flatMap((d) =>
                (d.attempts.length ? d.attempts : [null]).map((a, n) => (
                  <tr key={`${d.outboxId}-${n}`} data-testid="attempt-row" data-ok={a ? String(a.ok) : 'none'}>
                    <td>
                      {d.channelName}{' '}
                      <span className="muted small">({t(`alerts.kind.${d.channelKind}` as MessageKey)})</span>
                    </td>
                    <td>{t(`alerts.msg.kind.${d.kind}` as MessageKey)}</td>
                    <td className="small">
                      {d.messageId === null
                        ? t('alerts.delivery.waiting')
                        : `#${d.messageId} · ${
                            d.messageState === 'retry'
                              ? t('alerts.message.retry', {
                                  time: formatDateTime(locale, d.nextAttemptAt, { seconds: true }),
                                })
                              : t(`alerts.message.${d.messageState ?? 'sending'}` as MessageKey)
                          }`}
                    </td>
                    <td>{a?.attempt ?? '—'}</td>
                    <td className="small">{a ? formatDateTime(locale, a.at, { seconds: true }) : '—'}</td>
                    <td>{a ? t(a.ok ? 'alerts.delivery.ok' : 'alerts.delivery.failed') : '—'}</td>
                    <td className="mono small">
                      {a ? [a.status, a.answer ?? a.error].filter((v) => v !== null).join(' ') : ''}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
