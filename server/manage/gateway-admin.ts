// Gateway credentials, the write side: an operator creates a gateway for a
// lot it manages and gets its secret once (stored hashed, in Mosquitto's
// format: auth/secrets.ts), may give it more of its lots, or revoke it. Every
// change is audited in the same transaction and told on the bus
// ('gateways.changed'), so the broker reloads its credentials.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { z } from 'zod';
import { hashGatewaySecret, newSecret } from '../auth/secrets.ts';
import type { Bus } from '../bus.ts';
import type { AuditRepository } from '../catalog/audit.ts';
import type { GatewayCredential, GatewayRepository } from '../catalog/gateways.ts';
import type { LotRepository } from '../catalog/repository.ts';
import { notFound, validationError } from '../domain/errors.ts';
import { assignLotSchema, newGatewaySchema, type GatewayInfo } from '../domain/operator-api.ts';
import { mayManage, type Principal } from '../domain/principal.ts';
import { forbidden, ownedLot } from './ownership.ts';

export type { GatewayCredential, GatewayInfo };

/** Gateway ids are topic levels (`parking/gateways/{id}/status`), so they follow the lot id pattern. */
const newGatewayId = () => `gw-${randomBytes(5).toString('hex')}`;

export interface GatewayAdminOptions {
  db: Knex;
  gateways: GatewayRepository;
  lots: LotRepository;
  audit: AuditRepository;
  bus: Bus;
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) throw validationError(what, parsed.error);
  return parsed.data;
}

export class GatewayAdmin {
  constructor(private readonly options: GatewayAdminOptions) {}

  /** A new gateway for one lot; the secret is in the answer and nowhere else. */
  async create(principal: Principal, lotId: string, input: unknown): Promise<{ gateway: GatewayInfo; secret: string }> {
    const { name } = parse(newGatewaySchema, input, 'gateway');
    const { db, gateways, lots, audit } = this.options;
    const secret = newSecret('kwg_');
    const secretHash = await hashGatewaySecret(secret);
    const gateway: GatewayInfo = { id: newGatewayId(), name: name ?? null, lotIds: [lotId], createdAt: new Date().toISOString() };
    await db.transaction(async (trx) => {
      const lot = await ownedLot(lots, principal, lotId, trx);
      await gateways.insert(gateway, principal.id, secretHash, trx);
      await audit.append(
        { lotId, ownerId: lot.ownerId, actor: principal, action: 'gateway.create', before: null, after: { gateway: gateway.id, name: gateway.name } },
        trx,
      );
    });
    await this.options.bus.emitAndWait('gateways.changed');
    return { gateway, secret };
  }

  /** Lets a gateway publish for one more lot; both must be the principal's. */
  async assign(principal: Principal, gatewayId: string, input: unknown): Promise<GatewayInfo> {
    const { lotId } = parse(assignLotSchema, input, 'assignment');
    const { db, gateways, lots, audit } = this.options;
    await db.transaction(async (trx) => {
      await this.ownedGateway(principal, gatewayId, trx);
      const lot = await ownedLot(lots, principal, lotId, trx);
      if (!(await gateways.link(gatewayId, lotId, trx))) return;
      await audit.append({ lotId, ownerId: lot.ownerId, actor: principal, action: 'gateway.assign', before: null, after: { gateway: gatewayId } }, trx);
    });
    await this.options.bus.emitAndWait('gateways.changed');
    return (await gateways.get(gatewayId))!;
  }

  /** Revokes a gateway: its credentials stop working at once. */
  async remove(principal: Principal, gatewayId: string): Promise<void> {
    const { db, gateways, lots, audit } = this.options;
    await db.transaction(async (trx) => {
      await this.ownedGateway(principal, gatewayId, trx);
      const lotIds = await gateways.lotIdsOf(gatewayId, trx);
      await gateways.delete(gatewayId, trx);
      for (const lotId of lotIds) {
        const lot = await lots.getOwned(lotId, trx);
        await audit.append({ lotId, ownerId: lot?.ownerId ?? null, actor: principal, action: 'gateway.delete', before: { gateway: gatewayId }, after: null }, trx);
      }
    });
    await this.options.bus.emitAndWait('gateways.changed');
  }

  /** The gateways serving a lot the principal manages. */
  async ofLot(principal: Principal, lotId: string): Promise<GatewayInfo[]> {
    await ownedLot(this.options.lots, principal, lotId);
    return this.options.gateways.ofLot(lotId);
  }

  /** The gateways serving any of these lots (the caller has checked it manages them). */
  forLots(lotIds: readonly string[]): Promise<GatewayInfo[]> {
    return this.options.gateways.forLots(lotIds);
  }

  private async ownedGateway(principal: Principal, gatewayId: string, trx: Knex): Promise<void> {
    const gateway = await this.options.gateways.getOwned(gatewayId, trx);
    if (!gateway) throw notFound(`gateway "${gatewayId}"`);
    if (!mayManage(principal, gateway.ownerId)) throw forbidden(`gateway "${gatewayId}"`);
  }
}
