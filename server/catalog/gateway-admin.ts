// Gateway credentials, the write side: an operator creates a gateway for a
// lot it manages and gets its secret once (stored hashed, in Mosquitto's
// format: auth/secrets.ts), may give it more of its lots, or revoke it.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { mayManage, type Principal } from '../auth/operators.ts';
import { hashGatewaySecret, newSecret } from '../auth/secrets.ts';
import { notFound } from '../domain/errors.ts';
import { fieldErrorsOf } from '../domain/lot-input.ts';
import { lotIdSchema } from '../domain/lot.ts';
import type { GatewayInfo } from '../domain/operator-api.ts';
import type { AuditRepository } from './audit.ts';
import { forbidden, invalid, type LotAdmin } from './lot-admin.ts';

export type { GatewayInfo };

/** What the broker needs to check a gateway: its id, secret hash and lots. */
export interface GatewayCredential {
  id: string;
  secretHash: string;
  lotIds: string[];
}

export const newGatewaySchema = z.object({ name: z.string().trim().min(1).max(200).optional() }).strict();
export const assignLotSchema = z.object({ lotId: lotIdSchema }).strict();

interface GatewayRow {
  id: string;
  name: string | null;
  owner_id: string | null;
  secret_hash: string | null;
  created_at: Date | string | number;
}

/** Gateway ids are topic levels (`parking/gateways/{id}/status`), so they follow the lot id pattern. */
const newGatewayId = () => `gw-${randomBytes(5).toString('hex')}`;

export interface GatewayAdminOptions {
  db: Knex;
  lots: LotAdmin;
  audit: AuditRepository;
  /** Told after every committed change, so the broker reloads its credentials. */
  onChange: () => void;
}

export class GatewayAdmin {
  constructor(private readonly options: GatewayAdminOptions) {}

  private get db(): Knex {
    return this.options.db;
  }

