import { data, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { verifyResultLink } from '~/auth/result-link.server';
import { CopyButton } from '~/components/copy-button';
import { formatAmount, formatDateTime } from '~/i18n/format';
import { useLocale, useT } from '~/i18n/use-t';
import { ARCHIVED, buyerResult, UNKNOWN_RESULT, type BuyerResult } from '~/monitor/capture/buyer-result.server';
import { publicStoreState } from '~/monitor/stores/stores.server';

/**
 * The built-in landing page, for stores that have not set their own landing URLs. It shows a
 * status only for the signed, short-lived link the redirect route issued; anything else gets
 * the neutral page (the same answer as an unknown order).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const store = params.store ?? '';
  // An archived store's page answers 410 and says why, whatever the link.
  if ((await publicStoreState(context, store)) === 'archived') return data(ARCHIVED, { status: 410 });
  const link = verifyResultLink(context.config.appSecret, store, new URL(request.url).searchParams, context.now());
  if (!link) return data(UNKNOWN_RESULT);
  return data(await buyerResult(context, store, link.merchantUid, { reportedFailure: link.status === 'failed' }));
}

export const meta: MetaFunction = () => [{ title: '결제 결과 · Payment result' }];

export default function PaymentResult() {
  // Every branch answers a BuyerResult (with a 410 status when the store is archived).
  const result = useLoaderData<() => Promise<BuyerResult>>();
  const t = useT();
  const locale = useLocale();
  const vbank = result.vbank;
  return (
    <main className="page buyer" data-status={result.status} data-testid="buyer-result">
      <h1>{t('buyer.result.title')}</h1>
      <p>{t(`buyer.result.${result.status}`)}</p>
      {vbank ? (
        <section className="card vbank" aria-labelledby="vbank-title" data-testid="vbank">
          <h2 id="vbank-title">{t('buyer.vbank.title')}</h2>
          {vbank.number ? (
            <dl className="facts">
              <dt>{t('buyer.vbank.bank')}</dt>
              <dd data-testid="vbank-bank">{vbank.bank ?? '—'}</dd>
              <dt>{t('buyer.vbank.number')}</dt>
              <dd>
                <code data-testid="vbank-number">{vbank.number}</code>{' '}
                <CopyButton value={vbank.number} testId="copy-vbank-number" label={t('buyer.vbank.number')} />
              </dd>
              <dt>{t('buyer.vbank.holder')}</dt>
              <dd data-testid="vbank-holder">{vbank.holder ?? '—'}</dd>
              <dt>{t('buyer.vbank.amount')}</dt>
              <dd data-testid="vbank-amount">
                <strong>{formatAmount(locale, vbank.amount, vbank.currency)}</strong>
              </dd>
              <dt>{t('buyer.vbank.deadline')}</dt>
              <dd data-testid="vbank-deadline">{formatDateTime(locale, vbank.deadline)}</dd>
            </dl>
          ) : (
            <p>{t('buyer.vbank.unavailable')}</p>
          )}
          {vbank.overdue ? <p className="error">{t('buyer.vbank.overdue')}</p> : null}
        </section>
      ) : null}
      {result.amount ? (
        <dl className="facts">
          {result.amount.paid !== null ? (
            <>
              <dt>{t('buyer.result.amount')}</dt>
              <dd data-testid="buyer-amount">{formatAmount(locale, result.amount.paid, result.amount.currency)}</dd>
            </>
          ) : null}
          {result.amount.refunded !== null ? (
            <>
              <dt>{t('buyer.result.refunded')}</dt>
              <dd>{formatAmount(locale, result.amount.refunded, result.amount.currency)}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {result.merchantUid ? (
        <p className="muted">
          {t('buyer.result.order')} <code>{result.merchantUid}</code>
        </p>
      ) : null}
      {result.shopUrl ? (
        <p>
          <a className="btn" href={result.shopUrl} rel="noopener">
            {t('buyer.result.backToShop')}
          </a>
        </p>
      ) : null}
    </main>
  );
}
