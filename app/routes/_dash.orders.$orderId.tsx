import {
  data,
  type ActionFunctionArgs,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { maskOrderDetail } from '~/monitor/dashboard/mask';
import { CsrfInput } from '~/components/csrf-input';
import { useDashUser } from '~/components/dash-shell';
import { Money, PayMethod, ReasonBadge, StatusBadge, Time } from '~/components/order-bits';
import orderStyles from '~/components/order-log.css';
import { OrderTimeline } from '~/components/order-timeline';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { resolveLocale } from '~/i18n/locale.server';
import { translate, type MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { formatAmount } from '~/i18n/format';
import {
  cancelOrderPayment,
  NOTE_MAX,
  recheckOrder,
  resolveOrderReasons,
  reviewCancel,
  type CancelReview,
} from '~/monitor/verify/manual-actions.server';
import { refusalFlash } from '~/monitor/verify/refusals';
import { orderDetail, type OrderDetail } from '~/monitor/dashboard/order-page.server';
import { ATTENTION_REASONS } from '~/monitor/status';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: orderStyles }];
export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'order.title');

const orderIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

function parseOrderId(value: string | undefined): number {
  const parsed = orderIdSchema.safeParse(value);
  if (!parsed.success) throw errorResponse(new AppError('not_found', 'no such order'));
  return parsed.data;
}

/** Every signed-in user may read an order; the actions below check their own roles. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const orderId = parseOrderId(params.orderId);
  try {
    // NOTE_MAX travels with the data: a `.server` module's exports do not exist in the browser.
    // Viewers see buyer fields masked, in the order and inside the raw evidence.
    return { ...maskOrderDetail(user.role, await orderDetail(context, orderId)), noteMax: NOTE_MAX };
  } catch (error) {
    if (error instanceof AppError) throw errorResponse(error);
    throw error;
  }
}

const reasonText = z.string().max(NOTE_MAX * 2);
const intentSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('recheck') }),
  z.object({ intent: z.literal('resolve'), reason: z.enum(ATTENTION_REASONS), note: reasonText }),
  z.object({ intent: z.literal('resolve_all'), note: reasonText }),
  z.object({
    intent: z.enum(['cancel_review', 'cancel']),
    amount: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    ),
    reason: reasonText,
    confirm: z.literal('yes').optional(),
  }),
]);

export type CancelReviewData = CancelReview & { intent: 'cancel_review' };

/**
 * The order's manual actions. Operator or stronger re-checks and resolves; only an admin
 * cancels (review, then confirm). Each goes through authorizeAction (role + CSRF + form) and one
 * domain function that writes the audit event, then redirects back with a flash.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const orderId = parseOrderId(params.orderId);
  const { user, form } = await authorizeAction(request, context, 'operator');
  const back = `/orders/${orderId}`;
  const parsed = intentSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return redirectWithFlash(back, context, {
      kind: 'error',
      key: 'order.error.badInput',
      params: { detail: `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() },
    });
  }
  const input = parsed.data;
  const ip = context.clientIp;
  if ((input.intent === 'cancel' || input.intent === 'cancel_review') && !hasRole(user.role, 'admin')) {
    throw errorResponse(new AppError('forbidden', 'This needs the admin role', { reason: 'role', required: 'admin' }));
  }
  switch (input.intent) {
    case 'recheck': {
      const result = await orNotFound(recheckOrder(context, user, { orderId, ip }));
      // Flash parameters are text: name the status and reasons in the reader's language.
      const locale = await resolveLocale(request, context.config);
      return redirectWithFlash(back, context, {
        kind: result.openReasons.length === 0 ? 'success' : 'info',
        key: result.openReasons.length === 0 ? 'order.recheck.settled' : 'order.recheck.open',
        params: {
          status: translate(locale, `status.${result.status}` as MessageKey),
          open: result.openReasons.map((r) => translate(locale, `reason.${r}` as MessageKey)).join(', '),
        },
      });
    }
    case 'resolve':
    case 'resolve_all': {
      const result = await orNotFound(
        resolveOrderReasons(context, user, {
          orderId,
          reasons: input.intent === 'resolve' ? [input.reason] : undefined,
          note: input.note,
          ip,
        }),
      );
      if (!result.ok) return redirectWithFlash(back, context, refusalFlash(result, 'order'));
      const locale = await resolveLocale(request, context.config);
      const reasons = result.resolved.map((r) => translate(locale, `reason.${r}` as MessageKey)).join(', ');
      return redirectWithFlash(back, context, {
        kind: 'success',
        key: 'order.resolve.done',
        params: { reasons, open: result.stillOpen.length },
      });
    }
    case 'cancel_review': {
      const review = await orNotFound(reviewCancel(context, { orderId, amount: input.amount, reason: input.reason }));
      if (!review.ok) return redirectWithFlash(back, context, refusalFlash(review, 'order'));
      const { ok: _ok, ...shown } = review;
      return data<CancelReviewData>({ intent: 'cancel_review', ...shown });
    }
    case 'cancel': {
      if (input.confirm !== 'yes')
        return redirectWithFlash(back, context, { kind: 'error', key: 'order.cancel.notConfirmed' });
      const result = await orNotFound(
        cancelOrderPayment(context, user, { orderId, amount: input.amount, reason: input.reason, ip }),
      );
      if (!result.ok) return redirectWithFlash(back, context, refusalFlash(result, 'order'));
      return redirectWithFlash(back, context, {
        kind: 'success',
        key: 'order.cancel.done',
        params: { amount: result.refunded, status: result.status },
      });
    }
  }
}

/** A missing order (or store) is a 404 page, whichever action asked. */
async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') throw errorResponse(error);
    throw error;
  }
}

