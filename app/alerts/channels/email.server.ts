import nodemailer from 'nodemailer';
import { clipAnswer, type EmailConfig, type SendInput, type SendOutcome } from './types';

/**
 * Email over SMTP with nodemailer. One connection per message (a message is already a group of
 * incidents, so there are few); the server's reply line is the attempt's answer.
 */
export async function sendEmail(config: EmailConfig, password: string | null, input: SendInput): Promise<SendOutcome> {
  const started = Date.now();
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === 'tls',
    requireTLS: config.tls === 'starttls',
    ignoreTLS: config.tls === 'none',
    auth: config.user ? { user: config.user, pass: password ?? '' } : undefined,
    connectionTimeout: input.timeoutMs,
    greetingTimeout: input.timeoutMs,
    socketTimeout: input.timeoutMs,
  });
  try {
    const info = await transport.sendMail({
      from: config.from,
      to: config.recipients,
      subject: input.message.subject,
      text: input.message.text,
      html: input.message.html,
      headers: { 'X-Alert-Id': input.webhookId },
    });
    const reply = typeof info.response === 'string' ? info.response : null;
    const code = reply ? Number.parseInt(reply.slice(0, 3), 10) : NaN;
    return {
      ok: info.rejected.length === 0,
      status: Number.isFinite(code) ? code : null,
      response: clipAnswer(reply),
      error: info.rejected.length ? `rejected: ${info.rejected.map(String).join(', ')}` : null,
      latencyMs: Date.now() - started,
    };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; code?: string; message?: string };
    return {
      ok: false,
      status: e.responseCode ?? null,
      response: clipAnswer(e.response ?? null),
      error: clipAnswer(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`),
      latencyMs: Date.now() - started,
    };
  } finally {
    transport.close();
  }
}
