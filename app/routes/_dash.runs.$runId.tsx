import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useEffect } from 'react';
import { z } from 'zod';
import { requireUser } from '~/auth/guard.server';
import { PageHeader } from '~/components/page-header';
import { durationText, RunStatusBadge, TONES } from '~/components/run-status';
import { AppError, errorResponse } from '~/errors';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { getRun, type RunDetail } from '~/monitor/dashboard/runs.server';
import { RUN_ITEM_OUTCOMES, VERIFICATION_OUTCOMES } from '~/monitor/status';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction<typeof loader> = ({ matches, data: page }) =>
  pageMeta(matches, 'runs.title').map((m) => (page ? { title: `#${page.run.runId} · ${m.title}` } : m));

/** `/runs/:runId`: one run with its stores, item counts and items (paged, optionally of one outcome). */

const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const detailSchema = z.object({
  runId: z.coerce.number().int().positive(),
  outcome: z.preprocess(blank, z.enum(RUN_ITEM_OUTCOMES).optional()),
  after: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});
const ITEM_PAGE = 100;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  const search = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = detailSchema.safeParse({ ...search, runId: params.runId });
  if (!parsed.success) throw errorResponse(new AppError('not_found', 'no such run'));
  const { runId, outcome, after } = parsed.data;
  const run = await getRun(context, runId, { outcome, afterItemId: after, itemLimit: ITEM_PAGE });
  if (!run) throw errorResponse(new AppError('not_found', `no run ${runId}`));
  return { mode: 'detail' as const, run, outcome: outcome ?? '', after: after ?? null };
}

export default function RunRoute() {
  const data = useLoaderData<typeof loader>();
  return <RunPage run={data.run} outcome={data.outcome} after={data.after} />;
}

const VERIFICATION: readonly string[] = VERIFICATION_OUTCOMES;

function outcomeLabel(t: ReturnType<typeof useT>, outcome: string): string {
  return t((VERIFICATION.includes(outcome) ? `outcome.${outcome}` : `runs.outcome.${outcome}`) as MessageKey);
}

/** Keeps a running run's page current: the loader again every 2 s until it ends. */
function useRefreshWhile(active: boolean) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 2000);
    return () => clearInterval(timer);
  }, [active, revalidator]);
}

