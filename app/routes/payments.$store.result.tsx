import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { buyerResult } from '~/monitor/buyer-result.server';

/** The built-in landing page, for stores that have not set their own landing URLs. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const merchantUid = new URL(request.url).searchParams.get('merchant_uid') ?? '';
  return buyerResult(context, params.store ?? '', merchantUid);
}

export const meta: MetaFunction = () => [{ title: '결제 결과 · Payment result' }];

const TEXT = {
  paid: ['결제가 완료되었습니다', 'Your payment is complete.'],
  vbank_issued: [
    '가상계좌가 발급되었습니다',
    'A virtual account was issued; the order completes when the deposit arrives.',
  ],
  pending: ['결제를 확인하고 있습니다', 'We are still confirming your payment.'],
  failed: ['결제가 완료되지 않았습니다', 'The payment did not go through. You have not been charged.'],
  cancelled: ['결제가 취소되었습니다', 'The payment was cancelled.'],
  partially_cancelled: ['결제가 부분 취소되었습니다', 'Part of the payment was refunded.'],
  mismatch: ['결제 금액을 확인하고 있습니다', 'The paid amount differs from the order; the store will contact you.'],
  unknown: ['주문을 찾을 수 없습니다', 'We could not find this order.'],
} as const;

export default function PaymentResult() {
  const result = useLoaderData<typeof loader>();
  const [title, english] = TEXT[result.status];
  return (
    <main className="page buyer">
      <h1>{title}</h1>
      <p lang="en">{english}</p>
      {result.merchantUid ? (
        <p className="muted">
          주문번호 · Order <code>{result.merchantUid}</code>
        </p>
      ) : null}
      {result.vbank ? (
        <p>
          {result.vbank.name} {result.vbank.num} ({result.vbank.dueAt})
        </p>
      ) : null}
    </main>
  );
}
