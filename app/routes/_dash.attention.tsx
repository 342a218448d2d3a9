import {
  data,
  type ActionFunctionArgs,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, Link, useLoaderData, useLocation } from '@remix-run/react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser, safeRedirectTo } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { CsrfInput } from '~/components/csrf-input';
import { useDashUser } from '~/components/dash-shell';
import { EmptyState } from '~/components/empty-state';
import { Money, ReasonBadge, StatusBadge, Time } from '~/components/order-bits';
import { Pager } from '~/components/order-filters';
import orderStyles from '~/components/order-log.css';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { resolveLocale } from '~/i18n/locale.server';
import { translate, type MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useT } from '~/i18n/use-t';
import {
  BULK_LIMIT,
  NOTE_MAX,
  recheckOrder,
  recheckOrders,
  resolveMany,
  selectionSchema,
} from '~/monitor/verify/manual-actions.server';
import { attentionQueue, type AttentionQueue } from '~/monitor/dashboard/attention-queue.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: orderStyles }];
export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'attention.title');

/** Server constants the page shows (a `.server` module's exports do not exist in the browser). */
type Limits = { bulkLimit: number; noteMax: number };
type LoaderData =
  | (AttentionQueue & Limits & { ok: true; search: string })
  | { ok: false; error: string; search: string };

/** The attention queue: every signed-in user reads it; re-check and resolve need an operator. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  const url = new URL(request.url);
  try {
    return {
      ok: true,
      ...(await attentionQueue(context, url.searchParams)),
      search: url.search,
      bulkLimit: BULK_LIMIT,
      noteMax: NOTE_MAX,
    } satisfies LoaderData;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'bad_request') throw error;
    return data<LoaderData>({ ok: false, error: error.message, search: url.search }, { status: 400 });
  }
}

/** One order may be ticked once per open reason: a selection holds a few entries per order. */
const ATTENTION_SELECTION_FACTOR = 4;

const orderId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const bulkSchema = z.object({
  intent: z.enum(['recheck', 'resolve']).optional(),
  one: orderId.optional(),
  note: z
    .string()
    .max(NOTE_MAX * 2)
    .default(''),
  back: z.string().max(2000).optional(),
});