function RunPage({ run, outcome, after }: { run: RunDetail; outcome: string; after: number | null }) {
  const t = useT();
  const locale = useLocale();
  useRefreshWhile(run.status === 'running');
  const itemsHref = (o: string, next?: number | null) => {
    const q = new URLSearchParams();
    if (o) q.set('outcome', o);
    if (next) q.set('after', String(next));
    const text = q.toString();
    return text ? `?${text}` : '.';
  };
  const counts = Object.entries(run.itemCounts).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const facts: [MessageKey, React.ReactNode][] = [
    ['runs.colStatus', <RunStatusBadge key="s" status={run.status} />],
    ['runs.colBy', `${t(`runs.trigger.${run.trigger}` as MessageKey)}${run.startedBy ? ` · ${run.startedBy}` : ''}`],
    ['runs.colStarted', formatDateTime(locale, run.startedAt)],
    ['runs.finished', formatDateTime(locale, run.finishedAt)],
    ['runs.colDuration', durationText(run.durationMs)],
    [
      'runs.window',
      run.windowFrom || run.windowTo
        ? `${formatDateTime(locale, run.windowFrom)} → ${formatDateTime(locale, run.windowTo)}`
        : '—',
    ],
    ['runs.store', run.storeSlug ?? t('runs.allStores')],
    ['runs.leaseHolder', run.leaseHolder ?? '—'],
    ['runs.colExamined', String(run.examined)],
    ['runs.colSettled', String(run.settled)],
    ['runs.colStillOpen', String(run.stillOpen)],
    ['runs.colErrors', String(run.errors)],
    ['runs.colCalls', String(run.gatewayCalls)],
  ];
  return (
    <>
      <PageHeader
        title={t('runs.runTitle', { id: run.runId, kind: t(`runs.kind.${run.kind}` as MessageKey) })}
        description={run.dryRun ? t('runs.dryRunHelp') : undefined}
        actions={
          <Link to="/runs" className="btn btn-secondary">
            {t('runs.back')}
          </Link>
        }
      />
      <section className="card" data-testid="run-summary">
        <table className="data-table">
          <tbody>
            {facts.map(([label, value]) => (
              <tr key={label}>
                <th scope="row">{t(label)}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {run.error ? (
          <pre className="form-error mono small" style={{ whiteSpace: 'pre-wrap' }} data-testid="run-error">
            {run.error}
          </pre>
        ) : null}
      </section>

      {run.stores.length > 0 ? (
        <section className="card">
          <h2>{t('runs.storesTitle')}</h2>
          <table className="data-table" data-testid="run-stores">
            <thead>
              <tr>
                <th>{t('runs.store')}</th>
                <th>{t('runs.colStatus')}</th>
                <th>{t('runs.window')}</th>
                <th className="num">{t('runs.colExamined')}</th>
                <th className="num">{t('runs.colSettled')}</th>
                <th className="num">{t('runs.colStillOpen')}</th>
                <th className="num">{t('runs.notReached')}</th>
                <th className="num">{t('runs.reasonsOpened')}</th>
                <th className="num">{t('runs.colErrors')}</th>
                <th className="num">{t('runs.colCalls')}</th>
              </tr>
            </thead>
            <tbody>
              {run.stores.map((s) => (
                <tr key={s.storeSlug}>
                  <td>
                    <Link to={`/stores/${encodeURIComponent(s.storeSlug)}`}>{s.storeSlug}</Link>
                  </td>
                  <td title={s.error ?? undefined}>
                    <span className={`badge${s.status === 'ok' ? ' badge-ok' : ''}`} style={TONES[s.status]}>
                      {t(`runs.storeStatus.${s.status}` as MessageKey)}
                    </span>
                    {s.error ? <div className="small mono">{s.error}</div> : null}
                  </td>
                  <td className="small">
                    {s.windowFrom || s.windowTo
                      ? `${formatDateTime(locale, s.windowFrom)} → ${formatDateTime(locale, s.windowTo)}`
                      : '—'}
                  </td>
                  <td className="num">{s.examined}</td>
                  <td className="num">{s.settled}</td>
                  <td className="num">{s.stillOpen}</td>
                  <td className="num">{s.notReached}</td>
                  <td className="num">{s.reasonsOpened}</td>
                  <td className="num">{s.errors}</td>
                  <td className="num">{s.gatewayCalls}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      <section className="card" data-testid="run-items">
        <h2>{t('runs.itemsTitle')}</h2>
        {counts.length > 0 ? (
          <nav className="inline-form small" aria-label={t('runs.byOutcome')} style={{ marginBottom: '0.75rem' }}>
            <Link to={itemsHref('')} aria-current={outcome === '' ? 'page' : undefined}>
              {t('runs.allItems')}
            </Link>
            {counts.map(([o, n]) => (
              <Link key={o} to={itemsHref(o)} aria-current={outcome === o ? 'page' : undefined} data-outcome={o}>
                {outcomeLabel(t, o)} ({n})
              </Link>
            ))}
          </nav>
        ) : null}
        {run.items.length === 0 ? (
          <p className="muted">{t(run.status === 'running' ? 'runs.itemsRunning' : 'runs.itemsNone')}</p>
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th>{t('runs.colAt')}</th>
                <th>{t('runs.store')}</th>
                <th>{t('runs.colOrder')}</th>
                <th>{t('runs.colStatusChange')}</th>
                <th>{t('runs.colOutcome')}</th>
                <th>{t('runs.reasonsOpened')}</th>
              </tr>
            </thead>
            <tbody>
              {run.items.map((item) => (
                <tr key={item.id} data-testid={`item-${item.id}`}>
                  <td className="small">{formatDateTime(locale, item.at)}</td>
                  <td className="small">{item.storeSlug}</td>
                  <td className="mono small">
                    {item.orderId !== null ? (
                      <Link to={`/orders/${item.orderId}`}>{item.merchantUid ?? `#${item.orderId}`}</Link>
                    ) : (
                      (item.merchantUid ?? '—')
                    )}
                    {item.impUid ? <div className="muted">{item.impUid}</div> : null}
                  </td>
                  <td className="small">
                    {item.statusBefore ? t(`status.${item.statusBefore}` as MessageKey) : '—'} →{' '}
                    {item.statusAfter ? t(`status.${item.statusAfter}` as MessageKey) : '—'}
                  </td>
                  <td>
                    {outcomeLabel(t, item.outcome)}
                    {item.error ? <div className="small mono field-error">{item.error}</div> : null}
                  </td>
                  <td className="small">
                    {item.reasonsOpened.map((r) => t(`reason.${r}` as MessageKey)).join(', ') || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          {after ? <Link to={itemsHref(outcome)}>{t('runs.itemsFirst')}</Link> : null}{' '}
          {run.nextAfterItemId ? (
            <Link to={itemsHref(outcome, run.nextAfterItemId)} data-testid="more-items">
              {t('runs.itemsMore')}
            </Link>
          ) : null}
        </p>
      </section>
    </>
  );
}
