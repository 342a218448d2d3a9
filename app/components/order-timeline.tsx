import { Link } from '@remix-run/react';
import type { ReactNode } from 'react';
import type { MessageKey } from '../i18n/messages';
import { useT } from '../i18n/use-t';
import type { OrderTimelineEntry } from '../monitor/dashboard/order-page.server';
import { Money, ReasonBadge, StatusBadge, Time } from './order-bits';
import { HeadersEvidence, QueryStringEvidence, RawEvidence } from './raw-evidence';

/**
 * The order's story, oldest first: evidence (redirects, webhooks), gateway look-ups, decisions,
 * attention reasons and operator actions. Raw evidence sits in a <details> under each entry.
 */
export function OrderTimeline({ entries, currency }: { entries: OrderTimelineEntry[]; currency: string }) {
  const t = useT();
  if (entries.length === 0) return <p className="muted">{t('timeline.empty')}</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {entries.map((entry) => (
        <li
          key={`${entry.kind}-${entry.id}`}
          className={`timeline-entry timeline-${entry.kind}`}
          data-kind={entry.kind}
        >
          <div className="timeline-when">
            <Time iso={entry.at} seconds />
          </div>
          <div className="timeline-body">
            <Entry entry={entry} currency={currency} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function Head({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <p className="timeline-head">
      <strong>{title}</strong> {children}
    </p>
  );
}

function Raw({ children }: { children: ReactNode }) {
  const t = useT();
  return (
    <details className="timeline-raw">
      <summary>{t('timeline.showRaw')}</summary>
      {children}
    </details>
  );
}

function Entry({ entry, currency }: { entry: OrderTimelineEntry; currency: string }) {
  const t = useT();
  switch (entry.kind) {
    case 'redirect_hit':
      return (
        <>
          <Head title={t('timeline.redirect')}>
            <span className="muted">
              {t('timeline.flag', { kind: entry.flagKind, value: entry.flagValue ?? '—' })} · {entry.ip}
            </span>
          </Head>
          {entry.errorCode || entry.errorMsg ? (
            <p className="small">
              {t('timeline.pgError', { code: entry.errorCode ?? '—', message: entry.errorMsg ?? '—' })}
            </p>
          ) : null}
          {entry.parseError ? (
            <p className="small field-error">{t('timeline.parseError', { error: entry.parseError })}</p>
          ) : null}
          <Raw>
            <QueryStringEvidence raw={entry.queryString} truncated={false} />
            {entry.userAgent ? <RawEvidence value={entry.userAgent} label={t('evidence.userAgent')} /> : null}
          </Raw>
        </>
      );
    case 'webhook_delivery':
      return (
        <>
          <Head title={t('timeline.webhook')}>
            <span className="muted">
              {entry.status ? t('timeline.webhookStatus', { status: entry.status }) : null} · {entry.ip}{' '}
              {entry.ipListed ? t('timeline.ipListed') : t('timeline.ipNotListed')} ·{' '}
              {t('timeline.answered', { status: entry.answerStatus })}
            </span>
          </Head>
          {entry.duplicateOf !== null ? (
            <p className="small muted">{t('timeline.duplicateOf', { id: entry.duplicateOf })}</p>
          ) : null}
          {entry.parseError ? (
            <p className="small field-error">{t('timeline.parseError', { error: entry.parseError })}</p>
          ) : null}
          <Raw>
            <RawEvidence
              value={entry.body}
              label={t('evidence.body', { type: entry.contentType ?? '—' })}
              testId="raw-webhook-body"
            />
            <HeadersEvidence headers={entry.headers} />
          </Raw>
        </>
      );
    case 'gateway_check':
      return (
        <>
          <Head title={t('timeline.check', { operation: entry.operation })}>
            <span className={entry.ok ? 'muted' : 'field-error'}>
              {entry.ok ? t('timeline.checkOk') : t('timeline.checkFailed', { error: entry.error ?? '—' })} ·{' '}
              {t(`trigger.${entry.trigger}` as MessageKey)} ·{' '}
              {t('timeline.httpLatency', { status: entry.httpStatus ?? '—', ms: entry.latencyMs })}
            </span>
          </Head>
          <Raw>
            <RawEvidence value={entry.rawJson} label={t('evidence.gatewayJson')} testId="raw-gateway-json" />
          </Raw>
        </>
      );
    case 'verification':
      return (
        <>
          <Head title={t('timeline.decision', { outcome: t(`outcome.${entry.outcome}` as MessageKey) })}>
            <span className="muted">{t(`trigger.${entry.trigger}` as MessageKey)}</span>
          </Head>
          <p className="small">
            <StatusBadge status={entry.statusBefore} /> → <StatusBadge status={entry.statusAfter} /> ·{' '}
            {t('timeline.amounts')} <Money amount={entry.expectedAmount} currency={currency} /> /{' '}
            <Money amount={entry.paidAmount} currency={entry.currency ?? currency} />
          </p>
          {entry.opened.length > 0 || entry.resolved.length > 0 ? (
            <p className="small">
              {entry.opened.map((r) => (
                <span key={`o-${r}`}>
                  {t('timeline.opened')} <ReasonBadge reason={r} />{' '}
                </span>
              ))}
              {entry.resolved.map((r) => (
                <span key={`r-${r}`}>
                  {t('timeline.resolved')} <ReasonBadge reason={r} resolved />{' '}
                </span>
              ))}
            </p>
          ) : null}
        </>
      );
    case 'reason_opened':
      return (
        <>
          <Head title={t('timeline.reasonOpened')}>
            <ReasonBadge reason={entry.reason} />
          </Head>
          {entry.detail ? <p className="small muted">{entry.detail}</p> : null}
        </>
      );
    case 'reason_resolved':
      return (
        <>
          <Head title={t('timeline.reasonResolved')}>
            <ReasonBadge reason={entry.reason} resolved />{' '}
            <span className="muted">{t('timeline.by', { by: entry.by ?? '—' })}</span>
          </Head>
          {entry.note ? <p className="small">{entry.note}</p> : null}
        </>
      );
    case 'run_item':
      return (
        <>
          <Head title={<Link to={`/runs/${entry.runId}`}>{t('timeline.run', { id: entry.runId })}</Link>}>
            <span className="muted">
              {t(entry.runKind === 'sweep' ? 'timeline.runSweep' : 'timeline.runReconcile')}
              {entry.dryRun ? ` · ${t('timeline.dryRun')}` : null}
            </span>
          </Head>
          <p className="small">
            {t(`outcome.${entry.outcome}` as MessageKey)}
            {entry.statusBefore && entry.statusAfter && entry.statusBefore !== entry.statusAfter ? (
              <>
                {' · '}
                <StatusBadge status={entry.statusBefore} /> → <StatusBadge status={entry.statusAfter} />
              </>
            ) : null}{' '}
            {entry.reasonsOpened.map((r) => (
              <ReasonBadge key={r} reason={r} />
            ))}
          </p>
          {entry.error ? <p className="small field-error">{entry.error}</p> : null}
        </>
      );
    case 'operator_action':
      return (
        <>
          <Head title={t('timeline.operatorAction', { actor: entry.actor })}>
            <span className="badge">{entry.action}</span>
          </Head>
          {entry.reason ? <p className="small">{entry.reason}</p> : null}
          {entry.before || entry.after ? (
            <Raw>
              <RawEvidence value={entry.before} label={t('evidence.before')} />
              <RawEvidence value={entry.after} label={t('evidence.after')} />
            </Raw>
          ) : null}
        </>
      );
  }
}
