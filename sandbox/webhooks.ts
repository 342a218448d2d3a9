import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Log } from '../app/logger.server';
import type { SandboxClock } from './clock';
import type { SandboxDb } from './db/connection';
import type { DeliveryRow, NewDelivery } from './db/schema';
import type { Merchant } from './merchants';
import { AFTER_REDIRECT_DELAY_S, nextDeliveryStep, webhookBody, webhookFields, type WebhookScenario } from './rules';

/** iamport-facts §5.5: first delivery 10 s to connect and 30 s to answer; re-sends 15 s in total. */
export type WebhookTimeouts = { connectMs: number; readMs: number; retryTotalMs: number };
export const DEFAULT_WEBHOOK_TIMEOUTS: WebhookTimeouts = { connectMs: 10_000, readMs: 30_000, retryTotalMs: 15_000 };

const EXCERPT_CHARS = 500;
const BATCH = 64;

export type Notification = {
  merchant: Merchant;
  imp_uid: string;
  merchant_uid: string;
  /** The payment's own notice_url values (JSON array text), which replace the merchant's URL. */
  notice_urls: string | null;
  status: string;
  cancellation_id: string | null;
  scenario: WebhookScenario;
  /** True when a browser redirect follows, so `after_redirect` holds the delivery until it is sent. */
  redirectFollows: boolean;
};

export type AttemptReport = {
  delivery_id: number;
  imp_uid: string;
  status: string;
  url: string;
  attempt: number;
  http_status: number | null;
  error: string | null;
  latency_ms: number;
  state: string;
};

type PostResult = { status: number | null; excerpt: string | null; error: string | null };

/**
 * Sends notifications the way PortOne does (iamport-facts §5): one POST per event, JSON or form
 * per merchant, to the payment's notice_url or the merchant's URL, with scenario faults.
 *
 * Every delivery is a row with a `due_at_ms` on the sandbox clock, so delays and retries survive
 * a restart and tests drive them with `tick`/`advance` instead of sleeping. With the real clock a
 * timer runs due deliveries; with an injected clock only tick/advance (and deliveries already due
 * when they are queued) do.
 */
export class WebhookScheduler {
  private chain: Promise<unknown> = Promise.resolve();
  private kickScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private inflight = new Set<ClientRequest>();

  constructor(private readonly deps: { db: SandboxDb; log: Log; clock: SandboxClock; timeouts: WebhookTimeouts }) {}

  /**
   * Crash recovery: a delivery caught mid-send is sent again (a duplicate, as PortOne may do);
   * one still held for a redirect that was already answered becomes due now.
   */
  async start(): Promise<void> {
    const now = this.deps.clock.nowMs();
    await this.deps.db
      .updateTable('webhook_delivery')
      .set({ state: 'pending', due_at_ms: now })
      .where('state', 'in', ['sending', 'held'])
      .execute();
    this.kick();
  }

  /**
   * Queues the deliveries of one event inside the caller's transaction (so a state change and
   * its notification commit together). Returns how many rows were written.
   */
  async enqueue(trx: SandboxDb, events: Notification[]): Promise<number> {
    const now = this.deps.clock.nowMs();
    const rows: NewDelivery[] = [];
    for (const n of events) {
      const urls = n.notice_urls ? (JSON.parse(n.notice_urls) as string[]) : [];
      const targets = urls.length ? urls : n.merchant.webhook_url ? [n.merchant.webhook_url] : [];
      const { body } = webhookBody(n.merchant.webhook_format, webhookFields(n));
      const held = n.redirectFollows && n.scenario.order === 'after_redirect';
      for (const url of targets) {
        for (let copy = 1; copy <= n.scenario.copies; copy++) {
          rows.push({
            merchant_id: n.merchant.id,
            imp_uid: n.imp_uid,
            merchant_uid: n.merchant_uid,
            status: n.status,
            cancellation_id: n.cancellation_id,
            url,
            format: n.merchant.webhook_format,
            body,
            state: n.scenario.drop ? 'dropped' : held ? 'held' : 'pending',
            due_at_ms: n.scenario.drop || held ? null : now + n.scenario.delay_seconds * 1000,
            hold_seconds: held ? n.scenario.delay_seconds + AFTER_REDIRECT_DELAY_S : 0,
            retry: n.scenario.retry ? 1 : 0,
            attempts: 0,
            copy,
            created_at_ms: now,
            finished_at_ms: n.scenario.drop ? now : null,
            last_status: null,
            last_error: n.scenario.drop ? 'dropped by scenario' : null,
          });
        }
      }
    }
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('webhook_delivery')
        .values(rows.slice(i, i + 500))
        .execute();
    return rows.length;
  }

