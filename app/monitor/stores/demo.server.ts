import { getSetting, putSetting } from '../../../db/settings';
import { decryptSecret, encryptSecret } from './secrets.server';
import { createStore, getStore, rotateStoreKey, type Store } from './stores.server';
import { toDbTime } from '../time';
import type { AdminDeps } from '../deps';

const DEMO_SLUG = 'demo';
const DEMO_KEY_SETTING = 'demo_store_api_key';

/**
 * With SANDBOX=on, the first start creates a `demo` store pointing at the sandbox and returns its
 * API key once (`created: true`) for the operator to see. The key is also kept, encrypted, so the
 * sandbox's demo shop can keep registering orders after a restart.
 */
export async function ensureDemoStore(
  deps: AdminDeps,
  sandbox: { url: string; impKey: string; impSecret: string; impCode: string },
): Promise<{ store: Store; apiKey: string; created: boolean }> {
  const existing = await getStore(deps, DEMO_SLUG);
  if (existing) {
    const sealed = await getSetting(deps.db, DEMO_KEY_SETTING);
    if (sealed) return { store: existing, apiKey: decryptSecret(sealed, deps.config.appSecret), created: false };
    const rotated = await rotateStoreKey({ ...deps, appSecret: deps.config.appSecret }, DEMO_SLUG);
    await putSetting(
      deps.db,
      DEMO_KEY_SETTING,
      encryptSecret(rotated.apiKey, deps.config.appSecret),
      toDbTime(deps.now()),
    );
    return { store: rotated.store, apiKey: rotated.apiKey, created: false };
  }
  const { store, apiKey } = await createStore(
    { db: deps.db, now: deps.now, appSecret: deps.config.appSecret },
    {
      slug: DEMO_SLUG,
      name: 'Demo store (sandbox)',
      impCode: sandbox.impCode,
      impKey: sandbox.impKey,
      impSecret: sandbox.impSecret,
      apiBaseUrl: sandbox.url,
      webhookIpPolicy: 'log',
      mismatchPolicy: 'flag',
    },
  );
  await putSetting(deps.db, DEMO_KEY_SETTING, encryptSecret(apiKey, deps.config.appSecret), toDbTime(deps.now()));
  return { store, apiKey, created: true };
}
