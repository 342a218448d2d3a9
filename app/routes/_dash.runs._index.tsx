import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { redirectWithFlash } from '~/auth/flash.server';
import { authorizeAction, requireUser } from '~/auth/guard.server';
import { hasRole } from '~/auth/roles';
import { CsrfInput } from '~/components/csrf-input';
import { EmptyState } from '~/components/empty-state';
import { PageHeader } from '~/components/page-header';
import { durationText, RunStatusBadge } from '~/components/run-status';
import { SubmitButton } from '~/components/submit-button';
import { AppError, errorResponse } from '~/errors';
import { formatDateTime } from '~/i18n/format';
import type { MessageKey } from '~/i18n/messages';
import { pageMeta } from '~/i18n/meta';
import { useLocale, useT } from '~/i18n/use-t';
import { getJobStatuses, listRuns, type RunSummary } from '~/monitor/dashboard/runs.server';
import { startRun } from '~/monitor/jobs/reconcile.server';
import { RUN_KINDS, RUN_STATUSES } from '~/monitor/status';
import { listAllStores } from '~/monitor/stores/stores.server';

export { DashErrorBoundary as ErrorBoundary } from '~/components/dash-shell';

export const meta: MetaFunction<typeof loader> = ({ matches }) => pageMeta(matches, 'runs.title');

/**
 * `/runs`: runs of the re-query job and the reverse sweep, each job's schedule, next run and lease
 * holder, and "Run now". One run's page is `_dash.runs.$runId.tsx`.
 */

const PAGE_SIZE = 50;
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const filterSchema = z.object({
  kind: z.preprocess(blank, z.enum(RUN_KINDS).optional()),
  status: z.preprocess(blank, z.enum(RUN_STATUSES).optional()),
  store: z.preprocess(blank, z.string().max(40).optional()),
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const search = Object.fromEntries(new URL(request.url).searchParams);
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

/** "Run now" (operator and up): starts the run in this server (which audits it) and opens its page. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await authorizeAction(request, context, 'operator');
  const parsed = runNowSchema.safeParse({ kind: form.get('kind'), store: form.get('store') });
  if (!parsed.success) throw errorResponse(new AppError('bad_request', 'kind must be reconcile or sweep'));
  const { kind, store } = parsed.data;
  const started = await startRun(context, { kind, storeSlug: store }, { actor: user, ip: context.clientIp });
  if (!started.ok) throw errorResponse(new AppError('not_found', started.message));
  return redirectWithFlash(`/runs/${started.runId}`, context, {
    kind: 'success',
    key: 'runs.started',
    params: { id: started.runId, kind },
  });
}

export default function RunsPage() {
  const data = useLoaderData<typeof loader>();
  return <RunList data={data} />;
}

type ListData = ReturnType<typeof useLoaderData<typeof loader>>;

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
