// Gateways in SQL: which lots each gateway serves. The read side, shared by
// ingest (a gateway going offline turns its lots stale) and gateway auth.
import type { Knex } from 'knex';

export interface GatewayMeta {
  id: string;
  name: string | null;
  lotIds: string[];
}

export class GatewayRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<GatewayMeta[]> {
    const gateways = await this.db('gateways').select('id', 'name').orderBy('id');
    const links = await this.db('gateway_lots').select('gateway_id', 'lot_id').orderBy(['gateway_id', 'lot_id']);
    const lotsOf = new Map<string, string[]>();
    for (const { gateway_id, lot_id } of links) (lotsOf.get(gateway_id) ?? lotsOf.set(gateway_id, []).get(gateway_id)!).push(lot_id);
    return gateways.map(({ id, name }) => ({ id, name, lotIds: lotsOf.get(id) ?? [] }));
  }

  /** The lots assigned to one gateway (ingest: they turn stale when it goes offline). */
  async lotIdsOf(gatewayId: string): Promise<string[]> {
    const rows = await this.db('gateway_lots').where({ gateway_id: gatewayId }).select('lot_id').orderBy('lot_id');
    return rows.map((row: { lot_id: string }) => row.lot_id);
  }
}
