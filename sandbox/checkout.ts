import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from './context';
import type { PaymentRow } from './db/schema';
import { SandboxError, formToObject, readBody, sendHtml, sendRedirect } from './http';
import { completeWindow, mRedirectUrlOf, openWindow, type WindowChoice } from './payments';
import { errorPage, finishPage, iamportScript, receiptPage, windowPage } from './pages';
import {
  defaultRedirectStyle,
  redirectUrl,
  type RedirectStyle,
  type WebhookScenario,
  type WindowResult,
} from './rules';
import { checkoutPayloadSchema, describeZodError, windowFormSchema } from './schemas';

/**
 * The PG side of the browser flow (iamport-facts §6): the SDK shim, the hosted payment window, and
 * the end of the window: a 302 to m_redirect_url in the PG's style, or the callback.
 */

/** The base URL the browser used to reach us (configured public URL first). */
export function requestBase(ctx: SandboxContext, req: IncomingMessage): string {
  if (ctx.publicUrl) return ctx.publicUrl;
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `http://${host}` : ctx.baseUrl;
}

/** The object the JS callback receives (iamport-facts §4.2), shaped by the PG's style. */
export function callbackObject(style: RedirectStyle, r: WindowResult, p: PaymentRow | null): Record<string, unknown> {
  const errors = r.ok ? {} : { error_code: r.error_code, error_msg: r.error_msg };
  if (style === 'ids_only') return { imp_uid: r.imp_uid, merchant_uid: r.merchant_uid, ...errors };
  const flags =
    style === 'imp_success' ? { imp_success: r.ok, success: r.ok } : style === 'success' ? { success: r.ok } : {};
  return {
    ...flags,
    imp_uid: r.imp_uid,
    merchant_uid: r.merchant_uid,
    error_code: r.ok ? null : r.error_code,
    error_msg: r.ok ? null : r.error_msg,
    pay_method: p?.pay_method ?? null,
    paid_amount: p ? p.amount : null,
    status: p?.status ?? null,
    name: p?.name ?? null,
    pg_provider: p?.pg_provider ?? null,
    pg_tid: p?.pg_tid ?? null,
    currency: p?.currency ?? null,
    buyer_name: p?.buyer_name ?? null,
    buyer_email: p?.buyer_email ?? null,
    custom_data: p?.custom_data ?? null,
    paid_at: p?.paid_at ?? 0,
    receipt_url: p?.receipt_url ?? null,
    apply_num: p?.apply_num ?? null,
    vbank_num: p?.vbank_num ?? null,
    vbank_name: p?.vbank_name ?? null,
    vbank_holder: p?.vbank_holder ?? null,
    vbank_date: p?.vbank_date ?? 0,
  };
}

export function serveScript(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): void {
  const js = iamportScript(requestBase(ctx, req));
  res.writeHead(200, {
    'Content-Type': 'application/javascript; charset=UTF-8',
    'Content-Length': Buffer.byteLength(js),
    'Cache-Control': 'no-cache',
  });
  res.end(js);
}

async function readForm(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, 256 * 1024);
  return formToObject(new URLSearchParams(raw.toString('utf8')));
}

/** POST /checkout/start: what iamport.js submits. Opens the window or refuses like the SDK. */
export async function startCheckout(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  let payload: unknown;
  try {
    payload = JSON.parse(typeof form.payload === 'string' ? form.payload : '');
  } catch {
    return sendHtml(
      res,
      400,
      errorPage('결제 요청 오류', 'The payment request could not be read (payload must be JSON from iamport.js).'),
    );
  }
  const parsed = checkoutPayloadSchema.safeParse(payload);
  if (!parsed.success) return sendHtml(res, 400, errorPage('결제 요청 오류', describeZodError(parsed.error)));
  const request = parsed.data;
  const m = mRedirectUrlOf(request.params);
  if (m.present && !m.url)
    return sendHtml(res, 400, errorPage('결제 요청 오류', 'm_redirect_url must be an absolute http(s) URL.'));
  const start = await openWindow(ctx, {
    imp_code: request.imp_code,
    origin: request.origin ?? null,
    user_agent: request.user_agent ?? req.headers['user-agent'] ?? null,
    params: request.params,
  });
  if (start.kind === 'refused') {
    // Validation before the window: with m_redirect_url the browser still lands there (iamport-facts §6.1).
    const result: WindowResult = {
      imp_uid: null,
      merchant_uid: start.merchant_uid,
      ok: false,
      error_code: start.error_code,
      error_msg: start.error_msg,
    };
    ctx.log.info(
      { merchant_uid: start.merchant_uid, error_code: start.error_code },
      'sandbox window refused before opening',
    );
    if (m.url)
      return sendRedirect(res, 302, redirectUrl(m.url, start.style === 'none' ? 'imp_success' : start.style, result));
    return sendHtml(
      res,
      200,
      finishPage(
        request.origin ?? null,
        callbackObject(start.style === 'ids_only' ? 'ids_only' : 'imp_success', result, null),
      ),
    );
  }
  sendRedirect(res, 303, `/checkout/${encodeURIComponent(start.payment.imp_uid)}`);
}