  private parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
    const parsed = schema.safeParse(input ?? {});
    if (!parsed.success) throw invalid(what, fieldErrorsOf(parsed.error));
    return parsed.data;
  }

  /** A new gateway for one lot; the secret is in the answer and nowhere else. */
  async create(principal: Principal, lotId: string, input: unknown): Promise<{ gateway: GatewayInfo; secret: string }> {
    const { name } = this.parse(newGatewaySchema, input, 'gateway');
    const secret = newSecret('kwg_');
    const secretHash = await hashGatewaySecret(secret);
    const stamp = new Date().toISOString();
    const gateway: GatewayInfo = { id: newGatewayId(), name: name ?? null, lotIds: [lotId], createdAt: stamp };
    await this.db.transaction(async (trx) => {
      const lot = await this.options.lots.owned(principal, lotId, trx);
      await trx('gateways').insert({ id: gateway.id, name: gateway.name, owner_id: principal.id, secret_hash: secretHash, created_at: stamp, updated_at: stamp });
      await trx('gateway_lots').insert({ gateway_id: gateway.id, lot_id: lotId });
      await this.options.audit.append(
        { lotId, ownerId: lot.ownerId, actor: principal, action: 'gateway.create', before: null, after: { gateway: gateway.id, name: gateway.name } },
        trx,
      );
    });
    this.options.onChange();
    return { gateway, secret };
  }

  /** Lets a gateway publish for one more lot; both must be the principal's. */
  async assign(principal: Principal, gatewayId: string, input: unknown): Promise<GatewayInfo> {
    const { lotId } = this.parse(assignLotSchema, input, 'assignment');
    await this.db.transaction(async (trx) => {
      await this.ownedGateway(principal, gatewayId, trx);
      const lot = await this.options.lots.owned(principal, lotId, trx);
      const linked = await trx('gateway_lots').where({ gateway_id: gatewayId, lot_id: lotId }).first();
      if (linked) return;
      await trx('gateway_lots').insert({ gateway_id: gatewayId, lot_id: lotId });
      await this.options.audit.append({ lotId, ownerId: lot.ownerId, actor: principal, action: 'gateway.assign', before: null, after: { gateway: gatewayId } }, trx);
    });
    this.options.onChange();
    return (await this.get(gatewayId))!;
  }

  /** Revokes a gateway: its credentials stop working at once. */
  async remove(principal: Principal, gatewayId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await this.ownedGateway(principal, gatewayId, trx);
      const lotIds = await this.lotIdsOf(gatewayId, trx);
      await trx('gateways').where({ id: gatewayId }).delete();
      for (const lotId of lotIds) {
        const lot = await trx('lots').where({ id: lotId }).first('owner_id');
        await this.options.audit.append({ lotId, ownerId: lot?.owner_id ?? null, actor: principal, action: 'gateway.delete', before: { gateway: gatewayId }, after: null }, trx);
      }
    });
    this.options.onChange();
  }

  /** The gateways serving a lot the principal manages. */
  async ofLot(principal: Principal, lotId: string): Promise<GatewayInfo[]> {
    await this.options.lots.owned(principal, lotId);
    const rows = await this.db<GatewayRow>('gateways')
      .join('gateway_lots', 'gateways.id', 'gateway_lots.gateway_id')
      .where('gateway_lots.lot_id', lotId)
      .select('gateways.*')
      .orderBy('gateways.created_at');
    return Promise.all(rows.map((row) => this.info(row)));
  }

  /** The gateways serving any of these lots (the caller has checked it manages them), in a few queries whatever their number. */
  async forLots(lotIds: readonly string[]): Promise<GatewayInfo[]> {
    const ids = new Set<string>();
    for (let i = 0; i < lotIds.length; i += 500) {
      const rows = await this.db('gateway_lots').whereIn('lot_id', lotIds.slice(i, i + 500)).distinct('gateway_id');
      for (const { gateway_id } of rows as { gateway_id: string }[]) ids.add(gateway_id);
    }
    const gatewayIds = [...ids];
    const rows: GatewayRow[] = [];
    const links: { gateway_id: string; lot_id: string }[] = [];
    for (let i = 0; i < gatewayIds.length; i += 500) {
      const chunk = gatewayIds.slice(i, i + 500);
      rows.push(...(await this.db<GatewayRow>('gateways').whereIn('id', chunk)));
      links.push(...(await this.db('gateway_lots').whereIn('gateway_id', chunk).select('gateway_id', 'lot_id')));
    }
    return rows
      .map((row) => ({
        id: row.id,
        name: row.name,
        lotIds: links.filter((l) => l.gateway_id === row.id).map((l) => l.lot_id).sort(),
        createdAt: new Date(row.created_at).toISOString(),
      }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async get(gatewayId: string): Promise<GatewayInfo | undefined> {
    const row = await this.db<GatewayRow>('gateways').where({ id: gatewayId }).first();
    return row ? this.info(row) : undefined;
  }

  /** Every gateway with a secret, for the broker's credential cache. */
  credentials(): Promise<GatewayCredential[]> {
    return loadGatewayCredentials(this.db);
  }

  private async info(row: GatewayRow): Promise<GatewayInfo> {
    return { id: row.id, name: row.name, lotIds: await this.lotIdsOf(row.id), createdAt: new Date(row.created_at).toISOString() };
  }

  private async lotIdsOf(gatewayId: string, trx: Knex = this.db): Promise<string[]> {
    const rows = await trx('gateway_lots').where({ gateway_id: gatewayId }).select('lot_id').orderBy('lot_id');
    return rows.map((r: { lot_id: string }) => r.lot_id);
  }

  private async ownedGateway(principal: Principal, gatewayId: string, trx: Knex): Promise<GatewayRow> {
    const row = await trx<GatewayRow>('gateways').where({ id: gatewayId }).first();
    if (!row) throw notFound(`gateway "${gatewayId}"`);
    if (!mayManage(principal, row.owner_id)) throw forbidden(`gateway "${gatewayId}"`);
    return row;
  }
}


/** Every gateway with a secret: for the broker's credential cache and the Mosquitto files. */
export async function loadGatewayCredentials(db: Knex): Promise<GatewayCredential[]> {
  const rows = await db<GatewayRow>('gateways').whereNotNull('secret_hash').orderBy('id');
  const links = (await db('gateway_lots').select('gateway_id', 'lot_id').orderBy(['gateway_id', 'lot_id'])) as { gateway_id: string; lot_id: string }[];
  const lotsOf = new Map<string, string[]>();
  for (const { gateway_id, lot_id } of links) lotsOf.set(gateway_id, [...(lotsOf.get(gateway_id) ?? []), lot_id]);
  return rows.map((row) => ({ id: row.id, secretHash: row.secret_hash!, lotIds: lotsOf.get(row.id) ?? [] }));
}
