import type { ActionFunctionArgs } from '@remix-run/node';
import { AppError, errorResponse } from '~/errors';
import { publicBaseUrl } from '~/http.server';
import { merchantUrls, registerOrder } from '~/monitor/capture/orders.server';
import { limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { authenticateStore } from '~/monitor/stores/stores.server';

/** The merchant backend registers the amount it expects before opening the payment window. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const limited = limitPublicRequest(context, 'orders', params.store ?? '');
  if (limited) return limited;
  try {
    if (request.method !== 'POST') throw new AppError('bad_request', 'use POST to register an order');
    const store = await authenticateStore(context, params.store ?? '', request.headers.get('authorization'));
    const body = await request.json().catch(() => {
      throw new AppError('bad_request', 'body must be JSON');
    });
    const { order, created, prepareError } = await registerOrder(context, store, body);
    return Response.json(
      {
        order,
        ...merchantUrls(publicBaseUrl(request, context.config.publicUrl), store),
        ...(prepareError ? { prepare_error: prepareError } : {}),
      },
      { status: created ? 201 : 200 },
    );
  } catch (error) {
    return errorResponse(error);
  }
}
