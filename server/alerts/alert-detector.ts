// Decides what each webhook is told (DESIGN.md §4, "Alerts"), and queues it
// in the outbox (catalog/webhooks.ts); the dispatcher sends it.
//
// - A lot's conditions (full, clamped, stale) are judged on the live store's
//   feed, which every instance receives in the same commit order: each
//   instance sees the same transitions, and names each by the state it led to
//   (domain liveFingerprint). A name is queued once per webhook, so with
//   several instances every transition reaches a webhook once, not once per
//   instance. "Full" and "clamped" go out when they begin and end, not on
//   every event while they hold.
// - A gateway's status is applied by every instance, in the order they
//   arrive, with no time of its own: it is announced when it differs from the
//   last one announced to that webhook, named "the change after that one".
// - A lot's metadata changes (lot.changed) are announced by the instance that
//   wrote them (the bus's 'local' origin): once.
// - At start, and when a webhook is created or changed, each lot's conditions
//   are compared with the last state announced to each webhook, and the
//   differences are announced (so a crash between a change and its queueing,
//   or a webhook switched off meanwhile, loses nothing).
// A webhook hears of the lots and gateways its operator may manage
// (domain/principal.ts mayManage: its own; an administrator's, all), and of
// the gateways serving its operator's lots.
import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus.ts';
import type { AuditRepository } from '../catalog/audit.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { GatewayRepository } from '../catalog/gateways.ts';
import type { OperatorRepository } from '../catalog/operators.ts';
import type { LotRepository } from '../catalog/repository.ts';
import type { NewDelivery, WebhookRecord, WebhookRepository } from '../catalog/webhooks.ts';
import type { CatalogChange } from '../domain/changes.ts';
import type { LiveChange, LiveState } from '../domain/live.ts';
import { ADMIN_TOKEN_PRINCIPAL, mayManage, type Principal } from '../domain/principal.ts';
import {
  conditionsOf, gatewayTransitionKey, lotAlertData, lotChangedData, lotConditions, lotSnapshot, lotTransitionKey, lotTransitions,
  type AlertState, type GatewayAlertData, type LotCondition, type WebhookEvent,
} from '../domain/webhooks.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface AlertDetectorOptions {
  bus: Bus;
  feed: LiveFeed;
  catalog: Catalog;
  webhooks: WebhookRepository;
  lots: LotRepository;
  audit: AuditRepository;
  gateways: GatewayRepository;
  operators: OperatorRepository;
  /** Whether ADMIN_TOKEN is set (its webhooks belong to "admin"). */
  adminToken: boolean;
  log: Logger;
  metrics: Metrics;
  /** Told when something was queued (the dispatcher looks at once). */
  queued: () => void;
  clock?: () => number;
}

type Job =
  | { kind: 'lot'; lotId: string; event: LotCondition; state: AlertState; live: LiveState; at: number }
  | { kind: 'gateway'; gatewayId: string; state: AlertState; at: number }
  | { kind: 'changed'; change: CatalogChange; at: number }
  | { kind: 'reconcile'; webhookIds: string[] | undefined; at: number };

/** What one write works with: the webhooks that are on, and who their owners are now. */
interface Context {
  webhooks: WebhookRecord[];
  principals: Map<string, Principal>;
}

/** Jobs written per transaction; and the most that wait while SQL is away (then the oldest go, and the reconciliation at the next start repairs lots). */
const BATCH = 200;
const MAX_WAITING = 50_000;
const MAX_RETRY_MS = 30_000;

