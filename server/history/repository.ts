// History in SQL (DESIGN.md §7, "Storage"): the buckets, the recorder's
// state per lot, and the hours whose roll-up is due. Writes come in batches —
// one transaction for many lots' buckets and states, never a row per event.
import type { Knex } from 'knex';
import type { Bucket, RecorderState } from '../domain/history.ts';
import { addInto, BUCKET_MS } from '../domain/history.ts';
import { isPostgres, listPartitions, monthOf, Partitions, type HistoryTable } from './partitions.ts';

const HOUR = 3_600_000;

interface BucketRow {
  lot_id: string;
  start: number | string;
  known_ms: number | string;
  occ_ms: number | string;
  cap_ms: number | string;
  occ_min: number;
  occ_max: number;
  capacity: number;
}

/** Rows in one INSERT: 8 columns × 500 stays far below SQLite's and PostgreSQL's limits on parameters. */
const CHUNK = 500;

export const bucketOf = (row: BucketRow): Bucket => ({
  start: Number(row.start),
  knownMs: Number(row.known_ms),
  occMs: Number(row.occ_ms),
  capMs: Number(row.cap_ms),
  min: Number(row.occ_min),
  max: Number(row.occ_max),
  capacity: Number(row.capacity),
});

const rowOf = (lotId: string, b: Bucket): BucketRow => ({
  lot_id: lotId, start: b.start, known_ms: b.knownMs, occ_ms: b.occMs, cap_ms: b.capMs, occ_min: b.min, occ_max: b.max, capacity: b.capacity,
});

/** One lot's fold, to be saved: its new state, and the buckets to write whole. */
export interface FoldWrite {
  lotId: string;
  state: RecorderState;
  /** The version read with the old state; null when the lot had none. */
  version: number | null;
  buckets: Bucket[];
}

/** States updated in one statement: 3 parameters each, within SQLite's 32,766 and PostgreSQL's 65,535. */
const STATE_CHUNK = 1000;

/** Throws for the first fold whose lot is not among those written. */
function raceIfMissing(folds: readonly FoldWrite[], written: readonly { lot_id: string }[]): void {
  if (written.length === folds.length) return;
  const ids = new Set(written.map((row) => row.lot_id));
  throw new RecorderRaceError(folds.find((fold) => !ids.has(fold.lotId))?.lotId ?? folds[0]!.lotId);
}

/** A recorder state was changed by someone else since it was read: the batch is rolled back, to be folded again. */
export class RecorderRaceError extends Error {
  constructor(lotId: string) {
    super(`history: the recorder state of lot ${lotId} changed under this write`);
    this.name = 'RecorderRaceError';
  }
}

export class HistoryRepository {
  readonly partitions: Partitions;

  constructor(private readonly db: Knex) {
    this.partitions = new Partitions(db);
  }

  async loadStates(lotIds: readonly string[]): Promise<Map<string, { state: RecorderState; version: number }>> {
    const found = new Map<string, { state: RecorderState; version: number }>();
    for (let i = 0; i < lotIds.length; i += CHUNK) {
      const rows = await this.db('history_recorder').whereIn('lot_id', lotIds.slice(i, i + CHUNK)).select('lot_id', 'state', 'version');
      for (const row of rows as { lot_id: string; state: string; version: number }[]) found.set(row.lot_id, { state: JSON.parse(row.state) as RecorderState, version: Number(row.version) });
    }
    return found;
  }

