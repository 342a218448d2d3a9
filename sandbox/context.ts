import type { Log } from '../app/logger.server';
import type { SandboxClock } from './clock';
import type { SandboxDb } from './db/connection';
import type { MerchantDirectory } from './merchants';
import type { TokenStore } from './tokens';
import type { WebhookScheduler } from './webhooks';

export type ShopOptions = { monitorUrl: string; storeSlug: string; apiKey: string };

/** Everything a sandbox handler needs, built once by startSandbox. */
export type SandboxContext = {
  db: SandboxDb;
  log: Log;
  clock: SandboxClock;
  /** Base URL browsers use to reach the sandbox (receipts, shop result page). */
  baseUrl: string;
  /** The configured public URL, when set; otherwise pages use the request's Host. */
  publicUrl: string | null;
  merchants: MerchantDirectory;
  tokens: TokenStore;
  webhooks: WebhookScheduler;
  shop: { current: ShopOptions | null };
  /** The demo merchant's notification URL given by configureDemo, restored by reset. */
  demoWebhookUrl: { current: string | null };
  config: { impKey: string; impSecret: string; impCode: string };
  /** The `Host` values the controls answer to (sandbox/control-guard.ts); filled once listening. */
  ownHosts: Set<string>;
};
