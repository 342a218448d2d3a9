import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelFromForm } from '~/alerts/channels.server';
import type { DbHandle } from '../../../db/connection';
import { startSandbox, type RunningSandbox } from '../../../sandbox/server';
import { dropAppDatabase, openAppDatabase, startApp, type RunningApp } from '../../helpers/app-server';
import { addStoreWithCli, closedPort, sandboxControl } from '../../helpers/monitor';
import { SANDBOX_MERCHANT } from '../../helpers/stack';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver';

const APP_SECRET = 'alert-durability-test-secret-0123456789';
const ADMIN = { email: 'admin@durable.test', password: 'alert durability admin password' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it answers something other than undefined (bounded). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Alerts from spawned server processes on a real database (the SQLite file, or PostgreSQL):
 * the SMTP server is down, the app is killed with SIGKILL between retries and started again,
 * and every notification still arrives once the server is back, after backed-off retries that
 * the incident page lists one by one. Then two processes deliver from the same outbox at once:
 * every message is sent exactly once.
 */
describe('alert delivery across SIGKILL and across instances', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-alerts-durable-'));
  const env = {
    APP_SECRET,
    RATE_LIMIT_PER_IP: '0',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  let sandbox: RunningSandbox;
  let apiKey: string;
  let smtpPort: number;
  let smtp: SmtpReceiver | null = null;
  let handle: DbHandle;
  const apps: RunningApp[] = [];
  let n = 0;

  /** A buyer pays 500 for an order registered at 50,000: the webhook's verification opens a mismatch. */
  async function tamperedPayment(app: RunningApp): Promise<string> {
    const merchantUid = `durable-alert-${++n}`;
    const registered = await fetch(`${app.url}/api/v1/stores/shop/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_uid: merchantUid, amount: 50_000 }),
    });
    expect(registered.status).toBe(201);
    const { payments } = await sandboxControl<{ payments: { imp_uid: string }[] }>(sandbox.url, 'POST', 'payments', [
      { merchant_uid: merchantUid, amount: 500, status: 'paid', webhook: false },
    ]);
    const hook = await fetch(`${app.url}/webhooks/iamport/shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imp_uid: payments[0]!.imp_uid, merchant_uid: merchantUid, status: 'paid' }),
    });
    expect(hook.status).toBe(200);
    return merchantUid;
  }

  const start = async () => {
    const app = await startApp({ dataDir, env });
    apps.push(app);
    return app;
  };
  const outboxCount = async (state: string) =>
    Number(
      (
        await handle.db
          .selectFrom('alert_outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', '=', state)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const attemptsOf = (messageId: number) =>
    handle.db
      .selectFrom('alert_delivery_attempt')
      .selectAll()
      .where('message_id', '=', messageId)
      .orderBy('attempt')
      .execute();

  beforeAll(async () => {
    sandbox = await startSandbox({
      config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
      dataDir,
      log: pino({ level: 'silent' }),
    });
    const added = await addStoreWithCli({
      dataDir,
      env,
      slug: 'shop',
      sandboxUrl: sandbox.url,
      merchant: SANDBOX_MERCHANT,
    });
    expect(added.code, added.stderr).toBe(0);
    apiKey = /API key \(shown once\): (\S+)/.exec(added.stdout)![1]!;
    handle = await openAppDatabase(dataDir);
    smtpPort = await closedPort();
    // The channel as the dashboard form creates it: Korean, every severity, no grouping delay.
    const form = new FormData();
    const fields = {
      name: 'ops mail',
      kind: 'email',
      host: '127.0.0.1',
      port: String(smtpPort),
      tls: 'none',
      user: '',
      from: 'monitor@durable.test',
      recipients: 'ops@durable.test',
      locale: 'ko',
      minSeverity: 'info',
      groupSeconds: '0',
    };
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    const created = await createChannelFromForm(
      { db: handle.db, now: () => new Date(), appSecret: APP_SECRET },
      { actor: 'system', ip: null },
      form,
    );
    expect(created.ok).toBe(true);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await handle?.close();
    await smtp?.close();
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropAppDatabase(dataDir);
  });

  it('retries with backoff while SMTP is down, survives a SIGKILL, and delivers everything once it is back', async () => {
    const first = await start();
    const uids = [await tamperedPayment(first)];
    // Attempt 1 is refused (nothing listens on the port): the message waits for its retry.
    const message = await until('the first failed attempt', async () => {
      const row = await handle.db
        .selectFrom('alert_message')
        .selectAll()
        .where('state', '=', 'retry')
        .executeTakeFirst();
      return row && row.attempts === 1 ? row : undefined;
    });
    // Three more while it waits: they stay pending behind the message that is still retrying.
    for (let i = 0; i < 3; i++) uids.push(await tamperedPayment(first));
    await until('three pending outbox rows', async () => ((await outboxCount('pending')) === 3 ? true : undefined));
    // SIGKILL between attempts (not in the middle of one, whose lock would hold the message for two minutes).
    await until('a quiet moment before the next attempt', async () => {
      const row = await handle.db
        .selectFrom('alert_message')
        .select(['state', 'next_attempt_at'])
        .where('id', '=', message.id)
        .executeTakeFirstOrThrow();
      return row.state === 'retry' && new Date(row.next_attempt_at).getTime() - Date.now() > 2_000 ? true : undefined;
    });
    await first.kill();

    const second = await start();
    // The new process takes the retries over; the server is still down for attempt 2.
    await until('the second failed attempt', async () =>
      (await attemptsOf(message.id)).length >= 2 ? true : undefined,
    );
    smtp = await startSmtpReceiver(smtpPort);

    await until('every mismatch in a mail', async () =>
      uids.every((uid) => smtp!.mails.some((m) => m.text.includes(uid))) ? true : undefined,
    );
    await until('every message sent', async () => {
      const open = await handle.db.selectFrom('alert_message').select('id').where('state', '!=', 'sent').execute();
      return open.length === 0 && (await outboxCount('pending')) === 0 ? true : undefined;
    });

    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a) => a.ok)).toEqual([0, 0, 1]);
    expect(attempts[0]!.error).toMatch(/ECONNREFUSED/);
    expect(attempts[2]!.response_status).toBe(250);
    // Backed off: 10 s, then 20 s (measured from the attempts' own times).
    const at = attempts.map((a) => new Date(a.at).getTime());
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(10_000);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(20_000);
    // The first attempt was the killed process's, the others the new one's.
    expect(attempts[1]!.worker).not.toBe(attempts[0]!.worker);
    expect(attempts[2]!.worker).toBe(attempts[1]!.worker);

    // Each message was accepted once: one mail per message, none twice.
    const messages = await handle.db.selectFrom('alert_message').select(['id', 'webhook_id', 'item_count']).execute();
    const alertIds = smtp.mails.map((m) => /^X-Alert-Id:\s*(\S+)/im.exec(m.raw)?.[1]);
    expect(alertIds.sort()).toEqual(messages.map((m) => m.webhook_id).sort());
    expect(messages.reduce((sum, m) => sum + m.item_count, 0)).toBe(4);
    // Korean, with the amounts formatted: the first mail alone, the three held back grouped in the second.
    expect(smtp.mails.map((m) => m.subject)).toEqual([
      `[심각] 금액 불일치 · shop · ${uids[0]}`,
      '[심각] 알림 3건: 새 알림 3건',
    ]);
    for (const mail of smtp.mails) expect(mail.text).toContain('₩50,000');

    // The incident page lists every attempt, failed ones with the error.
    const incident = await handle.db
      .selectFrom('alert_incident')
      .select('id')
      .where('subject', '=', uids[0]!)
      .executeTakeFirstOrThrow();
    const html = await signedInPage(second, `/alerts/incidents/${incident.id}`);
    const rows = [...html.matchAll(/data-testid="attempt-row" data-ok="(\w+)"/g)].map((m) => m[1]);
    expect(rows).toEqual(['false', 'false', 'true']);
    expect(html).toContain('ECONNREFUSED');
    await second.stop();
  });

  it('two processes delivering from one outbox send every message once', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const before = smtp!.mails.length;
    const sentBefore = new Set((await handle.db.selectFrom('alert_message').select('id').execute()).map((m) => m.id));
    // Twenty mismatches, half through each process, five at a time: both workers wake and race.
    const uids: string[] = [];
    for (let round = 0; round < 4; round++) {
      uids.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => tamperedPayment(i % 2 ? a : b)))));
    }
    await until('every new outbox row sent', async () => {
      const rows = await handle.db
        .selectFrom('alert_outbox as o')
        .innerJoin('alert_message as m', 'm.id', 'o.message_id')
        .select(['m.id', 'm.state'])
        .where('o.state', '=', 'bundled')
        .execute();
      const pending = await outboxCount('pending');
      const fresh = rows.filter((r) => !sentBefore.has(r.id));
      return pending === 0 && fresh.length === 20 && fresh.every((r) => r.state === 'sent') ? true : undefined;
    });
    await sleep(1_500); // a second send of anything would show up by now
    const messages = (
      await handle.db.selectFrom('alert_message').select(['id', 'webhook_id', 'item_count']).execute()
    ).filter((m) => !sentBefore.has(m.id));
    expect(messages.reduce((sum, m) => sum + m.item_count, 0)).toBe(20);
    const attempts = await handle.db
      .selectFrom('alert_delivery_attempt')
      .select(['message_id', 'ok', 'worker'])
      .where(
        'message_id',
        'in',
        messages.map((m) => m.id),
      )
      .execute();
    expect(attempts).toHaveLength(messages.length);
    const byWorker = new Map<string, number>();
    for (const x of attempts) byWorker.set(x.worker, (byWorker.get(x.worker) ?? 0) + 1);
    console.log(
      `alerts race: ${messages.length} messages for 20 mismatches, sent by ${[...byWorker.values()].join(' + ')}`,
    );
    expect(attempts.every((x) => x.ok === 1)).toBe(true);
    const mails = smtp!.mails.slice(before);
    const alertIds = mails.map((m) => /^X-Alert-Id:\s*(\S+)/im.exec(m.raw)?.[1]);
    expect(new Set(alertIds).size).toBe(alertIds.length);
    expect(alertIds.sort()).toEqual(messages.map((m) => m.webhook_id).sort());
    await Promise.all([a.stop(), b.stop()]);
  });
});

/** Signs in over HTTP as the first admin and answers the HTML of `path`. */
async function signedInPage(app: RunningApp, pathname: string): Promise<string> {
  const login = await fetch(`${app.url}/login`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
  const signedIn = await fetch(`${app.url}/login`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email: ADMIN.email, password: ADMIN.password }),
    redirect: 'manual',
  });
  expect(signedIn.status).toBe(303);
  const session = [cookie, ...signedIn.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
  const page = await fetch(`${app.url}${pathname}`, { headers: { cookie: session } });
  expect(page.status).toBe(200);
  return page.text();
}
