import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/connection';
import type { AlertMessageRow } from '../../db/alert-schema';
import {
  bundlePending,
  channelsWithPendingOutbox,
  claimChannelWindow,
  claimDueMessage,
  findChannel,
  finishMessage,
  hasUnfinishedMessage,
  insertAttempt,
  insertMessage,
  outboxOfMessage,
} from '../../db/alerts';
import { recordAudit, type AuditActor } from '../auth/audit.server';
import { AppError } from '../errors';
import type { Log } from '../logger.server';
import { processHolderId } from '../monitor/jobs/lease.server';
import { toDbTime } from '../monitor/time';
import { resolveChannel, toChannel } from './channels.server';
import { sendEmail } from './channels/email.server';
import { sendSignedWebhook, sendSlack } from './channels/http.server';
import type { SendInput, SendOutcome } from './channels/types';
import { renderMessage, type IncidentSnapshot, type OutboxItem } from './render';
import { MAX_ATTEMPTS, retryDelayMs } from './rules';

/**
 * The delivery worker. The outbox rows the rule engine wrote are bundled, per channel, into one
 * message per grouping interval (a storm becomes one message with counts), and each message is
 * sent with retries and exponential backoff until the receiver accepts it. Every attempt is
 * recorded with its answer. Several processes may run it: a channel's window and a message are
 * claimed with conditional updates, so each message is sent by one process at a time, and a
 * process that dies mid-send leaves a lock that expires (the message is sent again: at least
 * once, with the same `webhook-id` for receivers that dedupe).
 */

export type DeliveryDeps = {
  db: Db;
  now: () => Date;
  log: Log;
  appSecret: string;
  /** The app's public base URL for the links in messages (no trailing slash). */
  linkBase: () => string;
  /** This process's name on claimed messages. */
  holder?: string;
  sendTimeoutMs?: number;
};

/** How long a claimed message stays ours before another process may take it over. */
export const MESSAGE_LOCK_MS = 120_000;
/** At most this many outbox rows in one message (a storm bigger than this spills into the next). */
export const BUNDLE_LIMIT = 10_000;

const PROCESS_HOLDER = processHolderId();

class NothingToBundle extends Error {}

function newWebhookId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}

/**
 * One pass: retries that are due (and messages whose sender died), then a new message for every
 * channel with pending rows whose grouping window is open. Returns how many messages it sent or
 * tried to send.
 */
export async function deliverDue(deps: DeliveryDeps): Promise<number> {
  const holder = deps.holder ?? PROCESS_HOLDER;
  let attempted = 0;
  for (let i = 0; i < 100; i++) {
    const now = deps.now();
    const message = await claimDueMessage(deps.db, {
      now: toDbTime(now),
      lockedUntil: toDbTime(new Date(now.getTime() + MESSAGE_LOCK_MS)),
      holder,
    });
    if (!message) break;
    await sendMessage(deps, message, holder);
    attempted++;
  }
  for (const channelId of await channelsWithPendingOutbox(deps.db)) {
    const message = await bundleChannel(deps, channelId, holder);
    if (!message) continue;
    await sendMessage(deps, message, holder);
    attempted++;
  }
  return attempted;
}

/** Opens the channel's next message with everything pending, if its window is open and nothing is in flight. */
async function bundleChannel(deps: DeliveryDeps, channelId: number, holder: string): Promise<AlertMessageRow | null> {
  // A message still retrying keeps later rows waiting: they go out grouped once it is through.
  if (await hasUnfinishedMessage(deps.db, channelId)) return null;
  const channelRow = await findChannel(deps.db, channelId);
  if (!channelRow) return null;
  const now = deps.now();
  const at = toDbTime(now);
  // Inside the grouping interval: nothing to do, and no write transaction to contend with ingestion.
  if (channelRow.next_send_at !== null && new Date(channelRow.next_send_at).getTime() > now.getTime()) return null;
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const claimed = await claimChannelWindow(trx, {
        id: channelId,
        now: at,
        nextSendAt: toDbTime(new Date(now.getTime() + channelRow.group_seconds * 1000)),
      });
      if (!claimed) throw new NothingToBundle();
      const message = await insertMessage(trx, {
        channel_id: channelId,
        webhook_id: newWebhookId(),
        state: 'sending',
        item_count: 0,
        attempts: 0,
        next_attempt_at: at,
        locked_until: toDbTime(new Date(now.getTime() + MESSAGE_LOCK_MS)),
        locked_by: holder,
        last_error: null,
        created_at: at,
        sent_at: null,
      });
      const moved = await bundlePending(trx, { channelId, messageId: message.id, limit: BUNDLE_LIMIT });
      // Another process bundled them first: roll back the window and the empty message.
      if (moved === 0) throw new NothingToBundle();
      const updated = await trx
        .updateTable('alert_message')
        .set({ item_count: moved })
        .where('id', '=', message.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return updated;
    });
  } catch (error) {
    if (error instanceof NothingToBundle) return null;
    throw error;
  }
}

async function dispatch(
  deps: DeliveryDeps,
  channelRow: NonNullable<Awaited<ReturnType<typeof findChannel>>>,
  input: SendInput,
): Promise<SendOutcome> {
  const channel = resolveChannel(channelRow, deps.appSecret);
  switch (channel.kind) {
    case 'email':
      return sendEmail(channel.config, channel.secret, input);
    case 'slack':
      return sendSlack(channel.secret, input);
    case 'webhook':
      return sendSignedWebhook(channel.config.url, channel.secret, input);
  }
}

