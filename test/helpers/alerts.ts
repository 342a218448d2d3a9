import type { AppContext } from '~/context.server';
import { createChannelFromForm, type Channel } from '~/alerts/channels.server';
import type { DeliveryDeps } from '~/alerts/delivery.server';
import { ORIGIN } from './app-server';

/** What the delivery worker needs, from a test's app context. */
export function deliveryDeps(ctx: AppContext, extra: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return { ...ctx, appSecret: ctx.config.appSecret, linkBase: () => ORIGIN, sendTimeoutMs: 5_000, ...extra };
}

/** Creates a channel the way the dashboard form does (as the system actor). */
export async function addChannel(
  ctx: AppContext,
  fields: Record<string, string | string[]>,
): Promise<{ channel: Channel; secret: string | null }> {
  const form = new FormData();
  const all: Record<string, string | string[]> = { locale: 'ko', minSeverity: 'info', groupSeconds: '60', ...fields };
  for (const [key, value] of Object.entries(all)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  const result = await createChannelFromForm(
    { db: ctx.db, now: ctx.now, appSecret: ctx.config.appSecret },
    { actor: 'system', ip: null },
    form,
  );
  if (!result.ok) throw new Error(`channel refused: ${JSON.stringify(result.errors)}`);
  return { channel: result.channel, secret: result.shownOnce };
}

export function emailChannelFields(port: number, extra: Record<string, string> = {}) {
  return {
    name: 'ops mail',
    kind: 'email',
    host: '127.0.0.1',
    port: String(port),
    tls: 'none',
    user: '',
    from: 'monitor@shop.test',
    recipients: 'ops@shop.test, cto@shop.test',
    ...extra,
  };
}
