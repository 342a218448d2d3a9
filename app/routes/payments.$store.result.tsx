import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { useT } from '~/i18n/use-t';
import { buyerResult } from '~/monitor/capture/buyer-result.server';

/** The built-in landing page, for stores that have not set their own landing URLs. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const merchantUid = new URL(request.url).searchParams.get('merchant_uid') ?? '';
  return buyerResult(context, params.store ?? '', merchantUid);
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
