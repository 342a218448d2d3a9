import type { Config } from './config.server';
import type { Db } from '../db/connection';
import type { Log } from './logger.server';

/**
 * Every stateful dependency of a request, created once by the server entry and handed to
 * loaders and actions through Remix's load context. Route modules import functions, never
 * connections, so the Remix build holds no state of its own.
 */
export type AppContext = {
  config: Config;
  db: Db;
  log: Log;
  now: () => Date;
};

export function createAppContext(deps: { config: Config; db: Db; log: Log; now?: () => Date }): AppContext {
  return { config: deps.config, db: deps.db, log: deps.log, now: deps.now ?? (() => new Date()) };
}

/** What a loader or action receives: the app's dependencies plus facts about this request. */
export type RequestContext = AppContext & {
  /** The TCP peer's address (no proxy header is trusted). */
  clientIp: string;
};

declare module '@remix-run/node' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends RequestContext {}
}
