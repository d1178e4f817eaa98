// Bulk lots, the write side (DESIGN.md §4, "Bulk lots"): a file of lots
// checked row by row by the rules of POST and PATCH, then written all or
// nothing in one transaction, audited like single writes; afterwards the new
// and changed lots reach the live store, the catalog and so every open map,
// as an operator's single edit does (LotAdmin.publish). A dry run checks and
// reports the same and writes nothing.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditRepository } from '../catalog/audit.ts';
import { isUniqueViolation, type LotRepository } from '../catalog/repository.ts';
import { localizedError } from '../domain/errors.ts';
import { planImport, type OwnedLot, type PlannedRow } from '../domain/import-plan.ts';
import { importProblemsError, type ImportFormat, type LotImportAnswer } from '../domain/lot-import.ts';
import { text } from '../domain/messages.ts';
import type { Principal } from '../domain/principal.ts';
import type { Logger } from '../log.ts';
import type { LotAdmin } from './lot-admin.ts';
import { rowsOf } from './lot-files.ts';

export interface LotImportOptions {
  db: Knex;
  lots: LotRepository;
  audit: AuditRepository;
  admin: LotAdmin;
  log: Logger;
}

export interface ImportRun {
  dryRun: boolean;
  /** Who owns the lots the import creates (default: the importer; null: nobody, as the seeded lots). */
  newOwnerId?: string | null;
}

const randomSuffix = () => randomBytes(3).toString('hex');

export class LotImport {
  constructor(private readonly options: LotImportOptions) {}

  /** Imports a body (CSV text, or a parsed JSON value) of the given format. Refused as a whole, naming every bad row. */
  async run(principal: Principal, format: ImportFormat, body: unknown, run: ImportRun): Promise<LotImportAnswer> {
    const parsed = rowsOf(format, body);
    if (!parsed.ok) throw importProblemsError(parsed.problems);
    const { db, lots, audit, log } = this.options;
    const newOwnerId = run.newOwnerId === undefined ? principal.id : run.newOwnerId;
    let planned: PlannedRow[];
    try {
      planned = await db.transaction(async (trx) => {
        const existing = new Map<string, OwnedLot>((await lots.listOwned(trx)).map((owned) => [owned.lot.id, owned]));
        const plan = planImport(parsed.rows, existing, principal, newOwnerId, randomSuffix);
        if (!plan.ok) throw importProblemsError(plan.problems);
        if (run.dryRun) return plan.rows;
        const now = new Date();
        for (const row of plan.rows) {
          if (row.action === 'created') {
            await lots.insert(row.lot, row.ownerId, trx, now);
            await audit.append({ lotId: row.lot.id, ownerId: row.ownerId, actor: principal, action: 'lot.create', before: null, after: row.lot }, trx, now);
          } else if (row.action === 'updated') {
            await lots.update(row.lot, trx, now);
            await audit.append({ lotId: row.lot.id, ownerId: row.ownerId, actor: principal, action: 'lot.update', before: row.previous, after: row.lot }, trx, now);
          }
        }
        return plan.rows;
      });
    } catch (err) {
      // Another write created one of these ids between the read and the insert (SQLite serialises, PostgreSQL may not).
      if (isUniqueViolation(err)) throw localizedError('conflict', text('a lot of this import was created meanwhile by someone else; nothing was stored: import again', '导入期间有人新建了同编号的停车场；未保存任何内容：请重新导入'));
      throw err;
    }

    if (!run.dryRun) {
      for (const row of planned) {
        if (row.action === 'created') await this.options.admin.publish({ kind: 'added', lot: row.lot });
        else if (row.action === 'updated') await this.options.admin.publish({ kind: 'changed', lot: row.lot, previous: row.previous! });
      }
    }
    const count = (action: PlannedRow['action']) => planned.filter((row) => row.action === action).length;
    const answer: LotImportAnswer = {
      dryRun: run.dryRun,
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      lots: planned.map((row) => ({ at: row.at, id: row.lot.id, action: row.action, changes: row.changes })),
    };
    log.info({ actor: principal.id, dryRun: run.dryRun, created: answer.created, updated: answer.updated, unchanged: answer.unchanged }, 'lots imported');
    return answer;
  }
}
