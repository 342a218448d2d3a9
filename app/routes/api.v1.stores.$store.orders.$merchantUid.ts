import type { LoaderFunctionArgs } from '@remix-run/node';
import { errorResponse } from '~/errors';
import { getOrderView } from '~/monitor/capture/orders.server';
import { limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { authenticateStore } from '~/monitor/stores/stores.server';

/** The verified status of one order, for the merchant backend. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const limited = limitPublicRequest(context, 'orders', params.store ?? '');
  if (limited) return limited;
  try {
    const store = await authenticateStore(context, params.store ?? '', request.headers.get('authorization'));
    const order = await getOrderView(context, store, params.merchantUid ?? '');
    return Response.json({ order }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error);
  }
}
