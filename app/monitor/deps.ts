import type { AppContext } from '../context.server';
import type { Manners } from './jobs/gateway-manners';

/**
 * The dependencies of the domain and of the jobs, in one place, as picks of the app context
 * (STYLE: dependencies are arguments). Tests hand in their own context; nothing here carries the
 * whole Config: the database handle knows its own dialect (db/dialect.ts `dialectOf`).
 */

/** The order ledger: the database, the clock and whoever listens to what it changes. */
export type LedgerDeps = Pick<AppContext, 'db' | 'now' | 'ledgerListeners'>;

/** Capture, verification and manual actions: the ledger's plus the gateways, the log and the metrics. */
export type MonitorDeps = LedgerDeps & Pick<AppContext, 'log' | 'gateways' | 'metrics'>;

/**
 * Capture and the jobs that verify evidence: the monitor's, plus the config for the per-store
 * budget of look-ups for unregistered orders (decision 0011).
 */
export type CaptureDeps = MonitorDeps & Pick<AppContext, 'config'>;

/** Only a database and a clock (reads, leases, audit rows). */
export type DbDeps = Pick<AppContext, 'db' | 'now'>;

/** Reads that show configuration (the jobs' schedules). */
export type ConfiguredDeps = DbDeps & Pick<AppContext, 'config'>;

/** Store administration: needs the app secret to seal credentials. */
export type AdminDeps = ConfiguredDeps & Pick<AppContext, 'log'>;

/** The scheduled jobs: the monitor's dependencies plus a few knobs tests turn (all optional). */
export type JobDeps = CaptureDeps & {
  /** Waits between retries of a failed gateway call (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  manners?: Partial<Manners>;
  /** This process's name on the lease (default: host, pid and a random suffix). */
  holder?: string;
};
