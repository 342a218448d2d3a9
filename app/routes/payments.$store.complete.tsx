import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { signResultLocation } from '~/auth/result-link.server';
import { rawQueryOf } from '~/http.server';
import type { MessageKey } from '~/i18n/messages';
import { useT } from '~/i18n/use-t';
import { limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { captureRedirect } from '~/monitor/capture/redirect.server';

/**
 * The store's `m_redirect_url`. Iamport's query string is evidence, not truth: the hit is stored
 * raw, verified against the gateway, and the buyer goes on with the *verified* outcome. While the
 * gateway is slow the buyer sees a "confirming" page that reloads itself, for at most
 * BUYER_WAIT_SECONDS; then it stops and says the shop will follow up.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const limited = limitPublicRequest(context, 'redirect', params.store ?? '');
  if (limited) return limited;
  const outcome = await captureRedirect(context, {
    storeSlug: params.store ?? '',
    rawQuery: rawQueryOf(context.rawUrl),
    ip: context.clientIp,
    userAgent: request.headers.get('user-agent'),
  });
  const noStore = { 'Cache-Control': 'no-store' };
  switch (outcome.kind) {
    case 'landing': {
      // Our own result page shows the status only through this signed, short-lived link.
      const location = signResultLocation(
        context.config.appSecret,
        params.store ?? '',
        outcome.location,
        context.now(),
      );
      return redirect(location, { status: 303, headers: noStore });
    }
    case 'confirming':
      return outcome.refreshSeconds === null
        ? data({ kind: 'ended' as const, merchantUid: outcome.merchantUid }, { status: 200, headers: noStore })
        : data(
            { kind: 'confirming' as const, merchantUid: outcome.merchantUid, refreshSeconds: outcome.refreshSeconds },
            { status: 202, headers: { ...noStore, Refresh: String(outcome.refreshSeconds) } },
          );
    case 'bad_request':
      return data({ kind: 'error' as const, message: outcome.message }, { status: outcome.status, headers: noStore });
    case 'unknown_store':
      return data({ kind: 'error' as const, message: outcome.message }, { status: 404, headers: noStore });
    case 'gone':
      return data({ kind: 'error' as const, message: outcome.message }, { status: 410, headers: noStore });
  }
}

// The confirming page's Refresh and no-store headers come from the loader.
export const headers: HeadersFunction = ({ loaderHeaders }) => loaderHeaders;

export const meta: MetaFunction = () => [{ title: '결제 확인 중 · Confirming your payment' }];

type PageData =
  | { kind: 'confirming'; merchantUid: string | null; refreshSeconds: number }
  | { kind: 'ended'; merchantUid: string | null }
  | { kind: 'error'; message: MessageKey };

export default function PaymentComplete() {
  const result = useLoaderData<PageData>();
  const t = useT();
  if (result.kind === 'error') {
    return (
      <main className="page buyer">
        <h1>{t('buyer.error.title')}</h1>
        <p className="muted">{t(result.message)}</p>
      </main>
    );
  }
  const order = result.merchantUid ? (
    <p className="muted">
      {t('buyer.result.order')} <code>{result.merchantUid}</code>
    </p>
  ) : null;
  if (result.kind === 'ended') {
    return (
      <main className="page buyer" data-testid="confirming-ended">
        <h1>{t('buyer.confirming.endedTitle')}</h1>
        <p>{t('buyer.confirming.endedBody')}</p>
        {order}
        <p>
          <a className="btn" href="">
            {t('buyer.confirming.checkAgain')}
          </a>
        </p>
      </main>
    );
  }
  return (
    <main className="page buyer" aria-busy="true" data-testid="confirming">
      <h1>{t('buyer.confirming.title')}</h1>
      <p>{t('buyer.confirming.body')}</p>
      <p className="muted small">{t('buyer.confirming.wait', { seconds: result.refreshSeconds })}</p>
      {order}
    </main>
  );
}
