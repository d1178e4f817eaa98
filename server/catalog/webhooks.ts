// Webhooks in SQL (tables `webhooks` and `webhook_deliveries`): the one place
// their rows are read and written. `webhook_deliveries` is the outbox — a
// delivery is a row before any attempt is made, so a crash loses none — and
// the delivery log the operator page shows. A transition is queued at most
// once per webhook: its key is unique per webhook, so instances that each saw
// it insert one row between them.
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AlertState, DeliveryEvent, DeliveryStatus, WebhookEvent, WebhookView } from '../domain/webhooks.ts';

export interface WebhookRecord extends WebhookView {
  secretSealed: string;
}

export interface NewDelivery {
  webhookId: string;
  event: DeliveryEvent;
  subject: string | null;
  state: AlertState | null;
  /** What names the transition (hashed here): the same key twice for one webhook is one delivery. */
  key: string;
  /** The envelope's `data`. */
  data: unknown;
  occurredAt: number;
}

export interface DeliveryRecord {
  /** The envelope's `sequence`. */
  sequence: number;
  deliveryId: string;
  webhookId: string;
  event: DeliveryEvent;
  subject: string | null;
  state: AlertState | null;
  data: unknown;
  occurredAt: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  deliveredAt: number | null;
  responseStatus: number | null;
  lastError: string | null;
}

/** What an attempt ended in. */
export interface AttemptResult {
  status: DeliveryStatus;
  attempts: number;
  at: number;
  nextAttemptAt: number | null;
  responseStatus: number | null;
  error: string | null;
}

type Time = number | string;
interface WebhookRow {
  id: string;
  owner_id: string;
  url: string;
  events: string;
  description: string | null;
  enabled: boolean | number;
  secret_sealed: string;
  created_at: Time;
  updated_at: Time;
}
interface DeliveryRow {
  id: number | string;
  delivery_id: string;
  webhook_id: string;
  event: string;
  subject: string | null;
  state: string | null;
  payload: string;
  occurred_at: Time;
  status: string;
  attempts: number | string;
  next_attempt_at: Time | null;
  last_attempt_at: Time | null;
  delivered_at: Time | null;
  response_status: number | string | null;
  last_error: string | null;
}

// SQLite answers numbers and 0/1; PostgreSQL bigints as strings and booleans as booleans.
const num = (v: Time) => Number(v);
const maybeNum = (v: Time | null) => (v === null ? null : Number(v));
const iso = (v: Time) => new Date(Number(v)).toISOString();

const webhookOf = (row: WebhookRow): WebhookRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  url: row.url,
  events: JSON.parse(row.events) as WebhookEvent[],
  description: row.description,
  enabled: row.enabled === true || row.enabled === 1,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
  secretSealed: row.secret_sealed,
});

const deliveryOf = (row: DeliveryRow): DeliveryRecord => ({
  sequence: num(row.id),
  deliveryId: row.delivery_id,
  webhookId: row.webhook_id,
  event: row.event as DeliveryEvent,
  subject: row.subject,
  state: row.state as AlertState | null,
  data: JSON.parse(row.payload) as unknown,
  occurredAt: num(row.occurred_at),
  status: row.status as DeliveryStatus,
  attempts: num(row.attempts),
  nextAttemptAt: maybeNum(row.next_attempt_at),
  lastAttemptAt: maybeNum(row.last_attempt_at),
  deliveredAt: maybeNum(row.delivered_at),
  responseStatus: maybeNum(row.response_status),
  lastError: row.last_error,
});

