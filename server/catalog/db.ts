// The SQL connection: SQLite in DATA_DIR by default, PostgreSQL with
// DATABASE_URL. Migrations run at start.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import type { DependencyHealth } from '../lifecycle.ts';
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

/** The PostgreSQL advisory lock instances take turns on to migrate (any fixed number: "kong" in ASCII). */
const MIGRATION_LOCK = 0x6b6f6e67;

/**
 * SQLite: whether a migration failed only because another process was
 * migrating the same file at that moment (knex's lock was taken, or both
 * created knex's own tables at once).
 */
function lostSqliteRace(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'MigrationLocked' || e.code === 'SQLITE_BUSY') return true;
  return e.code === 'SQLITE_ERROR' && /already exists/.test(e.message ?? '');
}

/**
 * Runs the migrations. Instances starting together on one new database take
 * turns: on PostgreSQL behind a session advisory lock (released by the server
 * if an instance dies while migrating, unlike knex's own lock row); on SQLite
 * the one that loses the race waits and tries again, and finds the work done.
 */
export async function migrate(db: Knex, { attempts = 40, waitMs = 250 } = {}): Promise<void> {
  if (db.client.config.client === 'pg') {
    const connection = await db.client.acquireConnection();
    try {
      await db.raw('select pg_advisory_lock(?)', [MIGRATION_LOCK]).connection(connection);
      try {
        await db.migrate.latest({ migrationSource });
      } finally {
        await db.raw('select pg_advisory_unlock(?)', [MIGRATION_LOCK]).connection(connection);
      }
    } finally {
      await db.client.releaseConnection(connection);
    }
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate.latest({ migrationSource });
      return;
    } catch (err) {
      if (!lostSqliteRace(err) || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, waitMs + Math.random() * waitMs));
    }
  }
}

export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}

/** The SQL database as a part of the service: migrated at start, closed at stop. */
export class SqlDatabase {
  constructor(
    readonly db: Knex,
    private readonly options: DatabaseOptions,
  ) {}

  start(): Promise<void> {
    return migrate(this.db);
  }

  stop(): Promise<void> {
    return this.db.destroy();
  }

  describe(): string {
    return describeDatabase(this.options);
  }

  health(): Promise<DependencyHealth> {
    const kind = this.options.databaseUrl ? 'postgresql' : 'sqlite';
    return pingDatabase(this.db).then(
      () => ({ ok: true, kind }),
      (err: Error) => ({ ok: false, kind, detail: err.message }),
    );
  }
}