  /**
   * Saves folds in one transaction: their buckets (upserted whole), the
   * hours to roll up again, and each state — only over the version read
   * (else RecorderRaceError, and nothing of the batch is written).
   */
  async saveFolds(folds: readonly FoldWrite[], hourOf: (ms: number) => number, markedAt: number): Promise<void> {
    const rows = folds.flatMap((fold) => fold.buckets.map((b) => rowOf(fold.lotId, b)));
    if (rows.length) {
      const starts = rows.map((r) => Number(r.start));
      await this.partitions.ensure('history_5m', Math.min(...starts), Math.max(...starts));
    }
    const dirty = new Map<string, { lot_id: string; hour: number; marked_at: number }>();
    for (const row of rows) {
      const hour = hourOf(Number(row.start));
      dirty.set(`${row.lot_id}|${hour}`, { lot_id: row.lot_id, hour, marked_at: markedAt });
    }
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx('history_5m').insert(rows.slice(i, i + CHUNK)).onConflict(['lot_id', 'start']).merge();
      }
      const marks = [...dirty.values()];
      for (let i = 0; i < marks.length; i += CHUNK) {
        await trx('history_dirty').insert(marks.slice(i, i + CHUNK)).onConflict(['lot_id', 'hour']).merge(['marked_at']);
      }
      // The states: a statement per few hundred lots, not per lot (a round of the recorder writes hundreds).
      const fresh = folds.filter((fold) => fold.version === null);
      const known = folds.filter((fold) => fold.version !== null);
      for (let i = 0; i < fresh.length; i += CHUNK) {
        const part = fresh.slice(i, i + CHUNK);
        const inserted = await trx('history_recorder').insert(part.map((fold) => ({ lot_id: fold.lotId, state: JSON.stringify(fold.state), version: 1 })))
          .onConflict('lot_id').ignore().returning('lot_id') as { lot_id: string }[];
        raceIfMissing(part, inserted);
      }
      for (let i = 0; i < known.length; i += STATE_CHUNK) {
        const part = known.slice(i, i + STATE_CHUNK);
        // Only over the version read: a lot written by someone else since is missing from what comes back.
        const updated = await trx.raw(
          // (VALUES names its columns column1… in both databases; SQLite takes no column list after the alias.)
          `UPDATE history_recorder SET state = v.column2, version = history_recorder.version + 1
           FROM (VALUES ${part.map(() => '(?, ?, ?)').join(', ')}) AS v
           WHERE history_recorder.lot_id = v.column1 AND history_recorder.version = ${isPostgres(this.db) ? 'v.column3::int' : 'v.column3'}
           RETURNING lot_id`,
          part.flatMap((fold) => [fold.lotId, JSON.stringify(fold.state), fold.version]),
        );
        raceIfMissing(part, (isPostgres(this.db) ? (updated as { rows: { lot_id: string }[] }).rows : updated) as { lot_id: string }[]);
      }
    });
  }

  /**
   * Imported buckets: written only where the lot has no bucket yet (what was
   * recorded, or imported before, stays as it is), their hours marked for
   * the roll-up. Returns how many were written.
   */
  async writeImported(lotId: string, buckets: readonly Bucket[], hourOf: (ms: number) => number, markedAt: number, initial: RecorderState): Promise<number> {
    if (!buckets.length) return 0;
    const starts = buckets.map((b) => b.start);
    await this.partitions.ensure('history_5m', Math.min(...starts), Math.max(...starts));
    let written = 0;
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < buckets.length; i += CHUNK) {
        const rows = buckets.slice(i, i + CHUNK).map((b) => rowOf(lotId, b));
        written += (await trx('history_5m').insert(rows).onConflict(['lot_id', 'start']).ignore().returning('start')).length;
      }
      // The lot has history now: a recorder state (none recorded yet) says so to those who look for lots with history.
      await trx('history_recorder').insert({ lot_id: lotId, state: JSON.stringify(initial), version: 1 }).onConflict('lot_id').ignore();
      const hours = [...new Set(starts.map(hourOf))].map((hour) => ({ lot_id: lotId, hour, marked_at: markedAt }));
      for (let i = 0; i < hours.length; i += CHUNK) await trx('history_dirty').insert(hours.slice(i, i + CHUNK)).onConflict(['lot_id', 'hour']).merge(['marked_at']);
    });
    return written;
  }

  /** One lot's buckets of `table` starting in [from, to), by start. */
  async buckets(lotId: string, from: number, to: number, table: HistoryTable = 'history_5m'): Promise<Bucket[]> {
    const v = await this.packed(table, ['start', 'known_ms', 'occ_ms', 'cap_ms', 'occ_min', 'occ_max', 'capacity'], lotId, from, to);
    const buckets: Bucket[] = [];
    for (let i = 0; i < v.length; i += 7) {
      buckets.push({ start: v[i]!, knownMs: v[i + 1]!, occMs: v[i + 2]!, capMs: v[i + 3]!, min: v[i + 4]!, max: v[i + 5]!, capacity: v[i + 6]! });
    }
    // SQLite's group_concat keeps no order.
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i - 1]!.start > buckets[i]!.start) return buckets.sort((a, b) => a.start - b.start);
    }
    return buckets;
  }

  /**
   * One lot's mean occupancy per bucket of `table` with known time starting
   * in [from, to) — what a forecast reads: `slots` the 5-minute buckets since
   * `origin` (a bucket start), in no order, `means` each one's occ_ms ÷
   * known_ms after dividing both into `shares` equal shares (an hour's
   * twelve 5-minute ones; 1 for none) — the same double as that arithmetic in
   * JavaScript, computed by the database (IEEE division on both sides).
   * PostgreSQL sends them as bytes (int4 and float8 per bucket): no text to
   * decode.
   */
  async means(lotId: string, from: number, to: number, table: HistoryTable, origin: number, shares = 1): Promise<{ slots: Int32Array; means: Float64Array }> {
    if (!isPostgres(this.db)) {
      const v = await this.packed(table, ['start', 'known_ms', 'occ_ms'], lotId, from, to, 'known_ms > 0');
      const slots: number[] = [];
      const means: number[] = [];
      for (let k = 0; k < v.length; k += 3) {
        const slot = (v[k]! - origin) / BUCKET_MS;
        if (!Number.isInteger(slot)) continue;
        slots.push(slot);
        means.push(v[k + 2]! / shares / (v[k + 1]! / shares));
      }
      return { slots: Int32Array.from(slots), means: Float64Array.from(means) };
    }
    const result = await this.db(table)
      .where('lot_id', lotId).andWhere('start', '>=', from).andWhere('start', '<', to).andWhere('known_ms', '>', 0)
      .whereRaw('(start - ?) % ? = 0', [origin, BUCKET_MS])
      .select(this.db.raw(
        `string_agg(int4send(((start - ?) / ?)::int4) || float8send((occ_ms::float8 / ?) / (known_ms::float8 / ?)), '') AS packed`,
        [origin, BUCKET_MS, shares, shares],
      ))
      .first() as { packed: Buffer | null } | undefined;
    const bytes = result?.packed ?? Buffer.alloc(0);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.byteLength / 12;
    const slots = new Int32Array(n);
    const means = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      slots[i] = view.getInt32(i * 12);
      means[i] = view.getFloat64(i * 12 + 4);
    }
    return { slots, means };
  }

  /**
   * Columns of one lot's rows in [from, to) as one text made by the database
   * (`a:b:c,a:b:c…`), decoded here into a flat array: decoding thousands of
   * rows one by one costs many times what the database takes to find them
   * (the query reads the partitions' primary key, pruned to the range).
   */
  private async packed(table: HistoryTable, columns: readonly string[], lotId: string, from: number, to: number, where?: string): Promise<Float64Array> {
    const row = columns.map((c) => `CAST(${c} AS TEXT)`).join(` || ':' || `);
    const aggregate = isPostgres(this.db) ? `string_agg(${row}, ',')` : `group_concat(${row}, ',')`;
    const result = await this.db(table)
      .where('lot_id', lotId).andWhere('start', '>=', from).andWhere('start', '<', to)
      .modify((q) => (where ? q.whereRaw(where) : q))
      .select(this.db.raw(`${aggregate} AS packed`))
      .first() as { packed: string | null } | undefined;
    return unpack(result?.packed ?? '', columns.length);
  }

  /** These lots' buckets of `table` starting in [from, to), by lot, each by start. */
  async bucketsOfLots(lotIds: readonly string[], from: number, to: number, table: HistoryTable): Promise<Map<string, Bucket[]>> {
    const found = new Map<string, Bucket[]>();
    for (let i = 0; i < lotIds.length; i += CHUNK) {
      const rows = await this.db(table).whereIn('lot_id', lotIds.slice(i, i + CHUNK)).andWhere('start', '>=', from).andWhere('start', '<', to).orderBy(['lot_id', 'start']);
      for (const row of rows as BucketRow[]) (found.get(row.lot_id) ?? found.set(row.lot_id, []).get(row.lot_id)!).push(bucketOf(row));
    }
    return found;
  }

  /**
   * Rolls 5-minute buckets up into hourly ones for the hours marked dirty
   * that ended before `dueBefore` (at most `limit` of them): each hour summed
   * afresh from its 5-minute buckets and upserted, its mark cleared unless it
   * was marked again meanwhile. Returns how many hours were rolled up.
   */
  async rollUp(dueBefore: number, limit: number, markedBefore: number): Promise<number> {
    const marks = (await this.db('history_dirty').where('hour', '<', dueBefore - HOUR).orderBy('hour').limit(limit)) as { lot_id: string; hour: number | string }[];
    if (marks.length === 0) return 0;
    const byLot = new Map<string, number[]>();
    for (const mark of marks) (byLot.get(mark.lot_id) ?? byLot.set(mark.lot_id, []).get(mark.lot_id)!).push(Number(mark.hour));
    const hourly: BucketRow[] = [];
    for (const [lotId, hours] of byLot) {
      const fine = await this.buckets(lotId, Math.min(...hours), Math.max(...hours) + HOUR);
      for (const hour of hours) {
        const inHour = fine.filter((b) => b.start >= hour && b.start < hour + HOUR);
        if (!inHour.length) continue;
        const sum = inHour.reduce((into, b) => addInto(into, b), { ...inHour[0]!, knownMs: 0, occMs: 0, capMs: 0, start: hour });
        hourly.push(rowOf(lotId, sum));
      }
    }
    if (hourly.length) {
      const starts = hourly.map((r) => Number(r.start));
      await this.partitions.ensure('history_1h', Math.min(...starts), Math.max(...starts));
    }
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < hourly.length; i += CHUNK) await trx('history_1h').insert(hourly.slice(i, i + CHUNK)).onConflict(['lot_id', 'start']).merge();
      for (const mark of marks) {
        await trx('history_dirty').where({ lot_id: mark.lot_id, hour: mark.hour }).andWhere('marked_at', '<=', markedBefore).delete();
      }
    });
    return marks.length;
  }

  /**
   * Deletes the buckets of `table` that start before `cutoff` — on PostgreSQL
   * a month wholly before it by dropping its partition. For the 5-minute
   * table, nothing of an hour still waiting for its roll-up goes.
   */
  async deleteBefore(table: HistoryTable, cutoff: number): Promise<void> {
    let keepFrom = cutoff;
    if (table === 'history_5m') {
      const waiting = (await this.db('history_dirty').min({ hour: 'hour' }).first()) as { hour: number | string | null } | undefined;
      if (waiting?.hour !== null && waiting?.hour !== undefined) keepFrom = Math.min(cutoff, Number(waiting.hour));
    }
    if (isPostgres(this.db)) {
      for (const partition of await listPartitions(this.db, table)) {
        if (monthOf(partition.start).end > keepFrom) continue;
        await this.db.schema.dropTableIfExists(partition.name);
        this.partitions.forget(partition.name);
      }
    }
    await this.db(table).where('start', '<', keepFrom).delete();
  }

  /** The lots the recorder has a state for (they have history). */
  async recordedLotIds(): Promise<string[]> {
    return ((await this.db('history_recorder').select('lot_id').orderBy('lot_id')) as { lot_id: string }[]).map((r) => r.lot_id);
  }

  /** The recorder states of these lots (their provisional tail, for readers). */
  async states(lotIds: readonly string[]): Promise<Map<string, RecorderState>> {
    const found = new Map<string, RecorderState>();
    for (const [id, { state }] of await this.loadStates(lotIds)) found.set(id, state);
    return found;
  }

  get knex(): Knex {
    return this.db;
  }
}

/**
 * Numbers separated by ':' and ',' (integers decoded digit by digit, anything
 * else by Number), `fields` per row, into one flat array.
 */
export function unpack(text: string, fields: number): Float64Array {
  if (!text) return new Float64Array(0);
  let rows = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) rows++;
  const out = new Float64Array(rows * fields);
  let k = 0;
  let start = 0;
  let value = 0;
  let plain = true;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
    } else if (c === 44 || c === 58) {
      out[k++] = plain && i > start && value <= Number.MAX_SAFE_INTEGER ? value : Number(text.slice(start, i));
      start = i + 1;
      value = 0;
      plain = true;
    } else plain = false;
  }
  if (k !== out.length) throw new Error(`history: a packed row with other than ${fields} fields`);
  return out;
}

export type { BucketRow };
