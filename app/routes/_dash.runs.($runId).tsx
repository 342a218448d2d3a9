import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useEffect } from 'react';
import { z } from 'zod';
import { recordAudit } from '~/auth/audit.server';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { CsrfInput } from '~/components/csrf-input';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { startRun } from '~/monitor/jobs/reconcile.server';
import { getJobStatuses, getRun, listRuns, type RunDetail, type RunSummary } from '~/monitor/jobs/run-frame.server';
import { RUN_ITEM_OUTCOMES, RUN_KINDS, RUN_STATUSES, VERIFICATION_OUTCOMES } from '~/monitor/status';
import { listAllStores } from '~/monitor/stores/stores.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction<typeof loader> = ({ matches, data: page }) =>
  pageMeta(matches, 'runs.title').map((m) =>
    page?.mode === 'detail' ? { title: `#${page.run.runId} · ${m.title}` } : m,
  );

/**
 * `/runs`: runs of the re-query job and the reverse sweep, each job's schedule, next run and lease
 * holder, and "Run now". `/runs/:runId`: one run with its stores, item counts and items. One
 * module for both (an optional segment) so they share their pieces.
 */

const PAGE_SIZE = 50;
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const filterSchema = z.object({
  kind: z.preprocess(blank, z.enum(RUN_KINDS).optional()),
  status: z.preprocess(blank, z.enum(RUN_STATUSES).optional()),
  store: z.preprocess(blank, z.string().max(40).optional()),
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});

const detailSchema = z.object({
  runId: z.coerce.number().int().positive(),
  outcome: z.preprocess(blank, z.enum(RUN_ITEM_OUTCOMES).optional()),
  after: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});
const ITEM_PAGE = 100;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const search = Object.fromEntries(new URL(request.url).searchParams);
  if (params.runId !== undefined) {
    const parsed = detailSchema.safeParse({ ...search, runId: params.runId });
    if (!parsed.success) throw errorResponse(new AppError('not_found', 'no such run'));
    const { runId, outcome, after } = parsed.data;
    const run = await getRun(context, runId, { outcome, afterItemId: after, itemLimit: ITEM_PAGE });
    if (!run) throw errorResponse(new AppError('not_found', `no run ${runId}`));
    return { mode: 'detail' as const, run, outcome: outcome ?? '', after: after ?? null };
  }
  const parsed = filterSchema.safeParse(search);
  const filter = parsed.success ? parsed.data : {};
  const [page, jobs, stores] = await Promise.all([
    listRuns(context, {
      kind: filter.kind,
      status: filter.status,
      storeSlug: filter.store,
      beforeId: filter.before,
      limit: PAGE_SIZE,
    }),
    getJobStatuses(context),
    listAllStores(context),
  ]);
  return {
    mode: 'list' as const,
    ...page,
    jobs,
    stores: stores.map((s) => ({ slug: s.slug, name: s.name })),
    filter: {
      kind: filter.kind ?? '',
      status: filter.status ?? '',
      store: filter.store ?? '',
      before: filter.before ?? null,
    },
    badFilter: !parsed.success,
    canRun: hasRole(user.role, 'operator'),
  };
}

const runNowSchema = z.object({
  kind: z.enum(RUN_KINDS),
  store: z.preprocess(blank, z.string().max(40).optional()),
});

