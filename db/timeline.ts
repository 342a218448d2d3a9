import type { Kysely } from 'kysely';
import type {
  AttentionReasonRow,
  GatewayCheckRow,
  RedirectHitRow,
  VerificationRow,
  WebhookDeliveryRow,
} from './monitor-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export type TimelineRows = {
  redirectHits: RedirectHitRow[];
  webhookDeliveries: WebhookDeliveryRow[];
  gatewayChecks: GatewayCheckRow[];
  verifications: VerificationRow[];
  reasons: AttentionReasonRow[];
};

/**
 * Every piece of evidence about one order. Evidence rows are linked either directly (order_id,
 * known when they arrived) or through a verification that concerned the order (a redirect with
 * only an imp_uid, a batched gateway look-up).
 */
export async function loadTimelineRows(db: Q, orderId: number): Promise<TimelineRows> {
  const verifications = await db
    .selectFrom('verification')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  const ids = (pick: (v: VerificationRow) => number | null) => [
    ...new Set(verifications.map(pick).filter((id): id is number => id !== null)),
  ];
  const hitIds = ids((v) => v.redirect_hit_id);
  const deliveryIds = ids((v) => v.webhook_delivery_id);
  const checkIds = ids((v) => v.gateway_check_id);

  const [redirectHits, webhookDeliveries, gatewayChecks, reasons] = await Promise.all([
    db
      .selectFrom('redirect_hit')
      .selectAll()
      .where((eb) =>
        hitIds.length ? eb.or([eb('order_id', '=', orderId), eb('id', 'in', hitIds)]) : eb('order_id', '=', orderId),
      )
      .orderBy('id')
      .execute(),
    db
      .selectFrom('webhook_delivery')
      .selectAll()
      .where((eb) =>
        deliveryIds.length
          ? eb.or([eb('order_id', '=', orderId), eb('id', 'in', deliveryIds)])
          : eb('order_id', '=', orderId),
      )
      .orderBy('id')
      .execute(),
    db
      .selectFrom('gateway_check')
      .selectAll()
      .where((eb) =>
        checkIds.length
          ? eb.or([eb('order_id', '=', orderId), eb('id', 'in', checkIds)])
          : eb('order_id', '=', orderId),
      )
      .orderBy('id')
      .execute(),
    db.selectFrom('attention_reason').selectAll().where('order_id', '=', orderId).orderBy('id').execute(),
  ]);
  return { redirectHits, webhookDeliveries, gatewayChecks, verifications, reasons };
}
