// The ingest stage: a raw MQTT message in, a committed event (or a rejection
// with its reason) out. Transports (the embedded broker, an external broker)
// acknowledge a message only after handle() has resolved: then the event is
// in the live store, or it was rejected and redelivering it would not help.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog } from '../catalog/catalog.ts';
import {
  isRejection,
  parseCountEvent,
  parseTopic,
  subscriptionTopics,
  type Rejection,
} from '../domain/events.ts';
import type { ApplyOutcome } from '../domain/live.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export type IngestResult =
  | { status: ApplyOutcome; lotId: string }
  | ({ status: 'rejected'; topic: string } & Rejection);

/** Thrown by handle() when the service stops before the event was committed: do not acknowledge. */
export class IngestStoppedError extends Error {
  constructor() {
    super('ingest stopped before the event was committed');
    this.name = 'IngestStoppedError';
  }
}

export interface IngestOptions {
  baseTopic: string;
  catalog: Catalog;
  store: LiveStore;
  log: Logger;
  metrics: Metrics;
  clock?: () => number;
  /** Told of every rejection, e.g. to publish it on the errors topic. */
  onRejected?: (result: Extract<IngestResult, { status: 'rejected' }>, payload: Uint8Array) => void;
}

const MAX_RETRY_DELAY_MS = 2000;

export class Ingest {
  readonly topics: string[];
  private stopping = false;
  private readonly clock: () => number;
  private readonly wakeUps = new Set<AbortController>();

  constructor(private readonly options: IngestOptions) {
    this.topics = subscriptionTopics(options.baseTopic);
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.stopping = false;
  }

  /** Stops retrying: pending handle() calls reject with IngestStoppedError. */
  stop(): void {
    this.stopping = true;
    for (const controller of this.wakeUps) controller.abort();
  }

  async handle(topic: string, payload: Uint8Array): Promise<IngestResult> {
    if (this.stopping) throw new IngestStoppedError();
    const receivedAt = this.clock();
    const parsedTopic = parseTopic(this.options.baseTopic, topic);
    if (isRejection(parsedTopic)) return this.reject(topic, parsedTopic, payload);
    const lot = this.options.catalog.get(parsedTopic.lotId);
    if (!lot) {
      return this.reject(topic, { reason: 'unknown_lot', message: `no lot "${parsedTopic.lotId}" in the catalog` }, payload);
    }
    const event = parseCountEvent(lot.id, payload, receivedAt);
    if (isRejection(event)) return this.reject(topic, event, payload);

    const result = await this.withRetry(() => this.options.store.applyCount(event, lot.capacity));
    const { metrics } = this.options;
    metrics.eventsAccepted.inc({ kind: parsedTopic.kind, outcome: result.outcome });
    if (result.outcome === 'applied') {
      metrics.ingestLag.observe(Math.max(0, this.clock() - event.ts) / 1000);
      if (result.state.clamped) metrics.clamped.inc();
    }
    return { status: result.outcome, lotId: lot.id };
  }

  private reject(topic: string, rejection: Rejection, payload: Uint8Array): IngestResult {
    const result = { status: 'rejected' as const, topic, ...rejection };
    this.options.metrics.eventsRejected.inc({ reason: rejection.reason });
    this.options.log.warn(
      { topic: topic.slice(0, 200), reason: rejection.reason, payload: Buffer.from(payload.subarray(0, 200)).toString('utf8') },
      `rejected MQTT message: ${rejection.message}`,
    );
    this.options.onRejected?.(result, payload);
    return result;
  }

  /**
   * Runs a live-store command until it succeeds. While the store is down the
   * caller waits, so the transport acknowledges nothing and the broker keeps
   * the messages: ingestion pauses instead of losing events.
   */
  private async withRetry<T>(command: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new IngestStoppedError();
      try {
        return await command();
      } catch (err) {
        if (this.stopping) throw new IngestStoppedError();
        this.options.metrics.storeRetries.inc();
        if (attempt === 1 || attempt % 20 === 0) {
          this.options.log.error({ err: (err as Error).message, attempt }, 'live store unavailable: ingestion paused, retrying');
        }
        const wakeUp = new AbortController();
        this.wakeUps.add(wakeUp);
        await sleep(Math.min(50 * attempt, MAX_RETRY_DELAY_MS), undefined, { signal: wakeUp.signal }).catch(() => {});
        this.wakeUps.delete(wakeUp);
      }
    }
  }
}
