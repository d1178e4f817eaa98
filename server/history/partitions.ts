// PostgreSQL keeps the history tables partitioned by month of bucket start
// (DESIGN.md §7, "Storage"): a query for one lot and a week reads one or two
// partitions by the primary key, and retention drops a whole month's table
// instead of deleting hundreds of millions of rows. SQLite has one table.
// Partitions are made before rows land in them: ahead of time by the
// maintenance job, and by the writer for a month it has not seen (a backlog,
// an import).
import type { Knex } from 'knex';

export const HISTORY_TABLES = ['history_5m', 'history_1h'] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

export const isPostgres = (db: Knex) => db.client.config.client === 'pg';

/** The UTC month [start, end) holding `ms`. */
export function monthOf(ms: number): { start: number; end: number; name: string } {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const name = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  return { start, end, name };
}

/** The partitions of `table` (PostgreSQL): name and month start, oldest first. */
export async function listPartitions(db: Knex, table: HistoryTable): Promise<{ name: string; start: number }[]> {
  const rows = await db.raw<{ rows: { name: string }[] }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ?`,
    [table],
  );
  return rows.rows
    .map(({ name }) => {
      const m = /_(\d{4})(\d{2})$/.exec(name);
      return m ? { name, start: Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) } : undefined;
    })
    .filter((p): p is { name: string; start: number } => p !== undefined)
    .sort((a, b) => a.start - b.start);
}

/** Makes the month partitions of `table` covering [from, to] (PostgreSQL; nothing on SQLite). */
export class Partitions {
  private readonly known = new Set<string>();

  constructor(private readonly db: Knex) {}

  async ensure(table: HistoryTable, from: number, to: number = from): Promise<void> {
    if (!isPostgres(this.db)) return;
    for (let at = monthOf(from).start; at <= to; at = monthOf(at).end) {
      const month = monthOf(at);
      const name = `${table}_${month.name}`;
      if (this.known.has(name)) continue;
      try {
        await this.db.raw(`CREATE TABLE IF NOT EXISTS ?? PARTITION OF ?? FOR VALUES FROM (${month.start}) TO (${month.end})`, [name, table]);
      } catch (err) {
        // Another instance made it at the same moment: fine if it is there now.
        const exists = await this.db.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_class WHERE relname = ?', [name]);
        if (!exists.rows.length) throw err;
      }
      this.known.add(name);
    }
  }

  forget(name: string): void {
    this.known.delete(name);
  }
}
