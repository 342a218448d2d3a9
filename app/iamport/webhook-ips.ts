/**
 * The addresses Iamport sends V1 webhooks from (iamport-facts §5.4). PortOne changed them once and
 * broke merchants who enforced them, so the monitor records membership by default and only
 * refuses unlisted sources when a store asks for `enforce`.
 */
export const IAMPORT_WEBHOOK_IPS: readonly string[] = ['52.78.100.19', '52.78.48.223', '52.78.5.241'];

export function isIamportWebhookIp(ip: string): boolean {
  const plain = ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
  return IAMPORT_WEBHOOK_IPS.includes(plain);
}
