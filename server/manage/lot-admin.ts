// Operators' changes to lots: checked, owned, audited, committed to SQL, then
// applied to the catalog's cache and the live store. Handlers call these and
// map the result to HTTP; the rules live here.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus } from '../bus.ts';
import type { AuditEntry, AuditRepository } from '../catalog/audit.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { isUniqueViolation, type LotRepository } from '../catalog/repository.ts';
import { bayKindMap, bayKindsDigest } from '../domain/bay-kinds.ts';
import { localizedError, notFound, validationError } from '../domain/errors.ts';
import { changesBetween, checkLotCreate, checkLotPatch, idCandidates, slugFromName } from '../domain/lot-input.ts';
import type { LotMeta } from '../domain/lot.ts';
import { text } from '../domain/messages.ts';
import { mayManage, type Principal } from '../domain/principal.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';
import { forbidden, ownedLot } from './ownership.ts';

export interface LotAdminOptions {
  db: Knex;
  lots: LotRepository;
  audit: AuditRepository;
  catalog: Catalog;
  store: LiveStore;
  bus: Bus;
  log: Logger;
  /** The service's clock (a capacity change's time in the history log). */
  clock?: () => number;
}

const randomSuffix = () => randomBytes(3).toString('hex');

const IS_TAKEN = text('is taken', '已被使用');
const idTaken = (id: string) => localizedError('conflict', text(`lot id "${id}" is taken`, `停车场编号“${id}”已被使用`), { id: [IS_TAKEN] });

/** How often a live capacity change is tried while the live store is away (about ten minutes in all). */
const CAPACITY_ATTEMPTS = 60;

export class LotAdmin {
  constructor(private readonly options: LotAdminOptions) {}

  private get lots(): LotRepository {
    return this.options.lots;
  }

  private get audit(): AuditRepository {
    return this.options.audit;
  }

