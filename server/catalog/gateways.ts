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
}
