import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { SandboxContext } from './context';
import type { PaymentRow } from './db/schema';
import { SandboxError, readJson, sendOk } from './http';
import { guardControlRequest } from './control-guard';
import { merchantView } from './merchants';
import { toWirePayment } from './payment-view';
import { amendPayment, createPayments, depositVbank, transitionPayment } from './payments';
import {
  advanceSchema,
  amendSchema,
  createPaymentSchema,
  depositSchema,
  describeZodError,
  faultsOf,
  faultsSchema,
  merchantInputSchema,
  merchantPatchSchema,
  shopOptionsSchema,
  transitionSchema,
} from './schemas';

/**
 * `/__sandbox/…`: the tester's side of the emulator (JSON in, envelope out). Unauthenticated by
 * design: the sandbox listens on loopback unless told otherwise, and it holds no real money.
 */

const BULK_LIMIT_BYTES = 64 * 1024 * 1024;
const MAX_BULK = 100_000;

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SandboxError(400, describeZodError(result.error));
  return result.data;
}

async function body(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  return readJson(req, limit);
}

/** Runs everything due on the sandbox clock and waits for the attempts to finish. */
async function runScheduler(ctx: SandboxContext) {
  const attempts = await ctx.webhooks.runDue();
  return { now: ctx.clock.nowS(), now_ms: ctx.clock.nowMs(), attempts };
}

async function deliveries(ctx: SandboxContext, url: URL) {
  const q = url.searchParams;
  let query = ctx.db.selectFrom('webhook_delivery').selectAll();
  const impUid = q.get('imp_uid');
  const merchantUid = q.get('merchant_uid');
  const state = q.get('state');
  const merchantCode = q.get('merchant');
  if (impUid) query = query.where('imp_uid', '=', impUid);
  if (merchantUid) query = query.where('merchant_uid', '=', merchantUid);
  if (state) query = query.where('state', '=', state as 'pending');
  if (merchantCode) query = query.where('merchant_id', '=', ctx.merchants.resolve(merchantCode).id);
  const limit = Math.min(Math.max(Number(q.get('limit') ?? 1000) || 1000, 1), 10_000);
  const rows = await query.orderBy('id').limit(limit).execute();
  const attempts = rows.length
    ? await ctx.db
        .selectFrom('webhook_attempt')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('id')
        .execute()
    : [];
  return rows.map((d) => ({
    attempts: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        body_excerpt: a.body_excerpt,
        error: a.error,
        latency_ms: a.latency_ms,
        started_at_ms: a.started_at_ms,
        status: a.status,
      })),
    body: d.body,
    cancellation_id: d.cancellation_id,
    copy: d.copy,
    created_at_ms: d.created_at_ms,
    due_at_ms: d.due_at_ms,
    finished_at_ms: d.finished_at_ms,
    format: d.format,
    id: d.id,
    imp_uid: d.imp_uid,
    last_error: d.last_error,
    last_status: d.last_status,
    merchant_uid: d.merchant_uid,
    retry: d.retry === 1,
    state: d.state,
    status: d.status,
    url: d.url,
  }));
}

async function reset(ctx: SandboxContext): Promise<void> {
  await ctx.webhooks.settle();
  await ctx.db.transaction().execute(async (trx) => {
    for (const table of ['webhook_attempt', 'webhook_delivery', 'prepare', 'payment', 'token'] as const)
      await trx.deleteFrom(table).execute();
    await trx.deleteFrom('merchant').where('is_demo', '=', 0).execute();
    await trx
      .updateTable('merchant')
      .set({
        webhook_url: ctx.demoWebhookUrl.current,
        webhook_format: 'json',
        webhook_scenario: '{}',
        partial_cancel_status: 'paid',
        default_pg: 'html5_inicis',
        faults: null,
        name: 'Sandbox demo merchant',
      })
      .execute();
  });
  ctx.tokens.clearCache();
  ctx.clock.reset();
  await ctx.merchants.load();
}

/** A GET never returns `imp_secret` (a page that can read the answer must not learn it). */
function withoutSecret(m: Parameters<typeof merchantView>[0]) {
  const { imp_secret: _secret, ...view } = merchantView(m);
  return view;
}

async function paymentOr404(ctx: SandboxContext, impUid: string): Promise<PaymentRow> {
  const row = await ctx.db.selectFrom('payment').selectAll().where('imp_uid', '=', impUid).executeTakeFirst();
  if (!row) throw new SandboxError(404, `payment ${impUid} does not exist`);
  return row;
}

