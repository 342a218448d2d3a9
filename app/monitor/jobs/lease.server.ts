import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { findLease, releaseLease, renewLease, tryAcquireLease } from '../../../db/lease';
import type { JobLeaseRow } from '../../../db/reconcile-schema';
import type { DbDeps } from '../deps';
import { fromDbTime, toDbTime } from '../time';

/**
 * One runner at a time for a job across processes and app instances: a row per job name in the
 * database (db/lease.ts), taken with a conditional upsert, renewed while the job runs and released
 * at the end. A process that dies leaves a lease that simply expires. node-cron's `noOverlap` only
 * covers one process; this covers all of them.
 */

/** A lease nobody renews for this long is free for the taking. */
export const LEASE_TTL_MS = 5 * 60_000;
/** The holder renews at least this often (measured on the injected clock and on a real timer). */
export const HEARTBEAT_EVERY_MS = 30_000;

export type Lease = {
  name: string;
  holder: string;
  /** Renews the lease when a heartbeat is due; false (and `lost`) once another process has taken it. */
  beat: (force?: boolean) => Promise<boolean>;
  readonly lost: boolean;
  release: () => Promise<void>;
};

export type LeaseAttempt = { ok: true; lease: Lease } | { ok: false; heldBy: LeaseStatus };

export type LeaseStatus = {
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
  heartbeatAt: string;
  /** Someone holds it right now (it has not expired). */
  held: boolean;
};

/** A name for this process that is unique across hosts and restarts. */
export function processHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function toStatus(row: JobLeaseRow, now: Date): LeaseStatus {
  return {
    name: row.name,
    holder: row.holder,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
    heartbeatAt: row.heartbeat_at,
    held: (fromDbTime(row.expires_at) as Date).getTime() > now.getTime(),
  };
}

export async function getLeaseStatus(deps: Pick<DbDeps, 'db' | 'now'>, name: string): Promise<LeaseStatus | null> {
  const row = await findLease(deps.db, name);
  return row ? toStatus(row, deps.now()) : null;
}

/** Takes the lease if it is free (or expired, or already ours); otherwise says who holds it. */
export async function acquireLease(
  deps: DbDeps,
  name: string,
  holder: string,
  ttlMs = LEASE_TTL_MS,
): Promise<LeaseAttempt> {
  const before = await findLease(deps.db, name);
  const start = deps.now();
  const row = await tryAcquireLease(deps.db, {
    name,
    holder,
    now: toDbTime(start),
    expiresAt: toDbTime(new Date(start.getTime() + ttlMs)),
  });
  if (!row) {
    const current = await findLease(deps.db, name);
    return { ok: false, heldBy: toStatus(current ?? (before as JobLeaseRow), deps.now()) };
  }

  let lastBeat = start.getTime();
  let lost = false;
  let released = false;
  const beat = async (force = false): Promise<boolean> => {
    if (lost || released) return !lost;
    const now = deps.now();
    if (!force && now.getTime() - lastBeat < HEARTBEAT_EVERY_MS) return true;
    lastBeat = now.getTime();
    const renewed = await renewLease(deps.db, {
      name,
      holder,
      now: toDbTime(now),
      expiresAt: toDbTime(new Date(now.getTime() + ttlMs)),
    });
    if (!renewed) lost = true;
    return renewed;
  };
  // Also on real time: a long gateway call must not let the lease lapse between two checkpoints.
  const timer = setInterval(() => void beat(true).catch(() => {}), HEARTBEAT_EVERY_MS);
  timer.unref();
  return {
    ok: true,
    lease: {
      name,
      holder,
      beat,
      get lost() {
        return lost;
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        if (!lost) await releaseLease(deps.db, { name, holder, now: toDbTime(deps.now()) });
      },
    },
  };
}
