import type { RenderedMessage } from '../render';

/** What one delivery attempt ended with: the receiver's answer, or why there was none. */
export type SendOutcome = {
  ok: boolean;
  /** HTTP status, or the SMTP reply code. */
  status: number | null;
  /** The receiver's answer (SMTP reply line, HTTP body), trimmed. */
  response: string | null;
  error: string | null;
  latencyMs: number;
};

export type EmailConfig = {
  host: string;
  port: number;
  /** `tls`: TLS from the first byte (465); `starttls`: upgrade required (587); `none`: plain (a relay on localhost). */
  tls: 'tls' | 'starttls' | 'none';
  user: string | null;
  from: string;
  recipients: string[];
};
export type SlackConfig = Record<string, never>;
export type WebhookConfig = { url: string };

export type ChannelKind = 'email' | 'slack' | 'webhook';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'slack', 'webhook'];

/** A channel ready to send: its settings and its decrypted secret (kept in memory only for the send). */
export type ResolvedChannel =
  | { kind: 'email'; config: EmailConfig; secret: string | null }
  | { kind: 'slack'; config: SlackConfig; secret: string }
  | { kind: 'webhook'; config: WebhookConfig; secret: string };

export type SendInput = { message: RenderedMessage; webhookId: string; now: Date; timeoutMs: number };

export function clipAnswer(value: string | null | undefined, max = 500): string | null {
  if (value === null || value === undefined) return null;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