/** "Run now" (operator and up): starts the run in this server, audits it, and opens its page. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  if (params.runId !== undefined) throw errorResponse(new AppError('bad_request', 'post "Run now" to /runs'));
  const parsed = runNowSchema.safeParse({ kind: form.get('kind'), store: form.get('store') });
  if (!parsed.success) throw errorResponse(new AppError('bad_request', 'kind must be reconcile or sweep'));
  const { kind, store } = parsed.data;
  let runId: number;
  try {
    ({ runId } = await startRun(context, { kind, startedBy: user.email, storeSlug: store }));
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') throw errorResponse(error);
    throw error;
  }
  await recordAudit(context, {
    actor: user,
    action: 'run.start',
    target: { type: 'run', id: runId },
    after: { kind, store: store ?? null },
    ip: context.clientIp,
  });
  return redirectWithFlash(`/runs/${runId}`, context, {
    kind: 'success',
    key: 'runs.started',
    params: { id: runId, kind },
  });
}

function durationText(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const TONES: Record<string, { background: string; color: string } | undefined> = {
  failed: { background: 'var(--danger-bg)', color: 'var(--danger)' },
  running: { background: 'var(--info-bg)', color: 'var(--accent)' },
  skipped: { background: 'var(--warn-bg)', color: 'var(--warn)' },
};

function RunStatusBadge({ status }: { status: string }) {
  const t = useT();
  return (
    <span className={`badge${status === 'ok' ? ' badge-ok' : ''}`} style={TONES[status]} data-status={status}>
      {t(`runs.status.${status}` as MessageKey)}
    </span>
  );
}

export default function RunsPage() {
  const data = useLoaderData<typeof loader>();
  return data.mode === 'detail' ? (
    <RunPage run={data.run} outcome={data.outcome} after={data.after} />
  ) : (
    <RunList data={data} />
  );
}

type ListData = Extract<Awaited<ReturnType<typeof useLoaderData<typeof loader>>>, { mode: 'list' }>;

function RunList({ data }: { data: ListData }) {
  const t = useT();
  const locale = useLocale();
  const { filter } = data;
  const olderHref = (() => {
    const q = new URLSearchParams();
    if (filter.kind) q.set('kind', filter.kind);
    if (filter.status) q.set('status', filter.status);
    if (filter.store) q.set('store', filter.store);
    if (data.nextBeforeId) q.set('before', String(data.nextBeforeId));
    return `?${q}`;
  })();
  const filtered = filter.kind !== '' || filter.status !== '' || filter.store !== '' || filter.before !== null;

  return (
    <>
      <PageHeader title={t('runs.title')} description={t('runs.intro')} />

      <div
        className="job-cards"
        style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(22rem, 1fr))', gap: '1rem' }}
      >
        {data.jobs.map((job) => (
          <section key={job.kind} className="card" data-testid={`job-${job.kind}`}>
            <h2>{t(`runs.kind.${job.kind}` as MessageKey)}</h2>
            <p className="muted small">{t(`runs.kindHelp.${job.kind}` as MessageKey)}</p>
            <table className="data-table">
              <tbody>
                <tr>
                  <th scope="row">{t('runs.schedule')}</th>
                  <td>
                    <code>{job.schedule}</code>{' '}
                    {job.scheduledHere ? null : <span className="badge badge-muted">{t('runs.notScheduledHere')}</span>}
                  </td>
                </tr>
                <tr>
                  <th scope="row">{t('runs.nextRun')}</th>
                  <td data-testid={`next-${job.kind}`}>
                    {job.nextRunAt ? formatDateTime(locale, job.nextRunAt) : '—'}
                  </td>
                </tr>
                <tr>
                  <th scope="row">{t('runs.lease')}</th>
                  <td data-testid={`lease-${job.kind}`}>
                    {job.lease ? (
                      <>
                        <code className="small">{job.lease.holder}</code>{' '}
                        <span className={`badge ${job.lease.held ? 'badge-info' : 'badge-muted'}`}>
                          {t(job.lease.held ? 'runs.leaseHeld' : 'runs.leaseFree', {
                            until: formatDateTime(locale, job.lease.expiresAt),
                          })}
                        </span>
                      </>
                    ) : (
                      <span className="muted">{t('runs.leaseNever')}</span>
                    )}
                  </td>
                </tr>
                <tr>
                  <th scope="row">{t('runs.lastRun')}</th>
                  <td>
                    {job.lastRun ? (
                      <>
                        <Link to={`/runs/${job.lastRun.runId}`}>#{job.lastRun.runId}</Link>{' '}
                        <RunStatusBadge status={job.lastRun.status} /> {formatDateTime(locale, job.lastRun.startedAt)}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              </tbody>
            </table>
            {data.canRun ? (
              <Form method="post" className="inline-form" style={{ marginTop: '0.75rem' }}>
                <CsrfInput />
                <input type="hidden" name="kind" value={job.kind} />
                <select name="store" aria-label={t('runs.store')} defaultValue="">
                  <option value="">{t('runs.allStores')}</option>
                  {data.stores.map((s) => (
                    <option key={s.slug} value={s.slug}>
                      {s.name}
                    </option>
                  ))}
                </select>
                <SubmitButton
                  match={{ kind: job.kind }}
                  pendingLabel={t('runs.starting')}
                  data-testid={`run-now-${job.kind}`}
                >
                  {t('runs.runNow')}
                </SubmitButton>
              </Form>
            ) : null}
          </section>
        ))}
      </div>

      <Form method="get" className="inline-form" style={{ margin: '1rem 0' }} aria-label={t('runs.filters')}>
        <div className="field">
          <label htmlFor="runs-kind">{t('runs.colKind')}</label>
          <select id="runs-kind" name="kind" defaultValue={filter.kind}>
            <option value="">{t('runs.any')}</option>
            {RUN_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`runs.kind.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="runs-status">{t('runs.colStatus')}</label>
          <select id="runs-status" name="status" defaultValue={filter.status}>
            <option value="">{t('runs.any')}</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`runs.status.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="runs-store">{t('runs.store')}</label>
          <select id="runs-store" name="store" defaultValue={filter.store}>
            <option value="">{t('runs.allStores')}</option>
            {data.stores.map((s) => (
              <option key={s.slug} value={s.slug}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-secondary">
          {t('runs.apply')}
        </button>
        {filtered ? <Link to="/runs">{t('runs.reset')}</Link> : null}
      </Form>
      {data.badFilter ? (
        <p className="flash flash-info" role="status">
          {t('runs.badFilter')}
        </p>
      ) : null}

      {data.runs.length === 0 ? (
        <EmptyState title={t(filtered ? 'runs.noMatchTitle' : 'runs.emptyTitle')}>
          {t(filtered ? 'runs.noMatchBody' : 'runs.emptyBody')}
        </EmptyState>
      ) : (
        <>
          <RunsTable runs={data.runs} />
          {data.nextBeforeId ? (
            <p>
              <Link to={olderHref} data-testid="older-runs">
                {t('runs.older')}
              </Link>
            </p>
          ) : null}
        </>
      )}
    </>
  );
}

function RunsTable({ runs }: { runs: RunSummary[] }) {
  const t = useT();
  const locale = useLocale();
  return (
    <table className="data-table" data-testid="runs-table">
      <caption className="small muted" style={{ captionSide: 'bottom', textAlign: 'left' }}>
        {t('runs.caption')}
      </caption>
      <thead>
        <tr>
          <th>{t('runs.colRun')}</th>
          <th>{t('runs.colKind')}</th>
          <th>{t('runs.colStarted')}</th>
          <th className="num">{t('runs.colDuration')}</th>
          <th>{t('runs.colStatus')}</th>
          <th className="num">{t('runs.colExamined')}</th>
          <th className="num">{t('runs.colSettled')}</th>
          <th className="num">{t('runs.colStillOpen')}</th>
          <th className="num">{t('runs.colErrors')}</th>
          <th className="num">{t('runs.colCalls')}</th>
          <th>{t('runs.colBy')}</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId} data-testid={`run-${r.runId}`}>
            <td>
              <Link to={`/runs/${r.runId}`}>#{r.runId}</Link>
              {r.dryRun ? <span className="badge badge-muted"> {t('runs.dryRun')}</span> : null}
            </td>
            <td>
              {t(`runs.kind.${r.kind}` as MessageKey)}
              {r.storeSlug ? <span className="muted small"> · {r.storeSlug}</span> : null}
            </td>
            <td>{formatDateTime(locale, r.startedAt)}</td>
            <td className="num">{durationText(r.durationMs)}</td>
            <td title={r.error ?? undefined}>
              <RunStatusBadge status={r.status} />
            </td>
            <td className="num">{r.examined}</td>
            <td className="num">{r.settled}</td>
            <td className="num">{r.stillOpen}</td>
            <td className="num">{r.errors}</td>
            <td className="num">{r.gatewayCalls}</td>
            <td className="small">
              {t(`runs.trigger.${r.trigger}` as MessageKey)}
              {r.startedBy ? <span className="muted"> · {r.startedBy}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
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
