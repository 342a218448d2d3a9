import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../db/migrate';
import { migrations } from '../../../db/migrations/index';
import { createTestDb, onPostgres, type TestDb } from '../../helpers/db';

describe('migrations', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(() => t.close());

  it('applies every listed migration once and is idempotent', async () => {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db);
    expect(rows.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(t.db)).toEqual({ applied: [] });
  });

  it.skipIf(onPostgres)('opens SQLite in WAL mode with foreign keys on', async () => {
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(t.db);
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(t.db);
    expect(journal.rows[0]?.journal_mode).toBe('wal');
    expect(fk.rows[0]?.foreign_keys).toBe(1);
  });

  it.runIf(onPostgres)(
    'makes PostgreSQL keys identities, whole numbers bigint and text columns collate "C"',
    async () => {
      const columns = await sql<{
        table_name: string;
        column_name: string;
        data_type: string;
        collation_name: string | null;
        is_identity: string;
      }>`
      select table_name, column_name, data_type, collation_name, is_identity
      from information_schema.columns where table_schema = 'public' and table_name not like 'kysely%'
    `.execute(t.db);
      expect(columns.rows.length).toBeGreaterThan(100);
      expect(columns.rows.filter((c) => c.data_type === 'integer' || c.data_type === 'smallint')).toEqual([]);
      expect(columns.rows.filter((c) => c.data_type === 'text' && c.collation_name !== 'C')).toEqual([]);
      const ids = columns.rows.filter((c) => c.column_name === 'id' && c.data_type === 'bigint');
      expect(ids.length).toBeGreaterThan(10);
      expect(ids.filter((c) => c.is_identity !== 'YES')).toEqual([]);
      // 3,000,000,000 (past 32 bits) is stored and read back as a JavaScript number.
      const row = await sql<{ n: number; big: number; total: number }>`
      select count(*) as n, cast(3000000000 as bigint) as big, sum(cast(3000000000 as bigint)) as total from app_setting
    `.execute(t.db);
      expect(row.rows[0]).toEqual({ n: 0, big: 3_000_000_000, total: null });
    },
  );

  it('gives every foreign key column an index whose first column it is', async () => {
    const fks = await foreignKeys(t);
    const indexed = await indexLeads(t);
    // Stores are never deleted, and these tables are never looked up by store alone.
    const exempt = new Set(['webhook_job.store_id', 'gateway_check.store_id', 'reconcile_run_item.store_id']);
    const missing = fks.filter(
      (fk) => !indexed.has(`${fk.table}.${fk.column}`) && !exempt.has(`${fk.table}.${fk.column}`),
    );
    expect(missing).toEqual([]);
  });

  it('lists migrations with NNNN_verb_noun names in order', () => {
    const names = Object.keys(migrations);
    expect([...names].sort()).toEqual(names);
    for (const name of names) expect(name).toMatch(/^\d{4}_[a-z]+(_[a-z0-9]+)+$/);
  });
});

type ForeignKey = { table: string; column: string };

async function foreignKeys(t: TestDb): Promise<ForeignKey[]> {
  if (t.dialect === 'postgres') {
    const rows = await sql<ForeignKey>`
      select kcu.table_name as "table", kcu.column_name as "column"
      from information_schema.table_constraints tc
      join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name
      where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = 'public'
    `.execute(t.db);
    return rows.rows;
  }
  const rows = await sql<ForeignKey>`
    select m.name as "table", f."from" as "column"
    from sqlite_master m, pragma_foreign_key_list(m.name) f where m.type = 'table'
  `.execute(t.db);
  return rows.rows;
}

/** `table.column` for the first column of every index (and primary key). */
async function indexLeads(t: TestDb): Promise<Set<string>> {
  if (t.dialect === 'postgres') {
    const rows = await sql<{ table: string; column: string }>`
      select c.relname as "table", a.attname as "column"
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    `.execute(t.db);
    return new Set(rows.rows.map((r) => `${r.table}.${r.column}`));
  }
  const rows = await sql<{ table: string; column: string | null }>`
    select m.name as "table", ii.name as "column"
    from sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii
    where m.type = 'table' and ii.seqno = 0
  `.execute(t.db);
  const leads = new Set(rows.rows.filter((r) => r.column !== null).map((r) => `${r.table}.${r.column}`));
  // An integer primary key is the rowid: no index entry, but it is the table's order.
  const pks = await sql<{ table: string; column: string }>`
    select m.name as "table", p.name as "column" from sqlite_master m, pragma_table_info(m.name) p
    where m.type = 'table' and p.pk = 1
  `.execute(t.db);
  for (const pk of pks.rows) leads.add(`${pk.table}.${pk.column}`);
  return leads;
}
