// The SQL connection: SQLite in DATA_DIR by default, PostgreSQL with
// DATABASE_URL. Migrations run at start.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knex, { type Knex } from 'knex';
import type { DependencyHealth } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import { migrationSource } from '../../db/migrations/index.ts';

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Where knex's own warnings go (a lost connection, a failed acquire); without it, knex prints them to the console. */
  log?: Logger | undefined;
}

/** knex's warnings into the service's log, one line each, instead of the console. */
function knexLog(log: Logger | undefined): Knex.Config['log'] {
  if (!log) return undefined;
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  return {
    warn: (message: unknown) => log.warn({ err: text(message) }, 'SQL: knex warning'),
    error: (message: unknown) => log.error({ err: text(message) }, 'SQL: knex error'),
    deprecate: (method: string, alternative: string) => log.warn(`SQL: knex ${method} is deprecated; use ${alternative}`),
    debug: () => {},
  };
}

/** PostgreSQL SQLSTATEs that mean "not now" rather than "no": class 08 (connection), 53300 (too many connections), 57P01–57P03 (shutting down, crashed, starting up). */
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123])$/;
/** Node.js socket errors on the way to the server. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** pg and knex say it in words only: a connection lost under a query, a pool that could not hand one out. */
const UNAVAILABLE_MESSAGE = /Connection terminated|Connection ended unexpectedly|not queryable|Timeout acquiring a connection/i;

/**
 * Whether an SQL error means the database cannot be reached now (down,
 * restarting, refusing connections, its disk locked by another writer) —
 * which a caller should answer with "unavailable, try again" — rather than a
 * statement the database refused. A lost connection means the transaction
 * was rolled back: nothing of it was written.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e !== 'object') return false;
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLSTATE.test(code) || code === 'SQLITE_BUSY') return true;
    if (e.name === 'KnexTimeoutError') return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
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
      log: knexLog(options.log),
    });
  }
  mkdirSync(options.dataDir, { recursive: true });
  return knex({
    client: 'sqlite3',
    connection: { filename: resolve(options.dataDir, 'kongwei.sqlite') },
    useNullAsDefault: true,
    log: knexLog(options.log),
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
