import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigation } from '@remix-run/react';
import { requireUser } from '~/auth/guard.server';
import { maskItems, masksBuyer } from '~/monitor/dashboard/mask';
import { EmptyState } from '~/components/empty-state';
import { Money, PayMethod, ReasonBadge, StatusBadge, Time } from '~/components/order-bits';
import { OrderFilters, Pager } from '~/components/order-filters';
import orderStyles from '~/components/order-log.css';
import { PageHeader } from '~/components/page-header';
import { AppError } from '~/errors';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { formatNumber } from '~/i18n/format';
import {
  orderLog,
  orderLogChoices,
  type OrderLogForm,
  type OrderLogView,
} from '~/monitor/dashboard/payment-log.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: orderStyles }];
export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'orders.title');

const FORM_KEYS = ['store', 'status', 'reason', 'method', 'pg', 'from', 'to', 'min', 'max', 'q'] as const;
const SEARCH_FIELDS = ['id', 'email', 'phone', 'name'] as const;

/** The raw parameters echoed into the form when the server refused them (so they can be fixed). */
function rawForm(params: URLSearchParams): OrderLogForm {
  const form = Object.fromEntries(FORM_KEYS.map((k) => [k, (params.get(k) ?? '').slice(0, 100)])) as Record<
    (typeof FORM_KEYS)[number],
    string
  >;
  const sort = params.get('sort');
  const field = SEARCH_FIELDS.find((f) => f === params.get('field')) ?? 'id';
  return {
    ...form,
    field,
    sort: sort === 'amount' || sort === 'updated' ? sort : 'created',
    dir: params.get('dir') === 'asc' ? 'asc' : 'desc',
  };
}

type LoaderData =
  | (OrderLogView & { ok: true; search: string; buyerSearch: boolean })
  | (Pick<OrderLogView, 'stores' | 'payMethods' | 'pgProviders' | 'params'> & {
      ok: false;
      error: string;
      param: string | null;
      search: string;
      buyerSearch: boolean;
    });

/** The payment log: every signed-in user. A bad filter parameter answers 400 with the reason. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const url = new URL(request.url);
  // Viewers see buyer fields masked, so they cannot search by them either (decision 0157).
  const buyerSearch = !masksBuyer(user.role);
  try {
    const view = await orderLog(context, url.searchParams, { buyerSearch });
    const page = { ...view.page, items: maskItems(user.role, view.page.items) };
    return { ok: true, ...view, page, search: url.search, buyerSearch } satisfies LoaderData;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'bad_request') throw error;
    const choices = await orderLogChoices(context);
    const param = typeof error.details?.param === 'string' ? error.details.param : null;
    return data<LoaderData>(
      {
        ok: false,
        error: error.message,
        param,
        params: rawForm(url.searchParams),
        ...choices,
        search: url.search,
        buyerSearch,
      },
      { status: 400 },
    );
  }
}

function exportHref(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('cursor');
  params.delete('size');
  const query = params.toString();
  return `/orders/export.csv${query ? `?${query}` : ''}`;
}

export default function OrderLog() {
  const t = useT();
  const locale = useLocale();
  const view = useLoaderData<LoaderData>();
  const navigation = useNavigation();
  const loading = navigation.state === 'loading' && navigation.location.pathname === '/orders';

  return (
    <>
      <PageHeader
        title={t('orders.title')}
        description={t('orders.intro')}
        actions={
          view.ok ? (
            <a href={exportHref(view.search)} className="btn btn-secondary" download data-testid="export-csv">
              {t('orders.exportCsv')}
            </a>
          ) : null
        }
      />
      <OrderFilters
        params={view.params}
        stores={view.stores}
        payMethods={view.payMethods}
        pgProviders={view.pgProviders}
        buyerSearch={view.buyerSearch}
        invalid={view.ok ? null : view.param}
      />
      {view.ok && view.page.items.length > 0 ? (
        <p className="muted small log-total" data-testid="log-total" data-count={view.total.count}>
          {view.total.more
            ? t('orders.totalMore', { count: formatNumber(locale, view.total.count) })
            : t('orders.total', { count: formatNumber(locale, view.total.count) })}
        </p>
      ) : null}

      {!view.ok ? (
        <div className="form-error" role="alert" data-testid="filter-error">
          <p>{t('orders.badFilter')}</p>
          <p className="mono small">{view.error}</p>
          <Link to="/orders">{t('filters.reset')}</Link>
        </div>
      ) : view.page.items.length === 0 ? (
        view.filtered ? (
          <EmptyState title={t('orders.noMatchTitle')} action={<Link to="/orders">{t('filters.reset')}</Link>}>
            {t('orders.noMatchBody')}
          </EmptyState>
        ) : (
          <EmptyState title={t('orders.emptyTitle')}>{t('orders.emptyBody')}</EmptyState>
        )
      ) : (
        <div className={loading ? 'is-loading' : undefined} aria-busy={loading || undefined}>
          <div className="table-scroll">
            <table className="data-table order-table" data-testid="orders-table">
              <caption className="muted small">{t('orders.timesInKst')}</caption>
              <thead>
                <tr>
                  <th>{t('orders.colCreated')}</th>
                  <th>{t('orders.colStore')}</th>
                  <th>{t('orders.colMerchantUid')}</th>
                  <th>{t('orders.colBuyer')}</th>
                  <th className="num">{t('orders.colExpected')}</th>
                  <th className="num">{t('orders.colPaid')}</th>
                  <th>{t('orders.colStatus')}</th>
                  <th>{t('orders.colAttention')}</th>
                  <th>{t('orders.colMethod')}</th>
                  <th>{t('orders.colUpdated')}</th>
                </tr>
              </thead>
              <tbody>
                {view.page.items.map((o) => (
                  <tr
                    key={o.id}
                    data-testid="order-row"
                    data-order-id={o.id}
                    data-merchant-uid={o.merchantUid}
                    data-imp-uid={o.impUid ?? undefined}
                  >
                    <td>
                      <Time iso={o.createdAt} zone={false} />
                    </td>
                    <td>{o.store.slug}</td>
                    <td className="mono">
                      <Link to={`/orders/${o.id}`}>{o.merchantUid}</Link>
                      {o.impUid ? <div className="muted small">{o.impUid}</div> : null}
                    </td>
                    <td>{o.buyerName ?? <span className="muted">—</span>}</td>
                    <td className="num">
                      <Money amount={o.expectedAmount} currency={o.currency} />
                    </td>
                    <td
                      className={`num${o.paidAmount !== null && o.expectedAmount !== null && o.paidAmount !== o.expectedAmount ? ' amount-differs' : ''}`}
                    >
                      <Money amount={o.paidAmount} currency={o.currency} />
                      {o.cancelAmount ? (
                        <div className="muted small" data-testid="refunded">
                          {t('orders.refundedShort')} <Money amount={o.cancelAmount} currency={o.currency} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <StatusBadge status={o.status} />
                    </td>
                    <td>
                      {o.openReasons.map((r) => (
                        <ReasonBadge key={r} reason={r} />
                      ))}
                    </td>
                    <td className="small">
                      <PayMethod code={o.payMethod} />
                      {o.pgProvider ? <div className="muted">{o.pgProvider}</div> : null}
                    </td>
                    <td>
                      <Time iso={o.updatedAt} zone={false} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager search={view.search} prev={view.page.prev} next={view.page.next} />
        </div>
      )}
    </>
  );
}
