import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { signResultLocation } from '~/auth/result-link.server';
import { rawQueryOf } from '~/http.server';
import { useT } from '~/i18n/use-t';
import { limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { captureRedirect } from '~/monitor/capture/redirect.server';

/**
 * The store's `m_redirect_url`. Iamport's query string is evidence, not truth: the hit is stored
 * raw, verified against the gateway, and the buyer goes on with the *verified* outcome.
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
      return data(
        { kind: 'confirming' as const, message: null },
        { status: 202, headers: { ...noStore, Refresh: '5' } },
      );
    case 'bad_request':
      return data({ kind: 'error' as const, message: outcome.message }, { status: outcome.status, headers: noStore });
    case 'unknown_store':
      return data({ kind: 'error' as const, message: outcome.message }, { status: 404, headers: noStore });
  }
}

// The confirming page's Refresh and no-store headers come from the loader.
export const headers: HeadersFunction = ({ loaderHeaders }) => loaderHeaders;

export const meta: MetaFunction = () => [{ title: '결제 확인 중 · Confirming your payment' }];

type PageData = { kind: 'confirming'; message: null } | { kind: 'error'; message: string };

export default function PaymentComplete() {
  const result = useLoaderData<PageData>();
  const t = useT();
  if (result.kind === 'error') {
    return (
      <main className="page buyer">
        <h1>{t('buyer.error.title')}</h1>
        <p className="muted">{result.message}</p>
      </main>
    );
  }
  return (
    <main className="page buyer" aria-busy="true">
      <h1>{t('buyer.confirming.title')}</h1>
      <p>{t('buyer.confirming.body')}</p>
    </main>
  );
}
