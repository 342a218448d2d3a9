import type SQLite from 'better-sqlite3';

const MAX_STATEMENTS = 500;
const MAX_CACHEABLE_SQL_CHARS = 4000;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing was the largest single cost of
 * a webhook delivery (a CPU profile put it at a fifth of the time). This keeps the most recently
 * used statements (LRU); Kysely runs one query at a time on the connection, so sharing a prepared
 * statement is safe. Long one-off SQL (bulk inserts) is not cached.
 */
export function withStatementCache(sqlite: SQLite.Database): {
  close: () => void;
  prepare: (sql: string) => SQLite.Statement;
} {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (sql) => {
      const cached = cache.get(sql);
      if (cached) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (sql.length <= MAX_CACHEABLE_SQL_CHARS) {
        cache.set(sql, statement);
        if (cache.size > MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}