export default function OrderPage() {
  const t = useT();
  const locale = useLocale();
  const user = useDashUser();
  const { order, reasons, timeline, noteMax } = useLoaderData<OrderDetail & { noteMax: number }>();
  const review = useActionData<CancelReviewData>();
  const canOperate = user ? hasRole(user.role, 'operator') : false;
  const canCancel = user ? hasRole(user.role, 'admin') : false;
  const openReasons = reasons.filter((r) => r.resolvedAt === null);
  const resolvedReasons = reasons.filter((r) => r.resolvedAt !== null);

  return (
    <>
      <p className="small">
        <Link to="/orders">← {t('order.back')}</Link>
      </p>
      <PageHeader
        title={
          <>
            <span className="mono" data-testid="order-merchant-uid">
              {order.merchantUid}
            </span>{' '}
            <StatusBadge status={order.status} />
          </>
        }
        description={t('order.intro', { store: order.store.name, slug: order.store.slug })}
      />

      <div className="order-grid">
        <div>
          <section className="card" aria-labelledby="amounts-heading">
            <h2 id="amounts-heading">{t('order.amounts')}</h2>
            <div className="amounts">
              <div className="amount-box">
                <span className="muted small">{t('order.expected')}</span>
                <strong data-testid="expected-amount">
                  <Money amount={order.expectedAmount} currency={order.currency} />
                </strong>
              </div>
              <div className={`amount-box${order.amountDiffers ? ' amount-differs' : ''}`}>
                <span className="muted small">{t('order.paid')}</span>
                <strong data-testid="paid-amount">
                  <Money amount={order.paidAmount} currency={order.currency} />
                </strong>
              </div>
              <div className="amount-box">
                <span className="muted small">{t('order.cancelled')}</span>
                <strong data-testid="refunded-amount">
                  <Money amount={order.cancelAmount} currency={order.currency} />
                </strong>
              </div>
              <div className="amount-box">
                <span className="muted small">{t('order.net')}</span>
                <strong data-testid="net-amount">
                  <Money amount={order.netAmount} currency={order.currency} />
                </strong>
              </div>
            </div>
            {order.paidAmount === null ? (
              <p className="muted small" data-testid="nothing-paid">
                {order.awaitingDeposit !== null
                  ? t('order.awaitingDeposit', { amount: formatAmount(locale, order.awaitingDeposit, order.currency) })
                  : t('order.nothingPaid')}
              </p>
            ) : null}
            {order.amountDiffers ? (
              <p className="form-error" role="alert">
                {t('order.amountDiffers')}
              </p>
            ) : null}
            <dl className="facts">
              <dt>{t('order.status')}</dt>
              <dd data-testid="order-status">
                <StatusBadge status={order.status} />{' '}
                {order.gatewayStatus ? (
                  <span className="muted small">({t('order.gatewaySays', { status: order.gatewayStatus })})</span>
                ) : null}
              </dd>
              <dt>{t('order.impUid')}</dt>
              <dd className="mono">{order.impUid ?? '—'}</dd>
              <dt>{t('order.name')}</dt>
              <dd>{order.name ?? '—'}</dd>
              <dt>{t('order.buyer')}</dt>
              <dd data-testid="buyer">
                {order.buyerName ?? '—'}
                {order.facts.buyerEmail ? <div className="small">{order.facts.buyerEmail}</div> : null}
                {order.facts.buyerTel ? <div className="small">{order.facts.buyerTel}</div> : null}
              </dd>
              <dt>{t('order.payMethod')}</dt>
              <dd>
                <PayMethod code={order.payMethod} />{' '}
                {order.pgProvider ? <span className="muted">· {order.pgProvider}</span> : null}
              </dd>
              {order.facts.failReason ? (
                <>
                  <dt>{t('order.failReason')}</dt>
                  <dd data-testid="fail-reason">{order.facts.failReason}</dd>
                </>
              ) : null}
              {order.facts.cancelReason ? (
                <>
                  <dt>{t('order.gatewayCancelReason')}</dt>
                  <dd data-testid="cancel-reason">{order.facts.cancelReason}</dd>
                </>
              ) : null}
              <dt>{t('order.source')}</dt>
              <dd>{t(order.source === 'api' ? 'order.sourceApi' : 'order.sourceEvidence')}</dd>
              <dt>{t('order.created')}</dt>
              <dd>
                <Time iso={order.createdAt} seconds />
              </dd>
              <dt>{t('order.paidAt')}</dt>
              <dd>
                <Time iso={order.paidAt} seconds />
              </dd>
              {order.vbank ? (
                <>
                  <dt>{t('order.vbank')}</dt>
                  <dd data-testid="order-vbank">
                    {order.vbank.bank ?? '—'} <span className="mono">{order.vbank.number ?? '—'}</span>
                    {order.vbank.holder ? <span className="muted"> · {order.vbank.holder}</span> : null}
                    <div className="small">
                      <Money amount={order.vbank.amount} currency={order.vbank.currency} />
                    </div>
                  </dd>
                  <dt>{t('order.vbankDue')}</dt>
                  <dd data-testid="order-vbank-due">
                    <Time iso={order.vbank.deadline} />{' '}
                    {order.status === 'vbank_issued' ? (
                      order.vbank.overdue ? (
                        <span className="badge badge-tone-danger" data-testid="vbank-overdue">
                          {t('order.vbankOverdue')}
                        </span>
                      ) : (
                        <span className="badge badge-tone-info">{t('order.vbankWaiting')}</span>
                      )
                    ) : null}
                  </dd>
                </>
              ) : null}
              <dt>{t('order.lastChecked')}</dt>
              <dd>
                <Time iso={order.lastCheckedAt} seconds />
              </dd>
              <dt>{t('order.nextCheck')}</dt>
              <dd data-testid="next-check">
                {order.nextCheckAt ? <Time iso={order.nextCheckAt} seconds /> : t('order.noNextCheck')}
              </dd>
              <dt>{t('order.attempts')}</dt>
              <dd>{order.checkAttempts}</dd>
            </dl>
          </section>

          <section className="card" aria-labelledby="reasons-heading" data-testid="reasons">
            <h2 id="reasons-heading">{t('order.reasons')}</h2>
            {reasons.length === 0 ? <p className="muted">{t('order.noReasons')}</p> : null}
            {openReasons.length > 0 ? (
              <ul className="reason-list" data-testid="open-reasons">
                {openReasons.map((r) => (
                  <li key={r.id} data-reason={r.reason}>
                    <ReasonBadge reason={r.reason} /> <span className="muted small">{t('order.since')}</span>{' '}
                    <Time iso={r.openedAt} seconds />
                    <p className="small muted">{t(`reason.${r.reason}.help` as MessageKey)}</p>
                    {r.detail ? <p className="small">{r.detail}</p> : null}
                    {canOperate ? (
                      <Form method="post" className="reason-form">
                        <CsrfInput />
                        <input type="hidden" name="intent" value="resolve" />
                        <input type="hidden" name="reason" value={r.reason} />
                        <label htmlFor={`note-${r.id}`} className="small">
                          {t('order.resolveNote')}
                        </label>
                        <textarea id={`note-${r.id}`} name="note" required minLength={3} maxLength={noteMax} />
                        <div>
                          <SubmitButton
                            variant="secondary"
                            match={{ intent: 'resolve', reason: r.reason }}
                            pendingLabel={t('order.resolving')}
                          >
                            {t('order.resolve')}
                          </SubmitButton>
                        </div>
                      </Form>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : null}
            {resolvedReasons.length > 0 ? (
              <>
                <h3 className="small muted">{t('order.resolvedReasons')}</h3>
                <ul className="reason-list" data-testid="resolved-reasons">
                  {resolvedReasons.map((r) => (
                    <li key={r.id} data-reason={r.reason}>
                      <ReasonBadge reason={r.reason} resolved /> <Time iso={r.openedAt} /> → <Time iso={r.resolvedAt} />{' '}
                      <span className="muted small">{t('timeline.by', { by: r.resolvedBy ?? '—' })}</span>
                      {r.note ? <p className="small">{r.note}</p> : null}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </section>
        </div>

        <aside className="card action-stack" aria-labelledby="actions-heading" data-testid="order-actions">
          <h2 id="actions-heading">{t('order.actions')}</h2>
          {!canOperate ? <p className="muted small">{t('order.viewerNote')}</p> : null}
          {canOperate ? (
            <Form method="post">
              <CsrfInput />
              <p className="small muted">{t('order.recheckHelp')}</p>
              <SubmitButton name="intent" value="recheck" pendingLabel={t('order.rechecking')}>
                {t('order.recheck')}
              </SubmitButton>
            </Form>
          ) : null}
          {canCancel && order.refundable !== null && order.refundable > 0 ? (
            review ? (
              <Form method="post" className="confirm-box" data-testid="cancel-confirm">
                <CsrfInput />
                <input type="hidden" name="intent" value="cancel" />
                <input type="hidden" name="confirm" value="yes" />
                {review.partial ? <input type="hidden" name="amount" value={review.amount} /> : null}
                <input type="hidden" name="reason" value={review.reason} />
                <strong>{t('order.cancelConfirmTitle')}</strong>
                <p>
                  {t(review.partial ? 'order.cancelConfirmPartial' : 'order.cancelConfirmFull', {
                    amount: review.amount,
                    currency: review.preview.currency,
                    refundable: review.preview.refundable,
                    impUid: review.preview.impUid,
                  })}
                </p>
                <p className="small">
                  {t('order.cancelReason')}: {review.reason}
                </p>
                <div className="row-form">
                  <SubmitButton variant="danger" match={{ intent: 'cancel' }} pendingLabel={t('order.cancelling')}>
                    {t('order.cancelConfirm')}
                  </SubmitButton>
                  <Link to={`/orders/${order.id}`} className="btn btn-secondary">
                    {t('order.cancelBack')}
                  </Link>
                </div>
              </Form>
            ) : (
              <Form method="post" data-testid="cancel-form">
                <CsrfInput />
                <input type="hidden" name="intent" value="cancel_review" />
                <h3 className="small">{t('order.cancelTitle')}</h3>
                <p className="small" data-testid="refundable">
                  {t('order.refundable')}: <Money amount={order.refundable} currency={order.currency} />
                </p>
                <label htmlFor="cancel-amount" className="small">
                  {t('order.cancelAmount')}
                </label>
                <input
                  id="cancel-amount"
                  name="amount"
                  type="number"
                  min={1}
                  max={order.refundable}
                  step={1}
                  inputMode="numeric"
                  placeholder={String(order.refundable)}
                />
                <label htmlFor="cancel-reason" className="small">
                  {t('order.cancelReason')}
                </label>
                <textarea id="cancel-reason" name="reason" required minLength={3} maxLength={noteMax} />
                <div>
                  <SubmitButton
                    variant="danger"
                    match={{ intent: 'cancel_review' }}
                    pendingLabel={t('order.cancelReviewing')}
                  >
                    {t('order.cancelReview')}
                  </SubmitButton>
                </div>
              </Form>
            )
          ) : null}
          {canOperate && openReasons.length > 1 ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="resolve_all" />
              <label htmlFor="note-all" className="small">
                {t('order.resolveAllNote')}
              </label>
              <textarea id="note-all" name="note" required minLength={3} maxLength={noteMax} />
              <div>
                <SubmitButton variant="secondary" match={{ intent: 'resolve_all' }} pendingLabel={t('order.resolving')}>
                  {t('order.resolveAll')}
                </SubmitButton>
              </div>
            </Form>
          ) : null}
        </aside>
      </div>

      <section className="card" aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">{t('order.timeline')}</h2>
        <p className="small muted">{t('order.timelineHelp')}</p>
        <OrderTimeline entries={timeline} currency={order.currency} />
      </section>
    </>
  );
}
