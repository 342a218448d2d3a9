import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inChunkTransaction } from '~/monitor/jobs/chunk.server';
import { createTestDb, testDialect, type TestDb } from '../../../helpers/db';

/**
 * A chunk verifies many items in one transaction, first without savepoints (each one is a round
 * trip on PostgreSQL); when an item fails, that attempt is undone whole and the chunk runs again
 * with a savepoint per item. Whichever way it ran, the outcome must be as if every item had had
 * its own savepoint.
 */
describe(`inChunkTransaction (${testDialect})`, () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(() => t.close());

  const at = '2026-12-02T00:00:00.000Z';
  const keys = async (prefix: string) =>
    (
      await t.db.selectFrom('app_setting').select('key').where('key', 'like', `${prefix}%`).orderBy('key').execute()
    ).map((r) => r.key);

  it('commits every item in one attempt when none fails', async () => {
    const calls: string[] = [];
    const outcomes = await inChunkTransaction({ db: t.db }, ['a', 'b', 'c'], null, async (db, item) => {
      calls.push(item);
      await db
        .insertInto('app_setting')
        .values({ key: `ok-${item}`, value: item, updated_at: at })
        .execute();
      return item.toUpperCase();
    });
    expect(outcomes).toEqual([
      { ok: true, value: 'A' },
      { ok: true, value: 'B' },
      { ok: true, value: 'C' },
    ]);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(await keys('ok-')).toEqual(['ok-a', 'ok-b', 'ok-c']);
  });

  it('an item that throws after writing undoes only its own writes; the others commit', async () => {
    const calls: string[] = [];
    const outcomes = await inChunkTransaction({ db: t.db }, ['a', 'b', 'c'], null, async (db, item) => {
      calls.push(item);
      await db
        .insertInto('app_setting')
        .values({ key: `throw-${item}`, value: item, updated_at: at })
        .execute();
      if (item === 'b') throw new Error('b failed');
      return item;
    });
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: new Error('b failed') });
    // The first attempt stopped at b and was rolled back; the second ran every item again.
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'c']);
    expect(await keys('throw-')).toEqual(['throw-a', 'throw-c']);
  });

  it('an item whose statement fails in the database (an aborted transaction on PostgreSQL) is undone alone', async () => {
    const outcomes = await inChunkTransaction({ db: t.db }, ['a', 'b', 'c'], null, async (db, item) => {
      // b collides with a's key: a unique violation, which on PostgreSQL aborts the transaction.
      await db
        .insertInto('app_setting')
        .values({ key: `dup-${item === 'b' ? 'a' : item}`, value: item, updated_at: at })
        .execute();
      return item;
    });
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(await keys('dup-')).toEqual(['dup-a', 'dup-c']);
  });

  it('an item refused by `keep` is undone but reported with its value', async () => {
    const outcomes = await inChunkTransaction(
      { db: t.db },
      ['a', 'b', 'c'],
      null,
      async (db, item) => {
        await db
          .insertInto('app_setting')
          .values({ key: `keep-${item}`, value: item, updated_at: at })
          .execute();
        return { item, good: item !== 'c' };
      },
      (value) => value.good,
    );
    expect(outcomes).toEqual([
      { ok: true, value: { item: 'a', good: true } },
      { ok: true, value: { item: 'b', good: true } },
      { ok: true, value: { item: 'c', good: false } },
    ]);
    expect(await keys('keep-')).toEqual(['keep-a', 'keep-b']);
  });
});
