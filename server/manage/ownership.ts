// Who may change what: a lot (or gateway) exists and the principal manages
// it, or the write is refused with 404 or 403. Shared by the use cases.
import type { Knex } from 'knex';
import type { LotRepository } from '../catalog/repository.ts';
import { localizedError, notFound } from '../domain/errors.ts';
import type { LotMeta } from '../domain/lot.ts';
import { named, text } from '../domain/messages.ts';
import { mayManage, type Principal } from '../domain/principal.ts';

export const forbidden = (what: string) => localizedError('forbidden', text(`${what} belongs to another operator`, `${named(what).zh}属于其他运营方`));

/** The lot, if it exists and `principal` may manage it: else 404 or 403. */
export async function ownedLot(lots: LotRepository, principal: Principal, id: string, trx?: Knex): Promise<{ lot: LotMeta; ownerId: string | null }> {
  const current = await lots.getOwned(id, trx);
  if (!current) throw notFound(`lot "${id}"`);
  if (!mayManage(principal, current.ownerId)) throw forbidden(`lot "${id}"`);
  return current;
}
