// Webhooks, the write side (DESIGN.md §4, "Alerts"): an operator's own
// webhooks — created (the secret shown once), listed, changed, deleted,
// pinged — and their delivery log. An administrator sees and manages every
// webhook. A target is checked against the SSRF rules (webhook-target.ts)
// whenever it is set. What the alerts part must hear of goes on the bus.
import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { newSecret } from '../auth/secrets.ts';
import type { WebhookSecrets } from '../auth/webhook-secrets.ts';
import type { Bus } from '../bus.ts';
import type { DeliveryRecord, WebhookRecord, WebhookRepository } from '../catalog/webhooks.ts';
import { notFound, validationError } from '../domain/errors.ts';
import { mayManage, type Principal } from '../domain/principal.ts';
import {
  deliveriesQuerySchema, webhookCreateSchema, webhookPatchSchema, WEBHOOK_ID_PATTERN, WEBHOOK_SECRET_PREFIX,
  type DeliveryView, type NewWebhookAnswer, type PingData, type WebhookView,
} from '../domain/webhooks.ts';
import { forbidden } from './ownership.ts';
import { resolveTarget, TargetRefused, type TargetPolicy } from './webhook-target.ts';

export interface WebhookAdminOptions {
  repository: WebhookRepository;
  secrets: WebhookSecrets;
  bus: Bus;
  /** WEBHOOK_ALLOW_PRIVATE, and the resolver (tests give their own). */
  target: TargetPolicy;
  /** WEBHOOK_MAX_ATTEMPTS, for the delivery log. */
  maxAttempts: number;
  clock?: () => number;
}

const newWebhookId = () => `wh-${randomBytes(5).toString('hex')}`;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) throw validationError(what, parsed.error);
  return parsed.data;
}

export function webhookView(record: WebhookRecord): WebhookView {
  const { secretSealed: _sealed, ...view } = record;
  return view;
}

export function deliveryView(record: DeliveryRecord, maxAttempts: number): DeliveryView {
  return {
    id: record.deliveryId,
    webhookId: record.webhookId,
    event: record.event,
    subject: record.subject,
    state: record.state,
    status: record.status,
    attempts: record.attempts,
    maxAttempts,
    occurredAt: new Date(record.occurredAt).toISOString(),
    lastAttemptAt: iso(record.lastAttemptAt),
    nextAttemptAt: record.status === 'pending' ? iso(record.nextAttemptAt) : null,
    deliveredAt: iso(record.deliveredAt),
    responseStatus: record.responseStatus,
    error: record.lastError,
  };
}

export class WebhookAdmin {
  private readonly clock: () => number;

  constructor(private readonly options: WebhookAdminOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** A new webhook of the caller's; its secret (given, or made here) is in the answer and, sealed, in SQL. */
  async create(principal: Principal, input: unknown): Promise<NewWebhookAnswer> {
    const fields = parse(webhookCreateSchema, input, 'webhook');
    await this.checkTarget(fields.url);
    const secret = fields.secret ?? newSecret(WEBHOOK_SECRET_PREFIX);
    const now = new Date(this.clock()).toISOString();
    const record: WebhookRecord = {
      id: newWebhookId(),
      ownerId: principal.id,
      url: fields.url,
      events: fields.events,
      description: fields.description,
      enabled: fields.enabled,
      createdAt: now,
      updatedAt: now,
      secretSealed: this.options.secrets.seal(secret),
    };
    await this.options.repository.insert(record);
    this.options.bus.emit('webhooks.changed', record.id);
    return { ...webhookView(record), secret };
  }

  /** The caller's webhooks (an administrator: every one). */
  async list(principal: Principal): Promise<WebhookView[]> {
    const records = await this.options.repository.list(principal.role === 'admin' ? undefined : principal.id);
    return records.map(webhookView);
  }

  async get(principal: Principal, id: string): Promise<WebhookView> {
    return webhookView(await this.owned(principal, id));
  }

  /** Changes the fields sent; a new URL is checked as a new one is. */
  async update(principal: Principal, id: string, input: unknown): Promise<WebhookView> {
    await this.owned(principal, id);
    const fields = parse(webhookPatchSchema, input, 'webhook');
    if (fields.url !== undefined) await this.checkTarget(fields.url);
    const { secret, ...rest } = fields;
    await this.options.repository.update(id, { ...rest, ...(secret === undefined ? {} : { secretSealed: this.options.secrets.seal(secret) }) }, this.clock());
    this.options.bus.emit('webhooks.changed', id);
    return this.get(principal, id);
  }

  /** Deletes a webhook and its delivery log; what was still pending is not sent. */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.owned(principal, id);
    await this.options.repository.delete(id);
  }

  /** Queues a ping to the webhook (signed and retried like any delivery). */
  async test(principal: Principal, id: string): Promise<DeliveryView> {
    const webhook = await this.owned(principal, id);
    const data: PingData = { message: 'ping from Kongwei: this webhook is set up', webhook: { id: webhook.id, url: webhook.url, events: webhook.events } };
    const key = `ping|${randomUUID()}`;
    const { repository } = this.options;
    await repository.enqueue([{ webhookId: id, event: 'ping', subject: null, state: null, key, data, occurredAt: this.clock() }]);
    // Read before the dispatcher hears of it: the answer shows it queued.
    const queued = await repository.deliveryByKey(id, key);
    this.options.bus.emit('webhooks.queued');
    return deliveryView(queued!, this.options.maxAttempts);
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(principal: Principal, id: string, query: unknown): Promise<DeliveryView[]> {
    await this.owned(principal, id);
    const { limit } = parse(deliveriesQuerySchema, query, 'query');
    return (await this.options.repository.deliveries(id, limit)).map((d) => deliveryView(d, this.options.maxAttempts));
  }

  /** Sends a delivery again, from its first attempt, under the same delivery id. */
  async redeliver(principal: Principal, id: string, deliveryId: string): Promise<DeliveryView> {
    await this.owned(principal, id);
    const { repository } = this.options;
    if (!(await repository.delivery(id, deliveryId))) throw notFound(`delivery "${deliveryId.slice(0, 80)}"`);
    await repository.redeliver(id, deliveryId, this.clock());
    const queued = (await repository.delivery(id, deliveryId))!;
    this.options.bus.emit('webhooks.queued');
    return deliveryView(queued, this.options.maxAttempts);
  }

  private async owned(principal: Principal, id: string): Promise<WebhookRecord> {
    const webhook = WEBHOOK_ID_PATTERN.test(id) ? await this.options.repository.get(id) : undefined;
    if (!webhook) throw notFound(`webhook "${id.slice(0, 80)}"`);
    if (!mayManage(principal, webhook.ownerId)) throw forbidden(`webhook "${id}"`);
    return webhook;
  }

  /** A 400 naming `url` when its host is, or resolves to, an address webhooks may not reach. */
  private async checkTarget(url: string): Promise<void> {
    try {
      await resolveTarget(url, this.options.target);
    } catch (err) {
      if (err instanceof TargetRefused) throw validationError('webhook', { url: [err.reason] });
      throw err;
    }
  }
}
