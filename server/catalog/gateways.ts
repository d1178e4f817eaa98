// Gateways in SQL (tables `gateways` and `gateway_lots`): the one place their
// rows are read and written. Ingest reads which lots a gateway serves (they
// turn stale when it goes offline), the broker's credential cache reads the
// secrets' hashes, gateway administration (manage/gateway-admin.ts) writes.
import type { Knex } from 'knex';
import type { GatewayInfo } from '../domain/operator-api.ts';

export interface GatewayMeta {
  id: string;
  name: string | null;
  lotIds: string[];
}

/** What the broker needs to check a gateway: its id, secret hash and lots. */
export interface GatewayCredential {
  id: string;
  secretHash: string;
  lotIds: string[];
}

interface GatewayRow {
  id: string;
  name: string | null;
  owner_id: string | null;
  secret_hash: string | null;
  created_at: Date | string | number;
}

/** A gateway with its owner, for the ownership check before a write. */
export interface OwnedGateway {
  id: string;
  ownerId: string | null;
}

/** whereIn lists are cut into chunks this long (SQLite's limit on bound parameters). */
const CHUNK = 500;

export class GatewayRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<GatewayMeta[]> {
    const gateways = await this.db('gateways').select('id', 'name').orderBy('id');
    const lotsOf = await this.linksByGateway(this.db('gateway_lots'));
    return gateways.map(({ id, name }) => ({ id, name, lotIds: lotsOf.get(id) ?? [] }));
  }

  /** The lots assigned to one gateway (ingest: they turn stale when it goes offline). */
  async lotIdsOf(gatewayId: string, trx: Knex = this.db): Promise<string[]> {
    const rows = await trx('gateway_lots').where({ gateway_id: gatewayId }).select('lot_id').orderBy('lot_id');
    return rows.map((row: { lot_id: string }) => row.lot_id);
  }

  async get(gatewayId: string): Promise<GatewayInfo | undefined> {
    const row = await this.db<GatewayRow>('gateways').where({ id: gatewayId }).first();
    return row ? infoOf(row, await this.lotIdsOf(row.id)) : undefined;
  }

  async getOwned(gatewayId: string, trx: Knex = this.db): Promise<OwnedGateway | undefined> {
    const row = await trx<GatewayRow>('gateways').where({ id: gatewayId }).first('id', 'owner_id');
    return row ? { id: row.id, ownerId: row.owner_id } : undefined;
  }

  /** A new gateway serving one lot. */
  async insert(gateway: GatewayInfo, ownerId: string, secretHash: string, trx: Knex): Promise<void> {
    await trx('gateways').insert({ id: gateway.id, name: gateway.name, owner_id: ownerId, secret_hash: secretHash, created_at: gateway.createdAt, updated_at: gateway.createdAt });
    await trx('gateway_lots').insert(gateway.lotIds.map((lotId) => ({ gateway_id: gateway.id, lot_id: lotId })));
  }

  /** Lets a gateway serve one more lot; false when it already did. */
  async link(gatewayId: string, lotId: string, trx: Knex): Promise<boolean> {
    const linked = await trx('gateway_lots').where({ gateway_id: gatewayId, lot_id: lotId }).first();
    if (linked) return false;
    await trx('gateway_lots').insert({ gateway_id: gatewayId, lot_id: lotId });
    return true;
  }

  /** Deletes a gateway (its links go with it: ON DELETE CASCADE). */
  async delete(gatewayId: string, trx: Knex): Promise<void> {
    await trx('gateways').where({ id: gatewayId }).delete();
  }

  /** The gateways serving one lot, oldest first. */
  async ofLot(lotId: string): Promise<GatewayInfo[]> {
    const rows = await this.db<GatewayRow>('gateways')
      .join('gateway_lots', 'gateways.id', 'gateway_lots.gateway_id')
      .where('gateway_lots.lot_id', lotId)
      .select('gateways.*')
      .orderBy('gateways.created_at');
    return Promise.all(rows.map(async (row) => infoOf(row, await this.lotIdsOf(row.id))));
  }

  /** The gateways serving any of these lots, in a few queries whatever their number. */
  async forLots(lotIds: readonly string[]): Promise<GatewayInfo[]> {
    const ids = new Set<string>();
    for (let i = 0; i < lotIds.length; i += CHUNK) {
      const rows = await this.db('gateway_lots').whereIn('lot_id', lotIds.slice(i, i + CHUNK)).distinct('gateway_id');
      for (const { gateway_id } of rows as { gateway_id: string }[]) ids.add(gateway_id);
    }
    const gatewayIds = [...ids];
    const rows: GatewayRow[] = [];
    const lotsOf = new Map<string, string[]>();
    for (let i = 0; i < gatewayIds.length; i += CHUNK) {
      const chunk = gatewayIds.slice(i, i + CHUNK);
      rows.push(...(await this.db<GatewayRow>('gateways').whereIn('id', chunk)));
      for (const [id, lots] of await this.linksByGateway(this.db('gateway_lots').whereIn('gateway_id', chunk))) lotsOf.set(id, lots);
    }
    return rows
      .map((row) => infoOf(row, lotsOf.get(row.id) ?? []))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * Every gateway with a secret whose owner is not disabled: for the broker's
   * credential cache and the Mosquitto files. A disabled operator's gateways
   * are left out, so they are cut off with it.
   */
  async credentials(): Promise<GatewayCredential[]> {
    const rows: GatewayRow[] = await this.db('gateways')
      .leftJoin('operators', 'operators.id', 'gateways.owner_id')
      .whereNotNull('gateways.secret_hash')
      .whereNull('operators.disabled_at')
      .select('gateways.id', 'gateways.secret_hash')
      .orderBy('gateways.id');
    const lotsOf = await this.linksByGateway(this.db('gateway_lots'));
    return rows.map((row) => ({ id: row.id, secretHash: row.secret_hash!, lotIds: lotsOf.get(row.id) ?? [] }));
  }

  /** Lot ids per gateway, each list sorted. */
  private async linksByGateway(query: Knex.QueryBuilder): Promise<Map<string, string[]>> {
    const links = (await query.select('gateway_id', 'lot_id').orderBy(['gateway_id', 'lot_id'])) as { gateway_id: string; lot_id: string }[];
    const lotsOf = new Map<string, string[]>();
    for (const { gateway_id, lot_id } of links) (lotsOf.get(gateway_id) ?? lotsOf.set(gateway_id, []).get(gateway_id)!).push(lot_id);
    return lotsOf;
  }
}

function infoOf(row: GatewayRow, lotIds: string[]): GatewayInfo {
  return { id: row.id, name: row.name, lotIds, createdAt: new Date(row.created_at).toISOString() };
}

/** Every gateway with a secret (the Mosquitto files' CLI). */
export function loadGatewayCredentials(db: Knex): Promise<GatewayCredential[]> {
  return new GatewayRepository(db).credentials();
}
