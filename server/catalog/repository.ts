// Lots in SQL. Rows are mapped to and from the domain's LotMeta here and only
// here: SQLite and PostgreSQL disagree on types (PostgreSQL returns some
// numbers as strings, SQLite returns dates as numbers or strings).
import type { Knex } from 'knex';
import type { LotMeta, LotStatus, LotType } from '../domain/lot.ts';

interface LotRow {
  id: string;
  name: string;
  name_en: string | null;
  address: string | null;
  lat: number | string;
  lon: number | string;
  type: string;
  status: string;
  capacity: number | string;
  stale_after_s: number | string | null;
  opening_hours: string | null;
  capacity_disabled: number | string | null;
  capacity_charging: number | string | null;
  capacity_family: number | string | null;
  capacity_women: number | string | null;
  bays_charging: string | null;
  bays_disabled: string | null;
  bays_family: string | null;
  bays_women: string | null;
  fee: boolean | number | null;
  price_info: string | null;
  price_info_en: string | null;
  max_height_cm: number | string | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
}

const toNumber = (v: number | string) => (typeof v === 'number' ? v : Number(v));
const toNumberOrNull = (v: number | string | null) => (v === null ? null : toNumber(v));
/** SQLite stores booleans as 0/1. */
const toBooleanOrNull = (v: boolean | number | null) => (v === null ? null : Boolean(v));

function fromRow(row: LotRow): LotMeta {
  return {
    id: row.id,
    name: row.name,
    nameEn: row.name_en,
    address: row.address,
    lat: toNumber(row.lat),
    lon: toNumber(row.lon),
    type: row.type as LotType,
    status: row.status as LotStatus,
    capacity: toNumber(row.capacity),
    staleAfterS: toNumberOrNull(row.stale_after_s),
    openingHours: row.opening_hours,
    capacityDisabled: toNumberOrNull(row.capacity_disabled),
    capacityCharging: toNumberOrNull(row.capacity_charging),
    capacityFamily: toNumberOrNull(row.capacity_family),
    capacityWomen: toNumberOrNull(row.capacity_women),
    baysCharging: row.bays_charging ?? null,
    baysDisabled: row.bays_disabled ?? null,
    baysFamily: row.bays_family ?? null,
    baysWomen: row.bays_women ?? null,
    fee: toBooleanOrNull(row.fee),
    priceInfo: row.price_info,
    priceInfoEn: row.price_info_en,
    maxHeightCm: toNumberOrNull(row.max_height_cm),
  };
}

function toRow(lot: LotMeta): Omit<LotRow, 'created_at' | 'updated_at'> {
  return {
    id: lot.id,
    name: lot.name,
    name_en: lot.nameEn,
    address: lot.address,
    lat: lot.lat,
    lon: lot.lon,
    type: lot.type,
    status: lot.status,
    capacity: lot.capacity,
    stale_after_s: lot.staleAfterS,
    opening_hours: lot.openingHours,
    capacity_disabled: lot.capacityDisabled,
    capacity_charging: lot.capacityCharging,
    capacity_family: lot.capacityFamily,
    capacity_women: lot.capacityWomen,
    bays_charging: lot.baysCharging,
    bays_disabled: lot.baysDisabled,
    bays_family: lot.baysFamily,
    bays_women: lot.baysWomen,
    fee: lot.fee,
    price_info: lot.priceInfo,
    price_info_en: lot.priceInfoEn,
    max_height_cm: lot.maxHeightCm,
  };
}

export class LotRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<LotMeta[]> {
    const rows = await this.db<LotRow>('lots').select('*').orderBy('id');
    return rows.map(fromRow);
  }

  async get(id: string): Promise<LotMeta | undefined> {
    const row = await this.db<LotRow>('lots').where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  async count(): Promise<number> {
    const [row] = await this.db('lots').count<{ n: number | string }[]>({ n: '*' });
    return row ? toNumber(row.n) : 0;
  }

  /** Inserts a new lot owned by `ownerId`; a taken id fails with a unique violation (see isUniqueViolation). */
  async insert(lot: LotMeta, ownerId: string | null, trx: Knex = this.db, now = new Date()): Promise<void> {
    const stamp = now.toISOString();
    await trx('lots').insert({ ...toRow(lot), owner_id: ownerId, created_at: stamp, updated_at: stamp });
  }

  async update(lot: LotMeta, trx: Knex = this.db, now = new Date()): Promise<void> {
    await trx('lots').where({ id: lot.id }).update({ ...toRow(lot), updated_at: now.toISOString() });
  }

  async delete(id: string, trx: Knex = this.db): Promise<void> {
    await trx('lots').where({ id }).delete();
  }

  /** A lot with its owner, read inside a transaction before it is changed. */
  /**
   * A lot and its owner. Inside a transaction on PostgreSQL the row is locked
   * (FOR UPDATE) until it ends, so two edits of one lot take turns instead of
   * the second overwriting the first; SQLite's one connection already serialises them.
   */
  async getOwned(id: string, trx: Knex = this.db): Promise<{ lot: LotMeta; ownerId: string | null } | undefined> {
    let query = trx<LotRow & { owner_id: string | null }>('lots').where({ id });
    if (trx !== this.db && this.db.client.config.client === 'pg') query = query.forUpdate();
    const row = await query.first();
    return row ? { lot: fromRow(row), ownerId: row.owner_id } : undefined;
  }

  /**
   * Every lot with its owner, for a bulk import. Inside a transaction on
   * PostgreSQL the rows are locked until it ends (FOR UPDATE), as getOwned does
   * for one lot: an edit meanwhile waits for the import instead of being overwritten.
   */
  async listOwned(trx: Knex = this.db): Promise<{ lot: LotMeta; ownerId: string | null }[]> {
    let query = trx<LotRow & { owner_id: string | null }>('lots').select('*').orderBy('id');
    if (trx !== this.db && this.db.client.config.client === 'pg') query = query.forUpdate();
    const rows = await query;
    return rows.map((row) => ({ lot: fromRow(row), ownerId: row.owner_id }));
  }

  /** Every lot's owner (null: none, as the seeded lots), by lot id. */
  async owners(): Promise<Map<string, string | null>> {
    const rows = await this.db('lots').select('id', 'owner_id');
    return new Map(rows.map((row: { id: string; owner_id: string | null }) => [row.id, row.owner_id]));
  }

  async idsOwnedBy(ownerId: string): Promise<string[]> {
    const rows = await this.db('lots').where({ owner_id: ownerId }).select('id').orderBy('id');
    return rows.map((r: { id: string }) => r.id);
  }

  /**
   * Inserts lots that are not there yet (two instances seeding one database
   * at once must not fail), in one transaction, in chunks small enough for
   * SQLite's limit on bound variables.
   */
  async insertMissing(lots: readonly LotMeta[], now = new Date()): Promise<void> {
    const stamp = now.toISOString();
    const rows = lots.map((lot) => ({ ...toRow(lot), created_at: stamp, updated_at: stamp }));
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 50) {
        await trx('lots').insert(rows.slice(i, i + 50)).onConflict('id').ignore();
      }
    });
  }
}

/** Whether a write failed on a unique constraint (a taken id), on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === '23505' || (e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/i.test(e.message ?? ''));
}
