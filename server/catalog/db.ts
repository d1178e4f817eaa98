// The SQL connection: SQLite in DATA_DIR by default, PostgreSQL with
// DATABASE_URL. Migrations run at start.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import { migrationSource } from '../../db/migrations/index.ts';

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
}

export function describeDatabase(options: DatabaseOptions): string {
  return options.databaseUrl ? 'postgresql' : `sqlite (${resolve(options.dataDir, 'kongwei.sqlite')})`;
}

export function createDatabase(options: DatabaseOptions): Knex {
  if (options.databaseUrl) {
    return knex({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  mkdirSync(options.dataDir, { recursive: true });
  return knex({
    client: 'sqlite3',
    connection: { filename: resolve(options.dataDir, 'kongwei.sqlite') },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { run(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        const pragmas = ['PRAGMA journal_mode = WAL', 'PRAGMA busy_timeout = 5000', 'PRAGMA foreign_keys = ON', 'PRAGMA synchronous = NORMAL'];
        const next = (i: number): void => {
          if (i === pragmas.length) return done(null, conn);
          conn.run(pragmas[i]!, (err) => (err ? done(err, conn) : next(i + 1)));
        };
        next(0);
      },
    },
  });
}

export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}
