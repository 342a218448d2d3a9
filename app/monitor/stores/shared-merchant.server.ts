import { findOrder } from '../../../db/orders';
import { findOrdersByMerchantUids } from '../../../db/job-candidates';
import { listStoresByImpCode, listStoresByImpKey } from '../../../db/stores';
import type { Db } from '../../../db/connection';
import { toStore, type Store } from './stores.server';

/**
 * Stores sharing one Iamport merchant account (docs/decisions/0153-what-people-see.md).
 * Legitimate (two brands on one account), so allowed, but explicit: the store form warns and
 * names the other store; a payment belongs to the store that registered its merchant_uid; the
 * reverse sweep, which lists the whole account's payments, leaves alone payments another store
 * on the account knows.
 */

type Deps = { db: Db };

/** The other stores on `store`'s merchant code. */
export async function storesSharingMerchantCode(deps: Deps, store: Pick<Store, 'id' | 'impCode'>): Promise<Store[]> {
  return (await listStoresByImpCode(deps.db, store.impCode)).filter((s) => s.id !== store.id).map(toStore);
}

/** What a store form should warn about: other stores with the same merchant code or REST key. */
export type SharedCredentialWarning = { field: 'impCode' | 'impKey'; stores: { slug: string; name: string }[] };

export async function sharedCredentialWarnings(
  deps: Deps,
  input: { slug: string | null; impCode: string; impKey: string },
): Promise<SharedCredentialWarning[]> {
  const others = (rows: { slug: string; name: string }[]) =>
    rows.filter((r) => r.slug !== input.slug).map((r) => ({ slug: r.slug, name: r.name }));
  const byCode = others(await listStoresByImpCode(deps.db, input.impCode));
  const byKey = others(await listStoresByImpKey(deps.db, input.impKey));
  const warnings: SharedCredentialWarning[] = [];
  if (byCode.length) warnings.push({ field: 'impCode', stores: byCode });
  if (byKey.length) warnings.push({ field: 'impKey', stores: byKey });
  return warnings;
}

/**
 * The store a payment belongs to: the one that registered its merchant_uid, looking first at the
 * store whose URL the evidence came to, then at the others on the same merchant code. When none
 * knows it, the receiving store (where it will be flagged as unknown).
 */
export async function attributeStore(deps: Deps, store: Store, merchantUid: string | null): Promise<Store> {
  if (!merchantUid || (await findOrder(deps.db, store.id, merchantUid))) return store;
  for (const sibling of await storesSharingMerchantCode(deps, store)) {
    if (await findOrder(deps.db, sibling.id, merchantUid)) return sibling;
  }
  return store;
}

/**
 * How the sweep of `store` treats payments of a page it does not know itself: those another store
 * on the same merchant code registered are that store's (`knownElsewhere`); those no store knows
 * are claimed by one store only, the oldest on the merchant code (`claimsUnknown`), so stores
 * swept in parallel never both create the same unknown order.
 */
export async function sweepOwnership(
  deps: Deps,
  store: Pick<Store, 'id' | 'impCode'>,
  merchantUids: string[],
): Promise<{ knownElsewhere: Set<string>; claimsUnknown: boolean }> {
  const siblings = await storesSharingMerchantCode(deps, store);
  const knownElsewhere = new Set<string>();
  for (const sibling of siblings) {
    const rest = merchantUids.filter((uid) => !knownElsewhere.has(uid));
    if (rest.length === 0) break;
    for (const uid of (await findOrdersByMerchantUids(deps.db, sibling.id, rest)).keys()) knownElsewhere.add(uid);
  }
  return { knownElsewhere, claimsUnknown: siblings.every((s) => s.id > store.id) };
}