  /** The browser got its redirect: deliveries held for it become due after their hold. */
  async releaseHeld(impUid: string): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.nowMs();
    const held = await this.deps.db
      .selectFrom('webhook_delivery')
      .select(['id', 'hold_seconds'])
      .where('imp_uid', '=', impUid)
      .where('state', '=', 'held')
      .execute();
    for (const d of held) {
      await this.deps.db
        .updateTable('webhook_delivery')
        .set({ state: 'pending', due_at_ms: now + d.hold_seconds * 1000 })
        .where('id', '=', d.id)
        .execute();
    }
    if (held.length) this.kick();
  }

  /** Runs due deliveries soon, without waiting (coalesces bursts of events). */
  kick(): void {
    if (this.kickScheduled || this.stopped) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      void this.runDue().catch((error: unknown) => this.deps.log.error({ err: error }, 'sandbox webhook run failed'));
    });
  }

  /** Sends everything due on the sandbox clock and resolves with what each attempt got. */
  runDue(): Promise<AttemptReport[]> {
    const run = this.chain.then(() => this.runOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for whatever is being sent right now. */
  async settle(): Promise<void> {
    await this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const req of this.inflight) req.destroy(new Error('sandbox stopping'));
    await this.chain;
  }

  private async runOnce(): Promise<AttemptReport[]> {
    const reports: AttemptReport[] = [];
    while (!this.stopped) {
      const now = this.deps.clock.nowMs();
      const due = await this.deps.db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('state', '=', 'pending')
        .where('due_at_ms', '<=', now)
        .orderBy('due_at_ms')
        .orderBy('id')
        .limit(BATCH)
        .execute();
      if (due.length === 0) break;
      await this.deps.db
        .updateTable('webhook_delivery')
        .set({ state: 'sending' })
        .where(
          'id',
          'in',
          due.map((d) => d.id),
        )
        .execute();
      const settled = await Promise.all(due.map((d) => this.attempt(d)));
      for (const r of settled) if (r) reports.push(r);
    }
    await this.arm();
    return reports;
  }

  /** With the real clock, wakes up when the next delivery is due (at most a minute from now). */
  private async arm(): Promise<void> {
    if (this.stopped || this.deps.clock.injected) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = await this.deps.db
      .selectFrom('webhook_delivery')
      .select((eb) => eb.fn.min('due_at_ms').as('due'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (this.stopped || next?.due === null || next?.due === undefined) return;
    const wait = Math.min(60_000, Math.max(0, Number(next.due) - this.deps.clock.nowMs()));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runDue().catch((error: unknown) => this.deps.log.error({ err: error }, 'sandbox webhook run failed'));
    }, wait);
    this.timer.unref();
  }

  private async attempt(d: DeliveryRow): Promise<AttemptReport | null> {
    const attempt = d.attempts + 1;
    const startedAt = this.deps.clock.nowMs();
    const t0 = performance.now();
    const contentType = d.format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    const result = await this.post(d.url, d.body, contentType, attempt === 1);
    // Stopping mid-send: leave the row "sending" so the next start sends it again.
    if (this.stopped) return null;
    const latency = Math.round(performance.now() - t0);
    const step = nextDeliveryStep(result, attempt, d.retry === 1, this.deps.clock.nowMs());
    await this.deps.db
      .insertInto('webhook_attempt')
      .values({
        delivery_id: d.id,
        attempt,
        started_at_ms: startedAt,
        latency_ms: latency,
        status: result.status,
        body_excerpt: result.excerpt,
        error: result.error,
      })
      .execute();
    await this.deps.db
      .updateTable('webhook_delivery')
      .set({
        attempts: attempt,
        last_status: result.status,
        last_error: result.error,
        state: step.state,
        due_at_ms: step.state === 'pending' ? step.dueAtMs : null,
        finished_at_ms: step.state === 'pending' ? null : this.deps.clock.nowMs(),
      })
      .where('id', '=', d.id)
      .execute();
    const report: AttemptReport = {
      delivery_id: d.id,
      imp_uid: d.imp_uid,
      status: d.status,
      url: d.url,
      attempt,
      http_status: result.status,
      error: result.error,
      latency_ms: latency,
      state: step.state,
    };
    this.deps.log.info({ ...report, answer: result.excerpt?.slice(0, 200) ?? null }, 'sandbox webhook attempt');
    return report;
  }

  private post(url: string, body: string, contentType: string, first: boolean): Promise<PostResult> {
    const { connectMs, readMs, retryTotalMs } = this.deps.timeouts;
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ status: null, excerpt: null, error: 'invalid URL' });
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const timers: NodeJS.Timeout[] = [];
      const clear = () => timers.forEach((t) => clearTimeout(t));
      let done = false;
      const finish = (r: PostResult) => {
        if (done) return;
        done = true;
        clear();
        this.inflight.delete(req);
        resolve(r);
      };
      const req = send(target, {
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), Connection: 'close' },
      });
      this.inflight.add(req);
      const timeout = (label: string, ms: number) =>
        timers.push(setTimeout(() => req.destroy(new Error(`${label} timeout after ${ms} ms`)), ms));
      if (first) {
        req.on('socket', (socket) => {
          const startRead = () => timeout('read', readMs);
          if (socket.connecting) {
            timeout('connect', connectMs);
            socket.once('connect', () => {
              clear();
              startRead();
            });
          } else startRead();
        });
      } else timeout('total', retryTotalMs);
      req.on('response', (res) => {
        let excerpt = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (excerpt.length < EXCERPT_CHARS) excerpt += chunk.slice(0, EXCERPT_CHARS - excerpt.length);
        });
        res.on('end', () => finish({ status: res.statusCode ?? null, excerpt, error: null }));
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish({ status: null, excerpt: excerpt || null, error: error.code ?? error.message }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        finish({ status: null, excerpt: null, error: error.code ?? error.message }),
      );
      req.end(body);
    });
  }
}