/** Rows per INSERT: SQLite allows 999 bound parameters, a delivery row has 11. */
const CHUNK = 50;

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export class WebhookRepository {
  constructor(private readonly db: Knex) {}

  async insert(webhook: WebhookRecord): Promise<void> {
    await this.db('webhooks').insert({
      id: webhook.id,
      owner_id: webhook.ownerId,
      url: webhook.url,
      events: JSON.stringify(webhook.events),
      description: webhook.description,
      enabled: webhook.enabled,
      secret_sealed: webhook.secretSealed,
      created_at: Date.parse(webhook.createdAt),
      updated_at: Date.parse(webhook.updatedAt),
    });
  }

  async update(id: string, fields: Partial<Pick<WebhookRecord, 'url' | 'events' | 'description' | 'enabled' | 'secretSealed'>>, now: number): Promise<void> {
    const row: Record<string, unknown> = { updated_at: now };
    if (fields.url !== undefined) row.url = fields.url;
    if (fields.events !== undefined) row.events = JSON.stringify(fields.events);
    if (fields.description !== undefined) row.description = fields.description;
    if (fields.enabled !== undefined) row.enabled = fields.enabled;
    if (fields.secretSealed !== undefined) row.secret_sealed = fields.secretSealed;
    await this.db('webhooks').where({ id }).update(row);
  }

  /** Deletes a webhook and its deliveries (ON DELETE CASCADE); false if there was none. */
  async delete(id: string): Promise<boolean> {
    return (await this.db('webhooks').where({ id }).delete()) > 0;
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    const row = await this.db<WebhookRow>('webhooks').where({ id }).first();
    return row ? webhookOf(row) : undefined;
  }

  /** One operator's webhooks, or (no owner given) every one; oldest first. */
  async list(ownerId?: string): Promise<WebhookRecord[]> {
    const query = this.db<WebhookRow>('webhooks').orderBy([{ column: 'created_at' }, { column: 'id' }]);
    const rows = await (ownerId === undefined ? query : query.where({ owner_id: ownerId }));
    return rows.map(webhookOf);
  }

  /** The webhooks that are on. */
  async enabled(): Promise<WebhookRecord[]> {
    return (await this.list()).filter((webhook) => webhook.enabled);
  }

  // ---- The outbox

  /** Queues deliveries (pending, due now); a key a webhook has already queued is left out. */
  async enqueue(deliveries: readonly NewDelivery[], trx: Knex = this.db): Promise<void> {
    const rows = deliveries.map((d) => ({
      delivery_id: randomUUID(),
      webhook_id: d.webhookId,
      event: d.event,
      subject: d.subject,
      state: d.state,
      event_key: hashKey(d.key),
      payload: JSON.stringify(d.data),
      occurred_at: d.occurredAt,
      status: 'pending',
      attempts: 0,
      next_attempt_at: d.occurredAt,
    }));
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx('webhook_deliveries').insert(rows.slice(i, i + CHUNK)).onConflict(['webhook_id', 'event_key']).ignore();
    }
  }

  /**
   * The last state announced for each (webhook, event, subject): the newest
   * delivery with a state. Keyed `webhookId\nevent\nsubject`.
   */
  async lastStates(webhookIds?: readonly string[]): Promise<Map<string, { state: AlertState; deliveryId: string }>> {
    const newest = this.db('webhook_deliveries')
      .whereNotNull('state')
      .modify((q) => (webhookIds ? void q.whereIn('webhook_id', [...webhookIds]) : undefined))
      .groupBy('webhook_id', 'event', 'subject')
      .select(this.db.raw('max(id) as id'));
    const rows = await this.db<DeliveryRow>('webhook_deliveries').whereIn('id', newest).select('webhook_id', 'event', 'subject', 'state', 'delivery_id');
    return new Map(rows.map((row) => [`${row.webhook_id}\n${row.event}\n${row.subject}`, { state: row.state as AlertState, deliveryId: row.delivery_id }]));
  }

  /** The deliveries due now that no instance holds, of webhooks that are on; oldest first. */
  async due(now: number, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db<DeliveryRow>('webhook_deliveries as d')
      .join('webhooks as w', 'w.id', 'd.webhook_id')
      .where('d.status', 'pending')
      .where('w.enabled', true)
      .where('d.next_attempt_at', '<=', now)
      .where((q) => void q.whereNull('d.lease_until').orWhere('d.lease_until', '<=', now))
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(limit)
      .select('d.*');
    return rows.map(deliveryOf);
  }

  /** Takes a delivery for one attempt until `leaseUntil`: true for the one instance that got it. */
  async claim(deliveryId: string, owner: string, now: number, leaseUntil: number): Promise<boolean> {
    const changed = await this.db('webhook_deliveries')
      .where({ delivery_id: deliveryId, status: 'pending' })
      .where((q) => void q.whereNull('lease_until').orWhere('lease_until', '<=', now))
      .update({ lease_until: leaseUntil, lease_owner: owner });
    return changed > 0;
  }

  /** Records an attempt's end and lets the delivery go (it is pending again, delivered, or failed for good). */
  async finish(deliveryId: string, owner: string, result: AttemptResult): Promise<void> {
    await this.db('webhook_deliveries')
      .where({ delivery_id: deliveryId, lease_owner: owner })
      .update({
        status: result.status,
        attempts: result.attempts,
        last_attempt_at: result.at,
        next_attempt_at: result.nextAttemptAt,
        delivered_at: result.status === 'delivered' ? result.at : null,
        response_status: result.responseStatus,
        last_error: result.error === null ? null : result.error.slice(0, 500),
        lease_until: null,
        lease_owner: null,
      });
  }

  /** Lets a delivery go without counting an attempt (the instance stopped in the middle of it). */
  async release(deliveryId: string, owner: string): Promise<void> {
    await this.db('webhook_deliveries').where({ delivery_id: deliveryId, lease_owner: owner }).update({ lease_until: null, lease_owner: null });
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db<DeliveryRow>('webhook_deliveries').where({ webhook_id: webhookId }).orderBy('id', 'desc').limit(limit);
    return rows.map(deliveryOf);
  }

  async delivery(webhookId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db<DeliveryRow>('webhook_deliveries').where({ webhook_id: webhookId, delivery_id: deliveryId }).first();
    return row ? deliveryOf(row) : undefined;
  }

  /** The delivery a webhook queued under a key (see enqueue). */
  async deliveryByKey(webhookId: string, key: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db<DeliveryRow>('webhook_deliveries').where('webhook_id', webhookId).where('event_key', hashKey(key)).first();
    return row ? deliveryOf(row) : undefined;
  }

  /** Sends a delivery again from its first attempt, under the same delivery id (a failed one, or a pending one at once). */
  async redeliver(webhookId: string, deliveryId: string, now: number): Promise<void> {
    await this.db('webhook_deliveries')
      .where({ webhook_id: webhookId, delivery_id: deliveryId })
      .update({ status: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null });
  }

  /** Forgets delivered and failed deliveries that happened before `before`; how many. */
  async prune(before: number): Promise<number> {
    return this.db('webhook_deliveries').whereIn('status', ['delivered', 'failed']).where('occurred_at', '<', before).delete();
  }
}
