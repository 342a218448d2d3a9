import { deleteUnverifiedEvidence, listUnverifiedEvidence, orderExistsFor } from '../../../db/integrity';
import { takeUnknownOrderBudget } from '../capture/unknown-evidence.server';
import { verifyPayment } from '../verify/verify.server';
import type { StoreRun } from './run-frame.server';

/** At most this many queued items are looked at per store and run (the budget usually stops sooner). */
export const MAX_QUEUED_PER_RUN = 1000;

/**
 * Step 3 of the re-query job: evidence for unregistered orders that arrived past the store's
 * budget (`unverified_evidence`, coalesced per id) is verified now, from the same per-minute budget
 * the public routes use; what the budget does not cover waits for the next run, so nothing skipped
 * is lost. Evidence whose order has been registered since needs no budget. A dry run only counts.
 */
export async function verifyQueuedEvidence(run: StoreRun): Promise<void> {
  const { deps, store } = run;
  const queued = await listUnverifiedEvidence(deps.db, store.id, MAX_QUEUED_PER_RUN);
  if (run.dryRun) {
    run.countExamined(queued.length);
    return;
  }
  for (const row of queued) {
    const ids = { merchantUid: row.merchant_uid, impUid: row.imp_uid };
    const known = await orderExistsFor(deps.db, store.id, ids);
    if (!known && !(await takeUnknownOrderBudget(deps, store))) {
      run.notReached(queued.length - queued.indexOf(row));
      return;
    }
    await run.checkpoint();
    const base = { orderId: null, merchantUid: row.merchant_uid, impUid: row.imp_uid, statusBefore: null };
    try {
      const result = await verifyPayment(deps, {
        store,
        trigger: 'schedule',
        impUid: row.imp_uid,
        merchantUid: row.merchant_uid,
        redirectHitId: row.redirect_hit_id,
        webhookDeliveryId: row.webhook_delivery_id,
        redirectClaimsFailure: row.claims_failure === 1,
      });
      await deleteUnverifiedEvidence(deps.db, row.id);
      if (result.settled) run.settled();
      await run.item({
        ...base,
        orderId: result.orderId,
        merchantUid: result.merchantUid,
        statusAfter: result.status,
        outcome: result.outcome,
        reasonsOpened: result.openReasons,
      });
    } catch (error) {
      await run.orderError({ ...base, statusAfter: null, reasonsOpened: [] }, error);
    }
  }
}
