import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { requestBase } from './checkout';
import type { SandboxContext } from './context';
import { SandboxError, readJson, sendHtml, sendOk } from './http';
import { resultPage, shopPage } from './pages';
import { describeZodError } from './schemas';

/**
 * The demo shop at `/`: a merchant's storefront. With shop options it registers each order with
 * the monitor first (`POST {monitorUrl}/api/v1/stores/{slug}/orders`), exactly like a merchant
 * backend would, and pays with the m_redirect_url/notice_url the monitor answers.
 */

const MONITOR_TIMEOUT_MS = 10_000;

const orderRequestSchema = z.object({
  name: z.string().trim().min(1, 'is required').max(40, 'must be at most 40 characters'),
  amount: z
    .number('must be a number')
    .int('must be a whole number of KRW')
    .positive('must be positive')
    .max(1_000_000_000),
});

/** The monitor's answer to an order registration (the contract in the monitor's orders API). */
const monitorAnswerSchema = z.object({
  order: z.looseObject({}),
  m_redirect_url: z.url(),
  notice_url: z.url(),
});

export function showShop(ctx: SandboxContext, res: ServerResponse): void {
  sendHtml(
    res,
    200,
    shopPage({ impCode: ctx.merchants.demo().imp_code, connectedTo: ctx.shop.current?.storeSlug ?? null }),
  );
}

function newMerchantUid(nowMs: number): string {
  const day = new Date(nowMs).toISOString().slice(0, 10).replace(/-/g, '');
  return `shop_${day}_${randomBytes(5).toString('hex')}`;
}

/** POST /shop/orders (same origin as the shop page). */
export async function registerShopOrder(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = orderRequestSchema.safeParse(await readJson(req, 16 * 1024));
  if (!parsed.success) throw new SandboxError(400, describeZodError(parsed.error));
  const { name, amount } = parsed.data;
  const merchant_uid = newMerchantUid(ctx.clock.nowMs());
  const shop = ctx.shop.current;
  if (!shop) {
    return sendOk(res, {
      amount,
      m_redirect_url: `${requestBase(ctx, req)}/shop/result`,
      merchant_uid,
      name,
      notice_url: null,
      registered: false,
    });
  }
  const target = `${shop.monitorUrl.replace(/\/$/, '')}/api/v1/stores/${encodeURIComponent(shop.storeSlug)}/orders`;
  let status: number;
  let answer: unknown;
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${shop.apiKey}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ merchant_uid, amount, currency: 'KRW', name, prepare: true }),
      signal: AbortSignal.timeout(MONITOR_TIMEOUT_MS),
    });
    status = response.status;
    const text = await response.text();
    try {
      answer = JSON.parse(text) as unknown;
    } catch {
      answer = text.slice(0, 200);
    }
  } catch (error) {
    ctx.log.warn({ err: error, target }, 'sandbox shop: monitor unreachable');
    throw new SandboxError(
      502,
      `The monitor did not answer (${target}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (status !== 200 && status !== 201) {
    const detail =
      typeof answer === 'object' && answer !== null ? JSON.stringify(answer).slice(0, 300) : String(answer);
    throw new SandboxError(502, `The monitor refused the order (HTTP ${status}): ${detail}`);
  }
  const monitor = monitorAnswerSchema.safeParse(answer);
  if (!monitor.success)
    throw new SandboxError(502, `The monitor's answer is not the expected shape: ${describeZodError(monitor.error)}`);
  sendOk(res, {
    amount,
    m_redirect_url: monitor.data.m_redirect_url,
    merchant_uid,
    name,
    notice_url: monitor.data.notice_url,
    registered: true,
  });
}

/** GET /shop/result: shows what the redirect carried, escaped. */
export function showResult(res: ServerResponse, url: URL): void {
  sendHtml(res, 200, resultPage([...url.searchParams.entries()], url.search.replace(/^\?/, '')));
}