export async function handleControls(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  segments: string[],
): Promise<void> {
  const method = req.method ?? 'GET';
  const [, area, id, action] = segments;
  const route = `${method} ${area ?? ''}${id !== undefined ? '/:id' : ''}${action !== undefined ? `/${action}` : ''}`;
  const nowS = ctx.clock.nowS();
  guardControlRequest(req, ctx.ownHosts);

  switch (route) {
    case 'GET ':
      return sendOk(res, {
        clock: { now: nowS, now_ms: ctx.clock.nowMs(), injected: ctx.clock.injected },
        merchants: ctx.merchants.all().map(withoutSecret),
        shop: ctx.shop.current
          ? { monitorUrl: ctx.shop.current.monitorUrl, storeSlug: ctx.shop.current.storeSlug }
          : null,
      });
    case 'GET clock':
      return sendOk(res, { now: nowS, now_ms: ctx.clock.nowMs(), iso: new Date(ctx.clock.nowMs()).toISOString() });
    case 'POST tick':
      return sendOk(res, await runScheduler(ctx));
    case 'POST advance': {
      const { seconds } = parse(advanceSchema, await body(req));
      ctx.clock.advance(seconds * 1000);
      return sendOk(res, await runScheduler(ctx));
    }
    case 'POST reset':
      await reset(ctx);
      return sendOk(res, { reset: true });
    case 'GET merchants':
      return sendOk(res, ctx.merchants.all().map(withoutSecret));
    case 'POST merchants': {
      const input = parse(merchantInputSchema, await body(req));
      return sendOk(res, merchantView(await ctx.merchants.create(input, nowS)), 201);
    }
    case 'GET merchants/:id':
      return sendOk(res, withoutSecret(ctx.merchants.resolve(id)));
    case 'PATCH merchants/:id': {
      const patch = parse(merchantPatchSchema, await body(req));
      return sendOk(res, merchantView(await ctx.merchants.update(ctx.merchants.resolve(id), patch)));
    }
    case 'PUT merchants/:id/faults': {
      const faults = faultsOf(parse(faultsSchema, await body(req)));
      return sendOk(res, merchantView(await ctx.merchants.setFaults(ctx.merchants.resolve(id), faults)));
    }
    case 'DELETE merchants/:id/faults':
      return sendOk(res, merchantView(await ctx.merchants.setFaults(ctx.merchants.resolve(id), null)));
    case 'POST merchants/:id/revoke-tokens':
      return sendOk(res, { revoked: await ctx.tokens.revokeAll(ctx.merchants.resolve(id).id) });
    case 'POST payments': {
      const raw = await body(req, BULK_LIMIT_BYTES);
      const bulk = Array.isArray(raw);
      const items = (bulk ? raw : [raw]).map((item, i) => {
        const result = createPaymentSchema.safeParse(item);
        if (!result.success) throw new SandboxError(400, `${bulk ? `[${i}] ` : ''}${describeZodError(result.error)}`);
        return result.data;
      });
      if (items.length === 0) throw new SandboxError(400, 'body: an empty array creates nothing');
      if (items.length > MAX_BULK) throw new SandboxError(400, `body: at most ${MAX_BULK} payments per call`);
      for (const item of items) ctx.merchants.resolve(item.merchant);
      const rows = await createPayments(ctx, items);
      if (!bulk) return sendOk(res, toWirePayment(rows[0]!), 201);
      return sendOk(
        res,
        {
          count: rows.length,
          payments: rows.map((r) => ({
            amount: r.amount,
            imp_uid: r.imp_uid,
            merchant_uid: r.merchant_uid,
            status: r.status,
          })),
        },
        201,
      );
    }
    case 'GET payments': {
      const q = url.searchParams;
      let query = ctx.db.selectFrom('payment').selectAll();
      if (q.get('merchant')) query = query.where('merchant_id', '=', ctx.merchants.resolve(q.get('merchant')).id);
      if (q.get('merchant_uid')) query = query.where('merchant_uid', '=', q.get('merchant_uid')!);
      const limit = Math.min(Math.max(Number(q.get('limit') ?? 100) || 100, 1), 1000);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return sendOk(res, rows.map(toWirePayment));
    }
    case 'GET payments/:id':
      return sendOk(res, toWirePayment(await paymentOr404(ctx, id!)));
    case 'POST payments/:id/deposit': {
      const input = parse(depositSchema, await body(req));
      await paymentOr404(ctx, id!);
      return sendOk(res, toWirePayment(await depositVbank(ctx, id!, input.webhook)));
    }
    case 'POST payments/:id/amend': {
      const input = parse(amendSchema, await body(req));
      await paymentOr404(ctx, id!);
      return sendOk(res, toWirePayment(await amendPayment(ctx, id!, input.amount)));
    }
    case 'POST payments/:id/transition': {
      const input = parse(transitionSchema, await body(req));
      await paymentOr404(ctx, id!);
      return sendOk(
        res,
        toWirePayment(
          await transitionPayment(ctx, id!, input.to, {
            amount: input.amount,
            reason: input.reason,
            webhook: input.webhook,
          }),
        ),
      );
    }
    case 'GET webhooks':
      return sendOk(res, await deliveries(ctx, url));
    case 'PUT shop': {
      const raw = await body(req);
      ctx.shop.current =
        raw === null || (typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0)
          ? null
          : parse(shopOptionsSchema, raw);
      return sendOk(res, {
        shop: ctx.shop.current
          ? { monitorUrl: ctx.shop.current.monitorUrl, storeSlug: ctx.shop.current.storeSlug }
          : null,
      });
    }
    default:
      throw new SandboxError(404, `unknown sandbox control: ${method} ${url.pathname}`);
  }
}