async function windowPayment(ctx: SandboxContext, impUid: string): Promise<PaymentRow | undefined> {
  return ctx.db.selectFrom('payment').selectAll().where('imp_uid', '=', impUid).executeTakeFirst();
}

/** GET /checkout/{imp_uid}: the PG window while it is open. */
export async function showWindow(ctx: SandboxContext, res: ServerResponse, impUid: string): Promise<void> {
  const p = await windowPayment(ctx, impUid);
  if (!p || p.window_state === null) return sendHtml(res, 404, errorPage('결제창 없음', '존재하지 않는 결제창입니다.'));
  if (p.window_state !== 'open')
    return sendHtml(res, 409, errorPage('결제창 종료', '이미 종료된 결제창입니다.', p.m_redirect_url));
  const merchant = ctx.merchants.byId(p.merchant_id)!;
  sendHtml(
    res,
    200,
    windowPage(p, merchant, defaultRedirectStyle(p.pg_provider ?? merchant.default_pg, p.pay_method ?? 'card')),
  );
}

function scenarioFromForm(
  kind: string | undefined,
  delay: string | undefined,
  retry: boolean,
): Partial<WebhookScenario> | null {
  const base: Partial<WebhookScenario> = retry ? { retry: true } : {};
  const seconds = Math.min(Math.max(Number.parseInt(delay ?? '', 10) || 60, 0), 7 * 24 * 3600);
  switch (kind) {
    case 'on_time':
      return { ...base, drop: false, delay_seconds: 0, copies: 1, order: 'any' };
    case 'delayed':
      return { ...base, delay_seconds: seconds };
    case 'dropped':
      return { ...base, drop: true };
    case 'duplicated':
      return { ...base, copies: 2 };
    case 'before_redirect':
      return { ...base, order: 'before_redirect' };
    case 'after_redirect':
      return { ...base, order: 'after_redirect' };
    default:
      return retry ? base : null;
  }
}

/** POST /checkout/{imp_uid}/complete: the tester's button. */
export async function finishWindow(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  impUid: string,
): Promise<void> {
  const parsed = windowFormSchema.safeParse(await readForm(req));
  if (!parsed.success) return sendHtml(res, 400, errorPage('결제창 오류', describeZodError(parsed.error)));
  const form = parsed.data;
  const tampered = form.tampered_amount?.trim() ? Number(form.tampered_amount.trim()) : null;
  if (tampered !== null && !(Number.isFinite(tampered) && tampered > 0))
    return sendHtml(res, 400, errorPage('결제창 오류', 'The different amount must be a positive number.'));
  const p = await windowPayment(ctx, impUid);
  if (!p || p.window_state === null) return sendHtml(res, 404, errorPage('결제창 없음', '존재하지 않는 결제창입니다.'));
  if (p.window_state !== 'open')
    return sendHtml(res, 409, errorPage('결제창 종료', '이미 종료된 결제창입니다.', p.m_redirect_url));
  const choice: WindowChoice = {
    outcome: form.outcome,
    style: form.style ?? null,
    error_code: form.error_code ?? null,
    error_msg: form.error_msg ?? null,
    tampered_amount: tampered,
    scenario: scenarioFromForm(form.webhook, form.delay_seconds, form.retry === 'on'),
  };
  let done: Awaited<ReturnType<typeof completeWindow>>;
  try {
    done = await completeWindow(ctx, impUid, choice);
  } catch (error) {
    if (error instanceof SandboxError)
      return sendHtml(res, error.status, errorPage('결제창 오류', error.message, p.m_redirect_url));
    throw error;
  }
  if (done.notified && done.scenario?.order === 'before_redirect') {
    // "웹훅 우선순위": the browser is answered only after the webhook call (iamport-facts §5.5).
    await ctx.webhooks.runDue();
  } else {
    // PortOne calls the webhook and, without waiting for the answer, redirects the browser.
    ctx.webhooks.kick();
  }
  res.once(
    'finish',
    () =>
      void ctx.webhooks
        .releaseHeld(impUid)
        .catch((err: unknown) => ctx.log.error({ err }, 'sandbox: releasing held webhooks failed')),
  );
  ctx.log.info(
    { imp_uid: impUid, outcome: form.outcome, style: done.style, status: done.payment.status },
    'sandbox window closed',
  );
  if (done.payment.window_mode === 'redirect' && done.payment.m_redirect_url) {
    return sendRedirect(res, 302, redirectUrl(done.payment.m_redirect_url, done.style, done.result));
  }
  sendHtml(res, 200, finishPage(done.payment.window_origin, callbackObject(done.style, done.result, done.payment)));
}

export async function showReceipt(ctx: SandboxContext, res: ServerResponse, impUid: string): Promise<void> {
  const p = await windowPayment(ctx, impUid);
  if (!p) return sendHtml(res, 404, errorPage('매출전표', '존재하지 않는 결제정보입니다.'));
  sendHtml(res, 200, receiptPage(p));
}
