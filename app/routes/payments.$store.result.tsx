import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { verifyResultLink } from '~/auth/result-link.server';
import { useT } from '~/i18n/use-t';
import { buyerResult } from '~/monitor/capture/buyer-result.server';

/**
 * The built-in landing page, for stores that have not set their own landing URLs. It shows a
 * status only for the signed, short-lived link the redirect route issued; anything else gets
 * the neutral page (the same answer as an unknown order).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const store = params.store ?? '';
  const merchantUid = verifyResultLink(
    context.config.appSecret,
    store,
    new URL(request.url).searchParams,
    context.now(),
  );
  if (!merchantUid) return { status: 'unknown' as const, merchantUid: null };
  return buyerResult(context, store, merchantUid);
}

export const meta: MetaFunction = () => [{ title: '결제 결과 · Payment result' }];

export default function PaymentResult() {
  const result = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <main className="page buyer">
      <h1>{t('buyer.result.title')}</h1>
      <p>{t(`buyer.result.${result.status}`)}</p>
      {result.merchantUid ? (
        <p className="muted">
          {t('buyer.result.order')} <code>{result.merchantUid}</code>
        </p>
      ) : null}
    </main>
  );
}