/** Sends one claimed message once, records the attempt, and marks it sent, to retry or given up. */
async function sendMessage(deps: DeliveryDeps, message: AlertMessageRow, holder: string): Promise<SendOutcome> {
  const channelRow = await findChannel(deps.db, message.channel_id);
  const items: OutboxItem[] = (await outboxOfMessage(deps.db, message.id)).map((row) => ({
    kind: row.kind as OutboxItem['kind'],
    snapshot: row.kind === 'test' ? null : (JSON.parse(row.payload_json) as IncidentSnapshot),
  }));
  const isTest = items.every((i) => i.kind === 'test');
  const attempt = message.attempts + 1;
  let outcome: SendOutcome;
  if (!channelRow) {
    outcome = { ok: false, status: null, response: null, error: 'the channel was deleted', latencyMs: 0 };
  } else {
    const channel = toChannel(channelRow);
    const rendered = renderMessage({
      locale: channel.locale,
      base: deps.linkBase(),
      items,
      channelName: channel.name,
      now: toDbTime(deps.now()),
    });
    try {
      // The signature's timestamp is wall-clock time: receivers compare it with their own clock.
      outcome = await dispatch(deps, channelRow, {
        message: rendered,
        webhookId: message.webhook_id,
        now: new Date(),
        timeoutMs: deps.sendTimeoutMs ?? 15_000,
      });
    } catch (error) {
      outcome = {
        ok: false,
        status: null,
        response: null,
        error: error instanceof Error ? error.message : String(error),
        latencyMs: 0,
      };
    }
  }
  const at = deps.now();
  await insertAttempt(deps.db, {
    message_id: message.id,
    channel_id: message.channel_id,
    attempt,
    at: toDbTime(at),
    ok: outcome.ok ? 1 : 0,
    latency_ms: outcome.latencyMs,
    response_status: outcome.status,
    response_text: outcome.response,
    error: outcome.error,
    worker: holder,
  });
  const giveUp = !outcome.ok && (isTest || !channelRow || attempt >= MAX_ATTEMPTS);
  await finishMessage(deps.db, message.id, holder, {
    state: outcome.ok ? 'sent' : giveUp ? 'dead' : 'retry',
    attempts: attempt,
    next_attempt_at: toDbTime(new Date(at.getTime() + (outcome.ok || giveUp ? 0 : retryDelayMs(attempt)))),
    last_error: outcome.ok ? null : outcome.error,
    sent_at: outcome.ok ? toDbTime(at) : null,
  });
  if (!outcome.ok)
    deps.log.warn(
      { message: message.id, channel: message.channel_id, attempt, error: outcome.error },
      'alert delivery failed',
    );
  return outcome;
}

/**
 * "Send a test" (admin): one message to this channel now, outside its grouping window, recorded
 * like any other (one attempt, no retry) and audited.
 */
export async function sendChannelTest(
  deps: DeliveryDeps,
  who: { actor: AuditActor; ip: string | null },
  channelId: number,
): Promise<SendOutcome> {
  const holder = deps.holder ?? PROCESS_HOLDER;
  const channelRow = await findChannel(deps.db, channelId);
  if (!channelRow) throw new AppError('not_found', 'No such alert channel');
  const now = deps.now();
  const at = toDbTime(now);
  const message = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertMessage(trx, {
      channel_id: channelId,
      webhook_id: newWebhookId(),
      state: 'sending',
      item_count: 1,
      attempts: 0,
      next_attempt_at: at,
      locked_until: toDbTime(new Date(now.getTime() + MESSAGE_LOCK_MS)),
      locked_by: holder,
      last_error: null,
      created_at: at,
      sent_at: null,
    });
    await trx
      .insertInto('alert_outbox')
      .values({
        channel_id: channelId,
        incident_id: null,
        kind: 'test',
        state: 'bundled',
        message_id: inserted.id,
        payload_json: '{}',
        created_at: at,
      })
      .execute();
    return inserted;
  });
  const outcome = await sendMessage(deps, message, holder);
  await recordAudit(deps, {
    actor: who.actor,
    action: 'alert_channel.test',
    target: { type: 'alert_channel', id: channelId },
    after: { ok: outcome.ok, status: outcome.status, error: outcome.error },
    ip: who.ip,
  });
  return outcome;
}

export type AlertWorker = { wake: () => void; stop: () => Promise<void> };

/**
 * Runs `deliverDue` in the background: soon after it is woken (a listener queued something), and
 * every `pollMs` for retries, grouping windows and messages left by a process that died. Wakes
 * are coalesced: passes start at most every `minGapMs`, so a burst of ledger events (one wake
 * each) costs a few passes a second rather than one per event competing with ingestion.
 */
export function startAlertWorker(
  deps: DeliveryDeps,
  options: { pollMs?: number; minGapMs?: number } = {},
): AlertWorker {
  const pollMs = options.pollMs ?? 1000;
  const minGapMs = options.minGapMs ?? 100;
  let stopped = false;
  let woken = false;
  let lastPass = 0;
  let signal: (() => void) | null = null;
  const wake = () => {
    woken = true;
    signal?.();
  };
  const wait = () =>
    new Promise<void>((resolve) => {
      const sinceLast = performance.now() - lastPass;
      let timer = setTimeout(done, woken ? Math.max(0, minGapMs - sinceLast) : pollMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        signal = null;
        resolve();
      }
      signal = () => {
        if (stopped) return done();
        // Woken while idle: go once the gap since the last pass has passed.
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, minGapMs - (performance.now() - lastPass)));
        timer.unref();
      };
    });
  const loop = (async () => {
    while (!stopped) {
      await wait();
      woken = false;
      if (stopped) break;
      lastPass = performance.now();
      try {
        while (!stopped && (await deliverDue(deps)) > 0);
      } catch (error) {
        deps.log.error({ err: error }, 'alert delivery pass failed');
      }
    }
  })();
  return {
    wake,
    stop: async () => {
      stopped = true;
      signal?.();
      await loop;
    },
  };
}
