// Delivers what the outbox holds (DESIGN.md §4, "Alerts"): each instance
// looks every WEBHOOK_POLL_MS (and at once when something is queued) for
// deliveries that are due, takes each with a lease in SQL — one instance per
// attempt — and POSTs it, signed, to the address its webhook's URL resolves to
// after the SSRF check. A 2xx answer delivers it; anything else (another
// status, a redirect, a timeout, a refused address) is a failed attempt,
// tried again after an exponential, jittered wait, until WEBHOOK_MAX_ATTEMPTS.
// A delivery whose instance died in the middle of it is taken again when its
// lease runs out: at least once, under the same delivery id. Time is the
// injected clock's, so tests drive retries with it (tick()).
import type { WebhookSecrets } from '../auth/webhook-secrets.ts';
import type { Bus } from '../bus.ts';
import type { DeliveryRecord, WebhookRepository } from '../catalog/webhooks.ts';
import { retryDelayMs, WEBHOOK_HEADERS, type RetryPolicy, type WebhookEnvelope } from '../domain/webhooks.ts';
import type { Logger } from '../log.ts';
import { resolveTarget, TargetRefused, type TargetPolicy } from '../manage/webhook-target.ts';
import type { Metrics } from '../metrics.ts';
import { postPinned, signBody, type PostFunction } from './http-post.ts';

export interface WebhookDispatcherOptions {
  webhooks: WebhookRepository;
  secrets: WebhookSecrets;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  target: TargetPolicy;
  retry: RetryPolicy;
  /** WEBHOOK_TIMEOUT_MS: one attempt, connection to answer. */
  timeoutMs: number;
  /** WEBHOOK_POLL_MS. */
  pollMs: number;
  /** WEBHOOK_RETENTION_DAYS: delivered and failed deliveries older are forgotten. */
  retentionDays: number;
  /** Holds the leases (unique per instance). */
  instanceId: string;
  /** The User-Agent deliveries carry. */
  userAgent: string;
  clock?: () => number;
  /** For the retries' jitter. */
  random?: () => number;
  /** Attempts at once. */
  concurrency?: number;
  /** The HTTP call (tests may watch it). */
  post?: PostFunction;
}

/** Deliveries looked at per round. */
const BATCH = 32;
/** Beyond the attempt's own timeout, how long a lease lasts (an instance that died mid-attempt is replaced after it). */
const LEASE_MARGIN_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** The largest body a delivery may have (the envelope of one lot's event is a few KB). */
const MAX_BODY_BYTES = 256 * 1024;

export class WebhookDispatcher {
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly post: PostFunction;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private lastPrune = Number.NEGATIVE_INFINITY;
  private aborts = new AbortController();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.post = options.post ?? postPinned;
  }

  start(): void {
    this.stopping = false;
    this.aborts = new AbortController();
    const wake = () => this.wake();
    this.unsubscribe = [this.options.bus.on('webhooks.queued', wake), this.options.bus.on('webhooks.changed', wake)];
    this.timer = setInterval(wake, this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops looking; an attempt under way is abandoned (not counted) and its delivery let go for the next round, here or elsewhere. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.aborts.abort();
    await this.running?.catch(() => {});
  }

  /** Looks for due deliveries now (something was queued). */
  wake(): void {
    void this.tick().catch((err: unknown) => this.options.log.warn({ err: (err as Error).message }, 'webhooks: could not look for due deliveries; trying again at the next round'));
  }

  /** One look: attempts every delivery due by the clock, and looks again while more are due. Resolves when the attempts have ended. */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopping);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const { webhooks } = this.options;
    const now = this.clock();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const pruned = await webhooks.prune(now - this.options.retentionDays * 86_400_000);
      if (pruned > 0) this.options.log.info({ pruned }, 'webhooks: old deliveries removed from the log');
    }
    const due = await webhooks.due(now, BATCH);
    if (due.length === BATCH) this.again = true;
    const leaseUntil = now + this.options.timeoutMs + LEASE_MARGIN_MS;
    const mine: DeliveryRecord[] = [];
    for (const delivery of due) if (await webhooks.claim(delivery.deliveryId, this.options.instanceId, now, leaseUntil)) mine.push(delivery);
    const concurrency = this.options.concurrency ?? 8;
    for (let i = 0; i < mine.length && !this.stopping; i += concurrency) {
      await Promise.all(mine.slice(i, i + concurrency).map((delivery) => this.attempt(delivery)));
    }
  }

  private async attempt(delivery: DeliveryRecord): Promise<void> {
    const { webhooks, instanceId, log, metrics, retry } = this.options;
    const attempt = delivery.attempts + 1;
    let responseStatus: number | null = null;
    let error: string | null = null;
    let outcome: 'delivered' | 'failed' | 'refused' = 'failed';
    try {
      const webhook = await webhooks.get(delivery.webhookId);
      if (!webhook) return; // deleted meanwhile, and its deliveries with it
      const secret = this.options.secrets.open(webhook.secretSealed);
      const target = await resolveTarget(webhook.url, this.options.target);
      const envelope: WebhookEnvelope = {
        id: delivery.deliveryId,
        event: delivery.event,
        webhookId: delivery.webhookId,
        sequence: delivery.sequence,
        occurredAt: new Date(delivery.occurredAt).toISOString(),
        sentAt: new Date(this.clock()).toISOString(),
        attempt,
        data: delivery.data,
      };
      const body = JSON.stringify(envelope);
      if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new Error(`the body would be ${Buffer.byteLength(body)} bytes, more than ${MAX_BODY_BYTES}`);
      const headers = {
        'content-type': 'application/json',
        'user-agent': this.options.userAgent,
        [WEBHOOK_HEADERS.event.toLowerCase()]: delivery.event,
        [WEBHOOK_HEADERS.delivery.toLowerCase()]: delivery.deliveryId,
        [WEBHOOK_HEADERS.signature.toLowerCase()]: signBody(secret, body),
      };
      const answer = await this.post(target, headers, body, { timeoutMs: this.options.timeoutMs, signal: this.aborts.signal });
      responseStatus = answer.status;
      if (answer.status >= 200 && answer.status < 300) outcome = 'delivered';
      else {
        const why = answer.status >= 300 && answer.status < 400 ? ' (redirects are not followed)' : '';
        const excerpt = answer.excerpt.replace(/\s+/g, ' ').trim().slice(0, 200);
        error = `HTTP ${answer.status}${why}${excerpt ? `: ${excerpt}` : ''}`;
      }
    } catch (err) {
      if (this.stopping) {
        await webhooks.release(delivery.deliveryId, instanceId).catch(() => {});
        return;
      }
      if (err instanceof TargetRefused) outcome = 'refused';
      error = err instanceof TargetRefused ? `refused: ${err.message}` : (err as Error).message;
    }
    const at = this.clock();
    const failedForGood = outcome !== 'delivered' && attempt >= retry.maxAttempts;
    const status = outcome === 'delivered' ? 'delivered' : failedForGood ? 'failed' : 'pending';
    const nextAttemptAt = status === 'pending' ? at + retryDelayMs(attempt, retry, this.random) : null;
    metrics.webhookAttempts.inc({ outcome });
    if (failedForGood) {
      metrics.webhookDeliveriesFailed.inc();
      log.warn({ webhook: delivery.webhookId, delivery: delivery.deliveryId, event: delivery.event, attempts: attempt, error }, 'webhook delivery given up');
    }
    await webhooks.finish(delivery.deliveryId, instanceId, { status, attempts: attempt, at, nextAttemptAt, responseStatus, error });
  }
}
