import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, getLeaseStatus, LEASE_TTL_MS } from '~/monitor/jobs/lease.server';
import type { DbHandle } from '../../../../db/connection';
import { createTestDb, type TestDb } from '../../../helpers/db';
import { createClock } from '../../../helpers/monitor';

/** The job lease on the engine under test (SQLite file or PostgreSQL), taken through two independent connections. */
describe('job lease', () => {
  let t: TestDb;
  let other: DbHandle;
  const clock = createClock('2026-11-24T09:00:00.000Z');
  beforeAll(async () => {
    t = await createTestDb();
    other = t.openSecond();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });
  const a = () => ({ db: t.db, now: clock.now });
  const b = () => ({ db: other.db, now: clock.now });

  it('one of two racing processes gets it; the other learns who holds it', async () => {
    const [first, second] = await Promise.all([
      acquireLease(a(), 'race', 'process-a'),
      acquireLease(b(), 'race', 'process-b'),
    ]);
    expect([first.ok, second.ok].sort()).toEqual([false, true]);
    const loser = first.ok ? second : first;
    const winner = first.ok ? first : second;
    if (loser.ok || !winner.ok) throw new Error('unreachable');
    expect(loser.heldBy).toMatchObject({
      holder: winner.lease.holder,
      held: true,
      expiresAt: new Date(clock.now().getTime() + LEASE_TTL_MS).toISOString(),
    });
    await winner.lease.release();
  });

  it('is free again once released, and shows who held it last', async () => {
    const first = await acquireLease(a(), 'job', 'process-a');
    if (!first.ok) throw new Error('expected the lease');
    expect((await acquireLease(b(), 'job', 'process-b')).ok).toBe(false);
    await first.lease.release();
    expect(await getLeaseStatus(a(), 'job')).toMatchObject({ holder: 'process-a', held: false });
    const second = await acquireLease(b(), 'job', 'process-b');
    expect(second.ok).toBe(true);
    if (second.ok) await second.lease.release();
  });

  it('expires when its holder stops renewing it, and the old holder notices it lost it', async () => {
    const stale = await acquireLease(a(), 'expiry', 'dead-process');
    if (!stale.ok) throw new Error('expected the lease');
    clock.advance(LEASE_TTL_MS - 1);
    expect((await acquireLease(b(), 'expiry', 'process-b')).ok).toBe(false);
    clock.advance(1);
    const taken = await acquireLease(b(), 'expiry', 'process-b');
    expect(taken.ok).toBe(true);
    expect(await stale.lease.beat(true)).toBe(false);
    expect(stale.lease.lost).toBe(true);
    // Releasing a lost lease must not free the new holder's.
    await stale.lease.release();
    expect(await getLeaseStatus(a(), 'expiry')).toMatchObject({ holder: 'process-b', held: true });
    if (taken.ok) await taken.lease.release();
  });

  it('a heartbeat pushes the expiry forward', async () => {
    const held = await acquireLease(a(), 'beat', 'process-a');
    if (!held.ok) throw new Error('expected the lease');
    clock.advance(LEASE_TTL_MS - 1000);
    expect(await held.lease.beat()).toBe(true);
    clock.advance(2000);
    expect((await acquireLease(b(), 'beat', 'process-b')).ok).toBe(false);
    expect(await getLeaseStatus(a(), 'beat')).toMatchObject({
      holder: 'process-a',
      heartbeatAt: new Date(clock.now().getTime() - 2000).toISOString(),
    });
    await held.lease.release();
  });
});