/**
 * One form for the whole queue: per-row "re-check now" (`one`), or a bulk re-check / resolve of
 * the ticked rows (`sel` = `orderId:reason`), at most BULK_LIMIT orders per submission.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const parsed = bulkSchema.safeParse({
    intent: form.get('intent') ?? undefined,
    one: form.get('one') ?? undefined,
    note: form.get('note') ?? undefined,
    back: form.get('back') ?? undefined,
  });
  const backTo = (value: string | undefined) => {
    const target = safeRedirectTo(value, '/attention');
    return target === '/attention' || target.startsWith('/attention?') ? target : '/attention';
  };
  if (!parsed.success)
    return redirectWithFlash('/attention', context, { kind: 'error', key: 'attention.error.badInput' });
  const input = parsed.data;
  const back = backTo(input.back);
  const ip = context.clientIp;
  const rawSelection = form.getAll('sel');
  if (rawSelection.length > BULK_LIMIT * ATTENTION_SELECTION_FACTOR) {
    return redirectWithFlash(back, context, {
      kind: 'error',
      key: 'attention.error.tooMany',
      params: { max: BULK_LIMIT },
    });
  }
  const selection = z.array(selectionSchema).safeParse(rawSelection);
  if (!selection.success) return redirectWithFlash(back, context, { kind: 'error', key: 'attention.error.badInput' });

  try {
    if (input.one !== undefined) {
      const result = await recheckOrder(context, user, { orderId: input.one, ip });
      const locale = await resolveLocale(request, context.config);
      return redirectWithFlash(back, context, {
        kind: result.openReasons.length === 0 ? 'success' : 'info',
        key: result.openReasons.length === 0 ? 'attention.recheckOne.settled' : 'attention.recheckOne.open',
        params: {
          merchantUid: result.merchantUid,
          open: result.openReasons.map((r) => translate(locale, `reason.${r}` as MessageKey)).join(', '),
        },
      });
    }
    const orderIds = [...new Set(selection.data.map((s) => s.orderId))];
    if (orderIds.length === 0)
      return redirectWithFlash(back, context, { kind: 'error', key: 'attention.error.noneSelected' });
    if (orderIds.length > BULK_LIMIT)
      return redirectWithFlash(back, context, {
        kind: 'error',
        key: 'attention.error.tooMany',
        params: { max: BULK_LIMIT },
      });
    if (input.intent === 'resolve') {
      if (input.note.trim().length < 3)
        return redirectWithFlash(back, context, { kind: 'error', key: 'attention.error.noteRequired' });
      const result = await resolveMany(context, user, { items: selection.data, note: input.note, ip });
      return redirectWithFlash(back, context, {
        kind: 'success',
        key: 'attention.resolved',
        params: { orders: result.orders, reasons: result.resolved, skipped: result.skipped },
      });
    }
    if (input.intent === 'recheck') {
      const result = await recheckOrders(context, user, { orderIds, ip });
      return redirectWithFlash(back, context, {
        kind: result.errors > 0 ? 'error' : 'success',
        key: 'attention.rechecked',
        params: {
          checked: result.checked,
          settled: result.settled,
          open: result.stillOpen,
          errors: result.errors + result.missing,
        },
      });
    }
    return redirectWithFlash(back, context, { kind: 'error', key: 'attention.error.badInput' });
  } catch (error) {
    if (!(error instanceof AppError) || error.code === 'internal') throw error;
    if (error.code === 'forbidden') throw errorResponse(error);
    return redirectWithFlash(back, context, {
      kind: 'error',
      key: 'attention.error.refused',
      params: { detail: error.message.slice(0, 280) },
    });
  }
}

export default function Attention() {
  const t = useT();
  const user = useDashUser();
  const view = useLoaderData<LoaderData>();
  const location = useLocation();
  const canOperate = user ? hasRole(user.role, 'operator') : false;
  const back = `${location.pathname}${location.search}`;

  if (!view.ok) {
    return (
      <>
        <PageHeader title={t('attention.title')} description={t('attention.intro')} />
        <div className="form-error" role="alert" data-testid="filter-error">
          <p>{t('orders.badFilter')}</p>
          <p className="mono small">{view.error}</p>
          <Link to="/attention">{t('filters.reset')}</Link>
        </div>
      </>
    );
  }

  const { groups, summary, total, params, stores, bulkLimit, noteMax } = view;
  const tabHref = (reason: string) => {
    const query = new URLSearchParams();
    if (params.store) query.set('store', params.store);
    if (reason) query.set('reason', reason);
    const search = query.toString();
    return search ? `/attention?${search}` : '/attention';
  };

  return (
    <>
      <PageHeader title={t('attention.title')} description={t('attention.intro')} />

      <Form method="get" className="inline-form card" aria-label={t('filters.label')}>
        {params.reason ? <input type="hidden" name="reason" value={params.reason} /> : null}
        <div className="field">
          <label htmlFor="attention-store">{t('filters.store')}</label>
          <select id="attention-store" name="store" defaultValue={params.store}>
            <option value="">{t('filters.any')}</option>
            {stores.map((s) => (
              <option key={s.slug} value={s.slug}>
                {s.name} ({s.slug})
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-secondary">
          {t('filters.apply')}
        </button>
      </Form>

      {total === 0 && !params.reason ? (
        <EmptyState title={t('attention.emptyTitle')} action={<Link to="/orders">{t('attention.emptyAction')}</Link>}>
          {t('attention.emptyBody')}
        </EmptyState>
      ) : (
        <>
          <nav className="reason-tabs" aria-label={t('attention.byReason')}>
            <Link to={tabHref('')} aria-current={params.reason === '' ? 'page' : undefined}>
              {t('attention.allReasons')}
            </Link>
            {summary.map((g) => (
              <Link
                key={g.reason}
                to={tabHref(g.reason)}
                aria-current={params.reason === g.reason ? 'page' : undefined}
              >
                {t(`reason.${g.reason}` as MessageKey)} ({g.count})
              </Link>
            ))}
          </nav>

          {groups.length === 0 ? (
            <EmptyState
              title={t('attention.reasonEmptyTitle')}
              action={<Link to="/attention">{t('attention.allReasons')}</Link>}
            >
              {t('attention.reasonEmptyBody')}
            </EmptyState>
          ) : (
            <Form method="post" data-testid="attention-form">
              <CsrfInput />
              <input type="hidden" name="back" value={back} />
              {groups.map((group) => (
                <section
                  key={group.reason}
                  className="attention-group"
                  data-testid={`group-${group.reason}`}
                  aria-labelledby={`group-${group.reason}-heading`}
                >
                  <header>
                    <h2 id={`group-${group.reason}-heading`}>
                      <ReasonBadge reason={group.reason} /> {t('attention.groupCount', { count: group.count })}
                    </h2>
                    <p className="muted small">
                      {t('attention.oldest')} <Time iso={group.oldest} />
                    </p>
                  </header>
                  <p className="small muted">{t(`reason.${group.reason}.help` as MessageKey)}</p>
                  <div className="table-scroll">
                    <table className="data-table">
                      <caption className="muted small">{t('orders.timesInKst')}</caption>
                      <thead>
                        <tr>
                          {canOperate ? (
                            <th>
                              {/* Ticks every row of this reason (needs JavaScript; rows can be ticked one by one without). */}
                              <input
                                type="checkbox"
                                aria-label={t('attention.select')}
                                onChange={(event) => {
                                  const table = event.currentTarget.closest('table');
                                  table?.querySelectorAll<HTMLInputElement>('input[name="sel"]').forEach((box) => {
                                    box.checked = event.currentTarget.checked;
                                  });
                                }}
                              />
                            </th>
                          ) : null}
                          <th>{t('attention.colSince')}</th>
                          <th>{t('orders.colMerchantUid')}</th>
                          <th className="num">{t('orders.colExpected')}</th>
                          <th>{t('orders.colStatus')}</th>
                          <th className="num">{t('attention.colAttempts')}</th>
                          <th>{t('attention.colNextCheck')}</th>
                          <th>{t('attention.colDetail')}</th>
                          {canOperate ? <th>{t('users.colActions')}</th> : null}
                        </tr>
                      </thead>
                      <tbody>
                        {group.items.map((item) => (
                          <tr
                            key={item.reasonId}
                            data-testid="attention-row"
                            data-order-id={item.orderId}
                            data-merchant-uid={item.merchantUid}
                          >
                            {canOperate ? (
                              <td>
                                <input
                                  type="checkbox"
                                  name="sel"
                                  value={`${item.orderId}:${item.reason}`}
                                  aria-label={t('attention.selectOrder', { merchantUid: item.merchantUid })}
                                />
                              </td>
                            ) : null}
                            <td>
                              <Time iso={item.since} zone={false} />
                            </td>
                            <td>
                              <Link to={`/orders/${item.orderId}`} className="mono">
                                {item.merchantUid}
                              </Link>
                              <div className="muted small">
                                {item.store.slug}
                                {item.openReasonCount > 1
                                  ? ` · ${t('attention.moreReasons', { count: item.openReasonCount - 1 })}`
                                  : null}
                              </div>
                            </td>
                            <td className="num">
                              <Money amount={item.expectedAmount} currency={item.currency} />
                              {item.paidAmount !== null && item.paidAmount !== item.expectedAmount ? (
                                <div className="amount-differs small">
                                  {t('order.paid')} <Money amount={item.paidAmount} currency={item.currency} />
                                </div>
                              ) : null}
                            </td>
                            <td>
                              <StatusBadge status={item.status} />
                            </td>
                            <td className="num">{item.attempts}</td>
                            <td>
                              {item.nextCheckAt ? (
                                <Time iso={item.nextCheckAt} zone={false} />
                              ) : (
                                <span className="muted">{t('attention.waitsForPerson')}</span>
                              )}
                            </td>
                            <td className="small detail">{item.detail ?? '—'}</td>
                            {canOperate ? (
                              <td>
                                <SubmitButton
                                  variant="secondary"
                                  name="one"
                                  value={String(item.orderId)}
                                  pendingLabel={t('order.rechecking')}
                                >
                                  {t('attention.recheckOne')}
                                </SubmitButton>
                              </td>
                            ) : null}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  {params.reason ? (
                    <>
                      <Pager search={view.search} prev={null} next={group.next} cursorParam="after" />
                      {params.after ? (
                        <p className="small">
                          <Link to={tabHref(group.reason)}>{t('attention.firstPage')}</Link>
                        </p>
                      ) : null}
                    </>
                  ) : group.count > group.items.length ? (
                    <p className="small">
                      <Link to={tabHref(group.reason)}>{t('attention.showAll', { count: group.count })}</Link>
                    </p>
                  ) : null}
                </section>
              ))}
              {canOperate ? (
                <div className="bulk-bar" data-testid="bulk-bar">
                  <div className="field">
                    <label htmlFor="bulk-note">{t('attention.bulkNote')}</label>
                    <textarea id="bulk-note" name="note" maxLength={noteMax} />
                  </div>
                  <SubmitButton variant="secondary" name="intent" value="recheck" pendingLabel={t('order.rechecking')}>
                    {t('attention.bulkRecheck')}
                  </SubmitButton>
                  <SubmitButton variant="primary" name="intent" value="resolve" pendingLabel={t('order.resolving')}>
                    {t('attention.bulkResolve')}
                  </SubmitButton>
                  <p className="small muted">{t('attention.bulkHelp', { max: bulkLimit })}</p>
                </div>
              ) : (
                <p className="muted small">{t('order.viewerNote')}</p>
              )}
            </Form>
          )}
        </>
      )}
    </>
  );
}
