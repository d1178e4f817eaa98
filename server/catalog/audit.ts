// The audit trail of lot changes: who changed which lot, when, from what to
// what. Rows are written in the same transaction as the change itself, so a
// change without its record (or the reverse) cannot happen.
import type { Knex } from 'knex';
import type { Principal } from '../domain/principal.ts';
import { changesBetween } from '../domain/lot-input.ts';
import type { AuditEntry } from '../domain/operator-api.ts';

export type { AuditEntry };
export type AuditAction = AuditEntry['action'];

interface AuditRow {
  id: number | string;
  lot_id: string;
  owner_id: string | null;
  actor_id: string;
  actor_name: string;
  action: string;
  at: Date | string | number;
  before: string | null;
  after: string | null;
}

export interface AuditRecord {
  lotId: string;
  ownerId: string | null;
  actor: Principal;
  action: AuditAction;
  before: object | null;
  after: object | null;
}

const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as Record<string, unknown>));

export class AuditRepository {
  constructor(private readonly db: Knex) {}

  async append(record: AuditRecord, trx: Knex = this.db, now = new Date()): Promise<void> {
    await trx('lot_audit').insert({
      lot_id: record.lotId,
      owner_id: record.ownerId,
      actor_id: record.actor.id,
      actor_name: record.actor.name,
      action: record.action,
      at: now.toISOString(),
      before: record.before === null ? null : JSON.stringify(record.before),
      after: record.after === null ? null : JSON.stringify(record.after),
    });
  }

  /** A lot's trail, oldest first. */
  /**
   * The trail of the lot's latest life: from its last creation on. An id can
   * be reused after a deletion, by another operator; the earlier lot's trail
   * is not the new owner's to read.
   */
  async list(lotId: string): Promise<AuditEntry[]> {
    const all = await this.db<AuditRow>('lot_audit').where({ lot_id: lotId }).orderBy('id');
    const created = all.map((row) => row.action).lastIndexOf('lot.create');
    const rows = created > 0 ? all.slice(created) : all;
    return rows.map((row) => ({
      id: Number(row.id),
      lotId: row.lot_id,
      action: row.action as AuditAction,
      at: new Date(row.at).toISOString(),
      actor: { id: row.actor_id, name: row.actor_name },
      changes: changesBetween(parse(row.before), parse(row.after)),
    }));
  }

  /** Who owned the lot at its last recorded change (for the trail of a deleted lot). */
  async lastOwner(lotId: string): Promise<string | null | undefined> {
    const row = await this.db<AuditRow>('lot_audit').where({ lot_id: lotId }).orderBy('id', 'desc').first();
    return row ? row.owner_id : undefined;
  }
}
