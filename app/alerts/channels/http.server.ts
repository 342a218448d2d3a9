import { createHmac, randomBytes } from 'node:crypto';
import { clipAnswer, type SendInput, type SendOutcome } from './types';

/** POSTs JSON; any 2xx is delivered, everything else (and no answer) is a failed attempt. */
async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendOutcome> {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'iamport-monitor-alerts', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text().catch(() => '');
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      status: response.status,
      response: clipAnswer(text),
      error: ok ? null : `HTTP ${response.status}`,
      latencyMs: Date.now() - started,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      status: null,
      response: null,
      error: clipAnswer(`${cause ? `${cause}: ` : ''}${error instanceof Error ? error.message : String(error)}`),
      latencyMs: Date.now() - started,
    };
  }
}

/** Slack incoming webhook: the webhook URL is the secret; the body is Block Kit with a text fallback. */
export function sendSlack(webhookUrl: string, input: SendInput): Promise<SendOutcome> {
  return postJson(webhookUrl, JSON.stringify(input.message.slack), {}, input.timeoutMs);
}

/** A new signing secret: `whsec_` + base64 of 24 random bytes (Standard Webhooks). Shown once. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The Standard Webhooks signature (standard-webhooks spec, "Signature scheme"): HMAC-SHA256 with
 * the base64-decoded secret (after `whsec_`) over `${id}.${timestamp}.${body}`, base64, `v1,` prefix.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The generic outbound webhook, signed so any Standard Webhooks library verifies it. */
export function sendSignedWebhook(url: string, secret: string, input: SendInput): Promise<SendOutcome> {
  const body = JSON.stringify(input.message.webhook);
  // The timestamp is the attempt's; the id stays the same across retries (receivers dedupe on it).
  const timestamp = Math.floor(input.now.getTime() / 1000);
  return postJson(
    url,
    body,
    {
      'webhook-id': input.webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, input.webhookId, timestamp, body),
    },
    input.timeoutMs,
  );
}
