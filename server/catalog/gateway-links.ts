// Which lots each gateway serves, for ingest: a gateway's `offline` turns
// them stale. SQL is asked every time (an operator may have just assigned a
// lot, through any instance), but the last answer for each gateway is kept,
// and stands in while SQL cannot be reached: a status must not wait for the
// database — its PUBACK would hold up every message behind it on the same
// MQTT connection, and ingest would stop with SQL (DESIGN.md §3, Outage).
import type { Logger } from '../log.ts';
import { isDatabaseUnavailable } from './db.ts';
import type { GatewayRepository } from './gateways.ts';

export class GatewayLinks {
  private readonly lastKnown = new Map<string, string[]>();

  constructor(
    private readonly gateways: Pick<GatewayRepository, 'list' | 'lotIdsOf'>,
    private readonly log: Logger,
  ) {}

  /** Loads every gateway's lots, so each has an answer to fall back on from the start. */
  async start(): Promise<void> {
    for (const gateway of await this.gateways.list()) if (gateway.lotIds.length > 0) this.lastKnown.set(gateway.id, gateway.lotIds);
  }

  stop(): void {}

  /**
   * The lots assigned to a gateway: from SQL; while SQL is unreachable, the
   * last answer (none for a gateway first heard of during the outage).
   * Any other error is thrown.
   */
  async lotIdsOf(gatewayId: string): Promise<string[]> {
    try {
      const lotIds = await this.gateways.lotIdsOf(gatewayId);
      // Only gateways that serve lots are kept: a status for a made-up id costs nothing to remember.
      if (lotIds.length > 0) this.lastKnown.set(gatewayId, lotIds);
      else this.lastKnown.delete(gatewayId);
      return lotIds;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      const known = this.lastKnown.get(gatewayId);
      this.log.warn(
        { gateway: gatewayId, err: (err as Error).message, lots: known ?? [] },
        known ? "SQL unavailable: using the gateway's lots as last read" : 'SQL unavailable and this gateway has not been read yet: only the lots it was seen publishing for',
      );
      return known ?? [];
    }
  }
}