export class AlertDetector {
  private readonly clock: () => number;
  /** Each lot's live state as the feed last brought it, to tell what changed. */
  private previous = new Map<string, LiveState>();
  private readonly owners = new Map<string, string | null>();
  private queue: Job[] = [];
  private draining: Promise<void> | undefined;
  private stopping = false;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: AlertDetectorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    const { bus, feed } = this.options;
    this.stopping = false;
    this.previous = new Map(feed.entries());
    this.unsubscribe = [
      bus.on('live.changed', (changes) => this.liveChanged(changes)),
      bus.on('live.resync', () => this.liveChanged([...feed.entries()].map(([id, state]) => ({ id, ...state })))),
      bus.on('catalog.changed', (change, origin) => this.catalogChanged(change, origin === 'local')),
      bus.on('gateway.status', ({ gatewayId, online }) => this.push({ kind: 'gateway', gatewayId, state: online ? 'resolved' : 'firing', at: this.clock() })),
      bus.on('webhooks.changed', (webhookId) => this.push({ kind: 'reconcile', webhookIds: [webhookId], at: this.clock() })),
    ];
    this.push({ kind: 'reconcile', webhookIds: undefined, at: this.clock() });
  }

  /** Stops listening, and writes what is waiting (once: SQL stops after this part). */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.stopping = true;
    await this.draining;
    if (this.queue.length > 0) {
      const waiting = this.queue.splice(0);
      await this.write(waiting).catch((err: unknown) => this.options.log.warn({ err: (err as Error).message, lost: waiting.length }, 'webhooks: could not queue alerts before stopping'));
    }
  }

  /** Resolves once everything heard so far is in the outbox (tests). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private liveChanged(changes: readonly LiveChange[]): void {
    const at = this.clock();
    for (const { id, ...state } of changes) {
      for (const { event, state: alert } of lotTransitions(this.previous.get(id), state)) this.push({ kind: 'lot', lotId: id, event, state: alert, live: state, at }, false);
      this.previous.set(id, state);
    }
    this.drain();
  }

  private catalogChanged(change: CatalogChange, local: boolean): void {
    // An id used again may belong to someone else: the owner is read afresh.
    if (change.kind !== 'changed') this.owners.delete(change.lot.id);
    if (change.kind === 'removed') this.previous.delete(change.lot.id);
    if (local) this.push({ kind: 'changed', change, at: this.clock() });
  }

  private push(job: Job, drain = true): void {
    if (this.stopping) return;
    if (this.queue.length >= MAX_WAITING) {
      this.queue.shift();
      this.options.log.warn({ waiting: this.queue.length }, 'webhooks: too many alerts waiting for SQL; the oldest was dropped');
    }
    this.queue.push(job);
    if (drain) this.drain();
  }

  private drain(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = (async () => {
      let wait = 250;
      while (this.queue.length > 0 && !this.stopping) {
        const batch = this.queue.splice(0, BATCH);
        try {
          await this.write(batch);
          wait = 250;
        } catch (err) {
          this.queue.unshift(...batch);
          this.options.log.warn({ err: (err as Error).message, waiting: this.queue.length }, 'webhooks: could not queue alerts (SQL); trying again');
          await new Promise((resolve) => setTimeout(resolve, wait).unref());
          wait = Math.min(MAX_RETRY_MS, wait * 2);
        }
      }
    })().finally(() => {
      this.draining = undefined;
      if (!this.stopping) this.drain();
    });
  }

  private async context(): Promise<Context> {
    const [webhooks, operators] = await Promise.all([this.options.webhooks.enabled(), this.options.operators.list()]);
    const principals = new Map<string, Principal>(operators.map(({ id, name, role }) => [id, { id, name, role }]));
    if (this.options.adminToken) principals.set(ADMIN_TOKEN_PRINCIPAL.id, ADMIN_TOKEN_PRINCIPAL);
    return { webhooks, principals };
  }

  /**
   * The webhooks told of `event` about something owned by `owners` (a lot: its
   * owner; a gateway: its owner and its lots'): on, subscribed, and their
   * operator (still enabled) may manage one of them.
   */
  private audience(context: Context, event: WebhookEvent, owners: readonly (string | null)[], only?: readonly string[]): WebhookRecord[] {
    return context.webhooks.filter((webhook) => {
      if (only && !only.includes(webhook.id)) return false;
      const principal = context.principals.get(webhook.ownerId);
      return webhook.events.includes(event) && principal !== undefined && owners.some((owner) => mayManage(principal, owner));
    });
  }

  private async ownerOf(lotId: string): Promise<string | null> {
    const cached = this.owners.get(lotId);
    if (cached !== undefined) return cached;
    const current = await this.options.lots.getOwned(lotId);
    // A deleted lot: its owner when it was deleted.
    const owner = current ? current.ownerId : ((await this.options.audit.lastOwner(lotId)) ?? null);
    if (current) this.owners.set(lotId, owner);
    return owner;
  }

  private async write(jobs: readonly Job[]): Promise<void> {
    const context = await this.context();
    if (context.webhooks.length === 0) return;
    const { webhooks, catalog, metrics } = this.options;
    let rows: NewDelivery[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      await webhooks.enqueue(rows);
      for (const row of rows) metrics.webhookDeliveriesQueued.inc({ event: row.event });
      rows = [];
      this.options.queued();
    };
    for (const job of jobs) {
      if (job.kind === 'lot') {
        const data = lotAlertData(job.event, job.state, lotSnapshot(job.lotId, catalog.get(job.lotId), job.live));
        const key = lotTransitionKey(job.event, job.lotId, job.state, job.live);
        for (const webhook of this.audience(context, job.event, [await this.ownerOf(job.lotId)])) {
          rows.push({ webhookId: webhook.id, event: job.event, subject: job.lotId, state: job.state, key, data, occurredAt: job.at });
        }
      } else if (job.kind === 'changed') {
        const { change } = job;
        const data = lotChangedData(change.kind, change.lot, change.kind === 'changed' ? change.previous : null);
        // Only the instance that wrote it hears it as 'local': any unique name will do.
        const key = `lot.changed|${change.lot.id}|${randomUUID()}`;
        for (const webhook of this.audience(context, 'lot.changed', [await this.ownerOf(change.lot.id)])) {
          rows.push({ webhookId: webhook.id, event: 'lot.changed', subject: change.lot.id, state: null, key, data, occurredAt: job.at });
        }
      } else if (job.kind === 'gateway') {
        // What was announced last must include what this batch queued before.
        await flush();
        rows = await this.gatewayRows(context, job);
      } else {
        await flush();
        rows = await this.reconcileRows(context, job);
      }
    }
    await flush();
  }

  private async gatewayRows(context: Context, job: Extract<Job, { kind: 'gateway' }>): Promise<NewDelivery[]> {
    const { gateways, webhooks } = this.options;
    // Whoever may manage the gateway or one of its lots (an administrator may have made it for an operator's lot).
    const [owned, info] = await Promise.all([gateways.getOwned(job.gatewayId), gateways.get(job.gatewayId)]);
    const owners = [owned?.ownerId ?? null, ...(await Promise.all((info?.lotIds ?? []).map((id) => this.ownerOf(id))))];
    const audience = this.audience(context, 'gateway.offline', owners);
    if (audience.length === 0) return [];
    const last = await webhooks.lastStates(audience.map((w) => w.id));
    const data: GatewayAlertData = { state: job.state, gateway: { id: job.gatewayId, name: info?.name ?? null, lotIds: info?.lotIds ?? [] } };
    return audience.flatMap((webhook) => {
      const before = last.get(`${webhook.id}\ngateway.offline\n${job.gatewayId}`);
      // Nothing announced yet counts as online: a first "online" is no news.
      if ((before?.state ?? 'resolved') === job.state) return [];
      const key = gatewayTransitionKey(job.gatewayId, job.state, before?.deliveryId ?? null);
      return [{ webhookId: webhook.id, event: 'gateway.offline' as const, subject: job.gatewayId, state: job.state, key, data, occurredAt: job.at }];
    });
  }

  /** Each lot's conditions now against the last state announced to each webhook (all, or those named). */
  private async reconcileRows(context: Context, job: Extract<Job, { kind: 'reconcile' }>): Promise<NewDelivery[]> {
    const { webhooks, catalog, feed, lots } = this.options;
    const audienceIds = job.webhookIds ?? context.webhooks.map((w) => w.id);
    if (audienceIds.length === 0) return [];
    const [last, owners] = await Promise.all([webhooks.lastStates(audienceIds), lots.owners()]);
    const rows: NewDelivery[] = [];
    for (const [lotId, live] of feed.entries()) {
      if (!owners.has(lotId)) continue;
      const now = conditionsOf(live);
      for (const event of lotConditions) {
        const state: AlertState = now[event] ? 'firing' : 'resolved';
        const audience = this.audience(context, event, [owners.get(lotId) ?? null], audienceIds);
        const behind = audience.filter((webhook) => (last.get(`${webhook.id}\n${event}\n${lotId}`)?.state ?? 'resolved') !== state);
        if (behind.length === 0) continue;
        const data = lotAlertData(event, state, lotSnapshot(lotId, catalog.get(lotId), live));
        const key = lotTransitionKey(event, lotId, state, live);
        for (const webhook of behind) rows.push({ webhookId: webhook.id, event, subject: lotId, state, key, data, occurredAt: job.at });
      }
    }
    return rows;
  }
}
