import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a
 * point lookup. This hands Kysely a database whose `prepare` returns cached statements
 * (bounded: queries with IN-lists of varying length make new SQL). Safe because Kysely runs
 * one query at a time on the connection and runs statements to completion (`all`/`run`).
 */
export function withStatementCache(db: BetterSqlite3Database, maxStatements = 256): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