  /** Creates a lot owned by `principal`. An id that is taken is a 409; a derived one gets a suffix instead. */
  async create(principal: Principal, input: unknown): Promise<LotMeta> {
    const checked = checkLotCreate(input);
    if (!checked.ok) throw validationError('lot', checked.fields);
    const { id: requestedId, ...fields } = checked.value;
    const candidates = requestedId ? [requestedId] : idCandidates(slugFromName(fields), randomSuffix);
    for (const id of candidates) {
      if (!requestedId && this.options.catalog.get(id)) continue;
      const lot: LotMeta = { id, ...fields };
      try {
        await this.options.db.transaction(async (trx) => {
          await this.lots.insert(lot, principal.id, trx);
          await this.audit.append({ lotId: id, ownerId: principal.id, actor: principal, action: 'lot.create', before: null, after: lot }, trx);
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (requestedId) throw idTaken(id);
        continue;
      }
      await this.publish({ kind: 'added', lot });
      this.options.log.info({ lotId: id, actor: principal.id }, 'lot created');
      return lot;
    }
    throw localizedError('conflict', text('no free id could be derived from the name; send an id', '无法根据名称生成未被占用的编号，请填写编号'), { id: [IS_TAKEN] });
  }

  async update(principal: Principal, id: string, patch: unknown): Promise<LotMeta> {
    const result = await this.options.db.transaction(async (trx) => {
      const current = await this.owned(principal, id, trx);
      const checked = checkLotPatch(current.lot, patch);
      if (!checked.ok) throw validationError('lot', checked.fields);
      const lot = checked.value;
      if (Object.keys(changesBetween(current.lot, lot)).length === 0) return { lot, previous: lot, unchanged: true };
      await this.lots.update(lot, trx);
      await this.audit.append({ lotId: id, ownerId: current.ownerId, actor: principal, action: 'lot.update', before: current.lot, after: lot }, trx);
      return { lot, previous: current.lot };
    });
    const { lot, previous } = result;
    if ('unchanged' in result) return lot; // nothing to write, record or push
    await this.publish({ kind: 'changed', lot, previous });
    this.options.log.info({ lotId: id, actor: principal.id }, 'lot changed');
    return lot;
  }

  /**
   * What follows a committed creation or change (here, or a bulk import's):
   * the live store first — a new lot's id cleared of state a deletion left
   * behind while the store was unreachable, a changed capacity re-clamping the
   * live count (announced on the store's feed) — then the catalog, which tells
   * every part on the bus, and so every open map.
   */
  async publish(change: { kind: 'added'; lot: LotMeta } | { kind: 'changed'; lot: LotMeta; previous: LotMeta }): Promise<void> {
    const { lot } = change;
    if (change.kind === 'added') {
      await this.options.store.deleteLot(lot.id).catch((err: Error) => this.options.log.warn({ lotId: lot.id, err: err.message }, 'could not clear old live state'));
    } else if (lot.capacity !== change.previous.capacity) {
      await this.setLiveCapacity(lot.id, lot.capacity);
    }
    if (bayKindsDigest(lot) !== (change.kind === 'added' ? '' : bayKindsDigest(change.previous))) await this.setLiveBayKinds(lot);
    this.options.catalog.apply(change);
  }

  /**
   * Gives the live store every lot's declared bays by kind (at start: a fresh
   * store, or one that missed a change). A declaration the store has already
   * changes nothing, so several instances starting do no harm.
   */
  async syncBayKinds(): Promise<void> {
    const at = (this.options.clock ?? Date.now)();
    const declaring = [...this.options.catalog.all()].filter((lot) => bayKindsDigest(lot) !== '');
    // Concurrently: the Redis store pipelines them.
    await Promise.all(declaring.map((lot) => this.options.store.setBayKinds(lot.id, bayKindMap(lot), bayKindsDigest(lot), at)));
  }

  /**
   * The lot's declared bays to the live store, which counts its tallies per
   * kind again; while the store is unreachable, tried again in the background
   * (until then the views show no per-kind counts for the lot: the store's
   * declared bays differ from the catalog's).
   */
  private async setLiveBayKinds(lot: LotMeta, attempt = 1): Promise<void> {
    const digest = bayKindsDigest(lot);
    const current = this.options.catalog.get(lot.id);
    if (attempt > 1 && current && current !== lot && bayKindsDigest(current) !== digest) return; // a later edit supersedes this one
    try {
      const state = await this.options.store.setBayKinds(lot.id, bayKindMap(lot), digest, (this.options.clock ?? Date.now)());
      if (state) this.options.bus.emit('lot.applied', [{ id: lot.id, state }]);
    } catch (err) {
      const last = attempt >= CAPACITY_ATTEMPTS;
      this.options.log.error(
        { lotId: lot.id, err: (err as Error).message, attempt },
        last ? 'bays by kind changed in the catalog but not in the live store; giving up' : 'could not give the live store the bays by kind yet; will try again',
      );
      if (!last) setTimeout(() => void this.setLiveBayKinds(lot, attempt + 1), Math.min(1000 * attempt, 10_000)).unref();
    }
  }

  /**
   * Sets the live capacity; while the live store is unreachable, tries again
   * in the background (the catalog already has the new capacity), for a while.
   */
  private async setLiveCapacity(id: string, capacity: number, attempt = 1): Promise<void> {
    // A later edit (or a deletion) supersedes a retry of this one.
    if (attempt > 1 && this.options.catalog.get(id)?.capacity !== capacity) return;
    try {
      const state = await this.options.store.setCapacity(id, capacity, (this.options.clock ?? Date.now)());
      if (state) this.options.bus.emit('lot.applied', [{ id, state }]);
    } catch (err) {
      const last = attempt >= CAPACITY_ATTEMPTS;
      this.options.log.error(
        { lotId: id, err: (err as Error).message, attempt },
        last ? 'capacity changed in the catalog but not in the live store; giving up' : 'could not set the live capacity yet; will try again',
      );
      if (!last) setTimeout(() => void this.setLiveCapacity(id, capacity, attempt + 1), Math.min(1000 * attempt, 10_000)).unref();
    }
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const lot = await this.options.db.transaction(async (trx) => {
      const current = await this.owned(principal, id, trx);
      await this.lots.delete(id, trx); // its gateway links go with it (ON DELETE CASCADE)
      await this.audit.append({ lotId: id, ownerId: current.ownerId, actor: principal, action: 'lot.delete', before: current.lot, after: null }, trx);
      return current.lot;
    });
    await this.options.store.deleteLot(id).catch((err: Error) => this.options.log.error({ lotId: id, err: err.message }, 'could not delete live state'));
    this.options.catalog.apply({ kind: 'removed', lot });
    this.options.log.info({ lotId: id, actor: principal.id }, 'lot deleted');
  }

  /** A lot's audit trail: for its owner or an admin; a deleted lot's for whoever owned it last. */
  async auditOf(principal: Principal, id: string): Promise<AuditEntry[]> {
    const current = await this.lots.getOwned(id);
    const ownerId = current ? current.ownerId : await this.audit.lastOwner(id);
    if (ownerId === undefined) throw notFound(`lot "${id}"`);
    if (!mayManage(principal, ownerId)) throw forbidden(`lot "${id}"`);
    return this.audit.list(id);
  }

  /** Ids of the lots a principal manages: its own, or every lot for an admin. */
  async managedIds(principal: Principal): Promise<string[]> {
    if (principal.role === 'admin') return [...this.options.catalog.all()].map((l) => l.id).sort();
    return this.lots.idsOwnedBy(principal.id);
  }

  private owned(principal: Principal, id: string, trx: Knex): Promise<{ lot: LotMeta; ownerId: string | null }> {
    return ownedLot(this.lots, principal, id, trx);
  }
}
