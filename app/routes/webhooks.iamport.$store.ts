import type { ActionFunctionArgs } from '@remix-run/node';
import { readBodyLimited } from '~/http.server';
import { limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { captureWebhook, MAX_WEBHOOK_BYTES } from '~/monitor/capture/webhook.server';

/** Iamport's notification URL. Stores the raw delivery, answers at once, verifies from a queue. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const limited = limitPublicRequest(context, 'webhook', params.store ?? '');
  if (limited) return limited;
  const { bytes, tooLarge } = await readBodyLimited(request, MAX_WEBHOOK_BYTES);
  const answer = await captureWebhook(context, {
    storeSlug: params.store ?? '',
    contentType: request.headers.get('content-type'),
    headers: [...request.headers.entries()],
    body: bytes,
    tooLarge,
    ip: context.clientIp,
  });
  // An oversized body is left unread: close the connection instead of draining it.
  const headers = { 'Cache-Control': 'no-store', ...(tooLarge ? { Connection: 'close' } : {}) };
  return Response.json(answer.body, { status: answer.status, headers });
}

export function loader() {
  return Response.json(
    { error: { code: 'method_not_allowed', message: 'webhooks are POSTed' } },
    { status: 405, headers: { Allow: 'POST' } },
  );
}
