import { openIncidentsSummary } from '~/alerts/pages.server';
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { BacklogChart } from '~/components/charts/backlog-chart';
import { ChartFrame } from '~/components/charts/chart-frame';
import chartsHref from '~/components/charts/charts.css';
import { formatBucket, formatCompact, formatCount } from '~/components/charts/format';
import { FLAG_COLORS, OUTCOME_COLORS, SERIES_COLORS, STATUS_COLORS } from '~/components/charts/palette';
import { StackedBars } from '~/components/charts/stacked-bars';
import { TotalsBars, type TotalItem } from '~/components/charts/totals-bars';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { formatAmount, formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { checkHealth } from '~/health.server';
import { getOverview, REFRESH_EVERY_MS, type Overview } from '~/monitor/dashboard/overview.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

function formatBytes(locale: string, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: chartsHref }];

export const meta: MetaFunction = ({ matches }) => pageMeta(matches, 'overview.title');

/** The overview: counts and charts for a KST date range and store, all summed on the server. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const params = new URL(request.url).searchParams;
  // Independent reads: side by side (on PostgreSQL each takes its own pooled connection).
  const [overview, health, alerts] = await Promise.all([
    getOverview(context, {
      from: params.get('from') ?? undefined,
      to: params.get('to') ?? undefined,
      store: params.get('store') ?? undefined,
    }),
    checkHealth(context),
    openIncidentsSummary(context),
  ]);
  return {
    overview,
    alerts,
    canManageStores: hasRole(user.role, 'admin'),
    refreshSeconds: REFRESH_EVERY_MS / 1000,
    databaseBytes: health.checks.database.sizeBytes ?? null,
  };
}

function query(o: Overview, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ from: o.range.from, to: o.range.to });
  if (o.store) q.set('store', o.store);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return `?${q}`;
}

export default function OverviewPage() {
  const { overview: o, alerts, canManageStores, refreshSeconds, databaseBytes } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const count = (n: number) => formatCount(locale, n);
  const tick = (n: number) => formatCompact(locale, n);
  const grain = t(o.range.grain === 'day' ? 'overview.grainDay' : 'overview.grainHour');

  if (o.empty === 'no_stores') {
    return (
      <>
        <PageHeader title={t('overview.title')} description={t('overview.intro')} />
        <EmptyState
          title={t('overview.emptyTitle')}
          action={canManageStores ? <Link to="/stores/new">{t('overview.noStoresAction')}</Link> : undefined}
        >
          {t(canManageStores ? 'overview.noStoresBody' : 'overview.noStoresBodyViewer')}
        </EmptyState>
      </>
    );
  }

  const statusSeries = o.totals.byStatus.map((s) => ({
    key: s.status,
    label: t(`status.${s.status}` as MessageKey),
    color: STATUS_COLORS[s.status] ?? '#999',
  }));
  const openTotal = o.attention.open.reduce((n, r) => n + r.count, 0);
  const paid = o.totals.byStatus.find((s) => s.status === 'paid')?.orders ?? 0;
  const failed = o.totals.byStatus.find((s) => s.status === 'failed')?.orders ?? 0;
  const main = o.totals.amounts.find((a) => a.currency === o.currency);
  const outcomes: TotalItem[] = o.verification.map((v) => ({
    key: v.outcome,
    label: t(`outcome.${v.outcome}` as MessageKey),
    value: v.count,
    color: OUTCOME_COLORS[v.outcome] ?? '#999',
  }));
  const delays: TotalItem[] = o.webhookDelay.map((d) => ({
    key: d.bucket,
    label: t(`overview.delay.${d.bucket}` as MessageKey),
    value: d.count,
    color:
      d.bucket === 'early'
        ? SERIES_COLORS.early
        : ['h1', 'h24', 'later'].includes(d.bucket)
          ? SERIES_COLORS.late
          : SERIES_COLORS.primary,
  }));
  const flags: TotalItem[] = o.redirectFlags.map((f) => ({
    key: f.kind,
    label: t(`overview.flag.${f.kind}` as MessageKey),
    value: f.count,
    color: FLAG_COLORS[f.kind] ?? '#999',
  }));

  return (
    <>
      <PageHeader title={t('overview.title')} description={t('overview.intro')} />
      {databaseBytes !== null ? (
        <p className="muted small" data-testid="database-size">
          {t('overview.databaseSize', { size: formatBytes(locale, databaseBytes) })}
        </p>
      ) : null}
      <OpenIncidents summary={alerts} />

      <Form method="get" className="overview-filters" aria-label={t('overview.filters')}>
        <nav className="presets" aria-label={t('overview.presets')}>
          {o.range.presets.map((p) => {
            const current = p.from === o.range.from && p.to === o.range.to;
            const q = new URLSearchParams({ from: p.from, to: p.to });
            if (o.store) q.set('store', o.store);
            return (
              <Link
                key={p.days}
                to={`?${q}`}
                aria-current={current ? 'true' : undefined}
                data-testid={`preset-${p.days}`}
              >
                {p.days === 1 ? t('overview.presetToday') : t('overview.presetDays', { days: p.days })}
              </Link>
            );
          })}
        </nav>
        <div className="field">
          <label htmlFor="overview-from">{t('overview.from')}</label>
          <input
            id="overview-from"
            type="date"
            name="from"
            defaultValue={o.range.from}
            max={o.range.today}
            key={`f${o.range.from}`}
          />
        </div>
        <div className="field">
          <label htmlFor="overview-to">{t('overview.to')}</label>
          <input
            id="overview-to"
            type="date"
            name="to"
            defaultValue={o.range.to}
            max={o.range.today}
            key={`t${o.range.to}`}
          />
        </div>
        <div className="field">
          <label htmlFor="overview-store">{t('overview.store')}</label>
          <select id="overview-store" name="store" defaultValue={o.store ?? ''} key={`s${o.store ?? ''}`}>
            <option value="">{t('overview.allStores')}</option>
            {o.stores.map((s) => (
              <option key={s.slug} value={s.slug}>
                {s.name} ({s.slug})
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-secondary">
          {t('overview.apply')}
        </button>
        <span className="overview-asof small muted" data-testid="as-of">
          {o.asOf ? t('overview.asOf', { time: formatDateTime(locale, o.asOf), seconds: refreshSeconds }) : null}
        </span>
      </Form>

      {o.range.invalid ? (
        <p className="flash flash-info" role="status">
          {t('overview.invalidRange')}
        </p>
      ) : null}
      {o.storeUnknown ? (
        <p className="flash flash-info" role="status">
          {t('overview.unknownStore')}
        </p>
      ) : null}

      {o.empty === 'no_orders' ? (
        <EmptyState
          title={t('overview.emptyTitle')}
          action={<Link to="/stores">{t('overview.emptyStoresAction')}</Link>}
        >
          {t('overview.emptyBody')}
        </EmptyState>
      ) : (
        <>
          <section className="stat-row" aria-label={t('overview.summary')}>
            <div className="stat" data-testid="stat-orders">
              <div className="stat-label">{t('overview.statOrders')}</div>
              <div className="stat-value">{count(o.totals.orders)}</div>
              <div className="stat-sub">{t('overview.statRange', { from: o.range.from, to: o.range.to })}</div>
            </div>
            <div className="stat" data-testid="stat-paid">
              <div className="stat-label">{t('status.paid')}</div>
              <div className="stat-value">{count(paid)}</div>
              <div className="stat-sub">{main ? `${count(main.paid)} ${main.currency}` : '—'}</div>
            </div>
            <div className="stat" data-testid="stat-net">
              <div className="stat-label">{t('overview.statNet')}</div>
              <div className="stat-value">{main ? formatAmount(locale, main.net, main.currency) : '—'}</div>
              <div className="stat-sub">
                {main
                  ? t('overview.statNetSub', {
                      gross: formatAmount(locale, main.gross, main.currency),
                      refunded: formatAmount(locale, main.refunded, main.currency),
                    })
                  : '—'}
              </div>
            </div>
            <div className="stat" data-testid="stat-failed">
              <div className="stat-label">{t('status.failed')}</div>
              <div className="stat-value">{count(failed)}</div>
              <div className="stat-sub">
                {o.totals.orders ? `${((failed / o.totals.orders) * 100).toFixed(1)}%` : '—'}
              </div>
            </div>
            <div className="stat" data-testid="stat-attention">
              <Link to="/attention">
                <div className="stat-label">{t('overview.statAttention')}</div>
                <div className="stat-value">{count(openTotal)}</div>
                <div className="stat-sub">{t('overview.statAttentionSub')}</div>
              </Link>
            </div>
            <div className="stat" data-testid="stat-no-webhook">
              <div className="stat-label">{t('overview.statNoWebhook')}</div>
              <div className="stat-value">{count(o.paidWithoutWebhook)}</div>
              <div className="stat-sub">{t('overview.statNoWebhookSub')}</div>
            </div>
          </section>

          <nav className="status-chips" aria-label={t('overview.byStatus')} data-testid="status-counts">
            {o.totals.byStatus.map((s) => (
              <Link
                key={s.status}
                className="status-chip"
                to={`/orders${query(o, { status: s.status })}`}
                data-status={s.status}
              >
                <span className="swatch" style={{ background: STATUS_COLORS[s.status] }} aria-hidden="true" />
                {t(`status.${s.status}` as MessageKey)} <strong>{count(s.orders)}</strong>
              </Link>
            ))}
          </nav>

          {o.totals.orders === 0 ? (
            <p className="flash flash-info" role="status">
              {t('overview.rangeEmpty')}
            </p>
          ) : null}

          <div className="chart-grid">
            <ChartFrame
              id="orders"
              title={t('overview.chartOrders')}
              description={t('overview.chartOrdersHelp', { grain })}
              table={<SeriesTable data={o.orders} series={statusSeries} format={count} />}
            >
              <StackedBars
                id="chart-orders"
                data={o.orders}
                series={statusSeries}
                formatX={formatBucket}
                formatValue={count}
                formatTick={tick}
              />
            </ChartFrame>

            <ChartFrame
              id="amounts"
              title={t('overview.chartAmounts', { currency: o.currency ?? '' })}
              description={t('overview.chartAmountsHelp', { grain })}
              footer={
                o.totals.amounts.length > 1
                  ? t('overview.otherCurrencies', {
                      list: o.totals.amounts
                        .filter((a) => a.currency !== o.currency)
                        .map((a) => `${count(a.amount)} ${a.currency}`)
                        .join(', '),
                    })
                  : null
              }
              table={<SeriesTable data={o.amounts} series={statusSeries} format={count} />}
            >
              <StackedBars
                id="chart-amounts"
                data={o.amounts}
                series={statusSeries}
                formatX={formatBucket}
                formatValue={(n) => `${count(n)} ${o.currency ?? ''}`}
                formatTick={tick}
              />
            </ChartFrame>

            <ChartFrame
              id="verification"
              title={t('overview.chartVerification')}
              description={t('overview.chartVerificationHelp')}
              table={<TotalsTable items={outcomes} format={count} />}
            >
              <TotalsBars
                id="chart-verification"
                items={outcomes}
                formatValue={count}
                formatTick={tick}
                height={300}
                categoryWidth={150}
              />
            </ChartFrame>

            <ChartFrame
              id="webhook-delay"
              title={t('overview.chartDelay')}
              description={t('overview.chartDelayHelp')}
              footer={
                <span data-testid="paid-without-webhook">
                  {t('overview.chartDelayMissing', { count: count(o.paidWithoutWebhook) })}
                </span>
              }
              table={<TotalsTable items={delays} format={count} />}
            >
              <TotalsBars
                id="chart-delay"
                items={delays}
                formatValue={count}
                formatTick={tick}
                height={300}
                categoryWidth={110}
              />
            </ChartFrame>

            <ChartFrame
              id="flags"
              title={t('overview.chartFlags')}
              description={t('overview.chartFlagsHelp')}
              table={<TotalsTable items={flags} format={count} />}
            >
              <TotalsBars
                id="chart-flags"
                items={flags}
                formatValue={count}
                formatTick={tick}
                height={180}
                categoryWidth={110}
              />
            </ChartFrame>

            <ChartFrame
              id="backlog"
              title={t('overview.chartBacklog')}
              description={t('overview.chartBacklogHelp', { grain })}
              table={
                <SeriesTable
                  data={o.attention.backlog}
                  series={[
                    { key: 'open', label: t('overview.backlogOpen') },
                    { key: 'opened', label: t('overview.backlogOpened') },
                    { key: 'resolved', label: t('overview.backlogResolved') },
                  ]}
                  format={count}
                />
              }
            >
              <BacklogChart
                id="chart-backlog"
                data={o.attention.backlog}
                labels={{
                  open: t('overview.backlogOpen'),
                  opened: t('overview.backlogOpened'),
                  resolved: t('overview.backlogResolved'),
                }}
                formatX={formatBucket}
                formatValue={count}
                formatTick={tick}
              />
            </ChartFrame>
          </div>
        </>
      )}

      <section className="card overview-reasons" data-testid="open-reasons">
        <h2>{t('overview.openReasons')}</h2>
        {o.attention.open.length === 0 ? (
          <p className="muted">{t('overview.openReasonsNone')}</p>
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th>{t('overview.colReason')}</th>
                <th className="num">{t('overview.colOpen')}</th>
                <th>{t('overview.colOldest')}</th>
              </tr>
            </thead>
            <tbody>
              {o.attention.open.map((r) => (
                <tr key={r.reason} data-reason={r.reason}>
                  <td>
                    <Link
                      to={`/attention?${new URLSearchParams({ reason: r.reason, ...(o.store ? { store: o.store } : {}) })}`}
                      title={t(`reason.${r.reason}.help` as MessageKey)}
                    >
                      {t(`reason.${r.reason}` as MessageKey)}
                    </Link>
                  </td>
                  <td className="num">{count(r.count)}</td>
                  <td>{formatDateTime(locale, r.oldest)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function TotalsTable({ items, format }: { items: TotalItem[]; format: (n: number) => string }) {
  const t = useT();
  return (
    <>
      <summary>{t('overview.figures')}</summary>
      <table className="data-table">
        <tbody>
          {items.map((i) => (
            <tr key={i.key} data-key={i.key}>
              <td>{i.label}</td>
              <td className="num">{format(i.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function SeriesTable({
  data,
  series,
  format,
}: {
  data: readonly Record<string, string | number | null>[];
  series: { key: string; label: string }[];
  format: (n: number) => string;
}) {
  const t = useT();
  const rows = data.filter((p) => series.some((s) => Number(p[s.key]) !== 0));
  return (
    <>
      <summary>{t('overview.figures')}</summary>
      {rows.length === 0 ? (
        <p className="muted">{t('overview.figuresNone')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th>{t('overview.colBucket')}</th>
              {series.map((s) => (
                <th key={s.key} className="num">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={String(p.bucket)}>
                <td>{formatBucket(String(p.bucket))}</td>
                {series.map((s) => (
                  <td key={s.key} className="num">
                    {format(Number(p[s.key]))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Open alert incidents, newest first, above the figures (docs/decisions/0160-alerts.md). */
function OpenIncidents({ summary }: { summary: Awaited<ReturnType<typeof openIncidentsSummary>> }) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="card" data-testid="open-incidents" data-count={summary.open}>
      <h2>
        {t('overview.openIncidents')} ({summary.open + summary.acknowledged})
      </h2>
      {summary.newest.length === 0 ? (
        <p className="muted small">{t('overview.openIncidentsNone')}</p>
      ) : (
        <ul>
          {summary.newest.map((i) => (
            <li key={i.id}>
              <Link to={`/alerts/incidents/${i.id}`}>
                {t(`alerts.rule.${i.rule}` as MessageKey)} · {i.storeName ?? t('alerts.system')} · {i.subject}
              </Link>{' '}
              <span className="small muted">
                {t(`alerts.state.${i.state}` as MessageKey)} · {formatDateTime(locale, i.openedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <Link to="/alerts">{t('overview.openIncidentsAll')}</Link>
    </section>
  );
}
