// The ingest stage: a raw MQTT message in, a committed event (or a rejection
// with its reason) out. Transports (the embedded broker, an external broker)
// acknowledge a message only after handle() has resolved: then the event is
// in the live store, or it was rejected and redelivering it would not help.
// What it changed goes on the bus with the state the store committed
// ('lot.applied'), and so do its refusals ('message.rejected').
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { AppliedLot, RejectedMessage } from '../domain/changes.ts';
import {
  ERROR_PAYLOAD_EXCERPT, isRejection, isValidId, parseCountEvent, parseGateEvent, parseHeartbeatEvent, parseSpaceEvent,
  ingestSubscriptions, parseStatusEvent, parseTopic, payloadText,
  type MessageKind, type ParsedTopic, type Rejection, type Subscriptions,
} from '../domain/events.ts';
import type { ApplyOutcome, ApplyResult } from '../domain/live.ts';
import type { LotMeta } from '../domain/lot.ts';
import { LiveStoreRefusal, type LiveStore } from '../live/store.ts';
import { LogSampler, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { HandledMessage } from './transport.ts';

export type { RejectedMessage };

export type IngestResult =
  | { status: ApplyOutcome; kind: Exclude<MessageKind, 'status'>; lotId: string }
  | { status: 'applied'; kind: 'status'; gatewayId: string; online: boolean; lotIds: string[] }
  | RejectedMessage;

/** Thrown by handle() when the service stops before the event was committed: do not acknowledge. */
export class IngestStoppedError extends Error {
  constructor() {
    super('ingest stopped before the event was committed');
    this.name = 'IngestStoppedError';
  }
}

/**
 * Thrown by handle() when its caller gave up waiting (an HTTP request's bound
 * on waiting for the live store): the event was not committed by this call.
 */
export class IngestAbortedError extends Error {
  constructor() {
    super('gave up waiting for the live store before the event was committed');
    this.name = 'IngestAbortedError';
  }
}

/** How one handle() call may be cut short. */
export interface HandleOptions {
  /** Once aborted, no further attempt is made while the live store is down (IngestAbortedError). */
  signal?: AbortSignal;
}

export interface IngestOptions {
  baseTopic: string;
  catalog: Catalog;
  store: LiveStore;
  /** Where what was applied and what was refused is told; without one, nobody is. */
  bus?: Bus;
  log: Logger;
  metrics: Metrics;
  clock?: () => number;
  /** The lots operators assigned to a gateway (SQL), to turn stale when it goes offline. */
  assignedLots?: { lotIdsOf(gatewayId: string): Promise<string[]> };
  /** How many rejected messages are logged one by one per interval (the rest are counted in one line). Default: 20 per 10 s. */
  rejectLog?: { perInterval: number; intervalMs: number };
}

const MAX_RETRY_DELAY_MS = 2000;
/** How many (gateway, lot) pairs learned from traffic are remembered in memory, to skip writing them again. */
const LEARNED_CACHE_MAX = 100_000;

type LotTopic = Exclude<ParsedTopic, { kind: 'status' }>;

export class Ingest {
  readonly subscriptions: Subscriptions;
  private stopping = false;
  /** Gateway statuses apply one after another, in the order they arrive. */
  private statusChain: Promise<unknown> = Promise.resolve();
  private readonly clock: () => number;
  private readonly wakeUps = new Set<AbortController>();
  private readonly learned = new Set<string>();
  private readonly rejectLog: LogSampler;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: IngestOptions) {
    this.subscriptions = ingestSubscriptions(options.baseTopic);
    this.clock = options.clock ?? Date.now;
    this.rejectLog = new LogSampler({
      log: options.log,
      what: 'rejected MQTT messages not logged',
      perInterval: options.rejectLog?.perInterval ?? 20,
      intervalMs: options.rejectLog?.intervalMs ?? 10_000,
      clock: this.clock,
    });
  }

  start(): void {
    this.stopping = false;
    // A lot deleted (or created with an id used before) starts with no gateway
    // learned for it: the pairs remembered here must be learned again.
    const forget = (lotId: string) => {
      for (const pair of this.learned) if (pair.endsWith(`\n${lotId}`)) this.learned.delete(pair);
    };
    const bus = this.options.bus;
    if (bus) this.unsubscribe = [bus.on('catalog.changed', (change) => change.kind !== 'changed' && forget(change.lot.id))];
  }

  /**
   * The transports' message handler: handles the message and tells the
   * transport to refuse it when a client wrote to a topic only the service writes.
   */
  readonly receive = async (topic: string, payload: Uint8Array, publisher?: string): Promise<HandledMessage> => {
    const result = await this.handle(topic, payload, publisher);
    return { refuse: result.status === 'rejected' && result.reason === 'reserved_topic' };
  };

  /** Stops retrying: pending handle() calls reject with IngestStoppedError. */
  stop(): void {
    this.stopping = true;
    for (const controller of this.wakeUps) controller.abort();
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.rejectLog.stop();
  }

  /**
   * Ingests one message. `publisher` is the sending client's identity when the
   * broker knows it (the embedded broker: its client id): its errors go to its
   * own errors topic, and the lots it publishes for are remembered as its own.
   */
  async handle(topic: string, payload: Uint8Array, publisher?: string, options: HandleOptions = {}): Promise<IngestResult> {
    if (this.stopping) throw new IngestStoppedError();
    const { signal } = options;
    const receivedAt = this.clock();
    const parsedTopic = parseTopic(this.options.baseTopic, topic);
    if (isRejection(parsedTopic)) return this.reject(topic, parsedTopic, payload, publisher);
    if (parsedTopic.kind === 'status') {
      // Statuses carry no usable time: order is all there is, so they never overtake one another.
      const { gatewayId } = parsedTopic;
      const handled = this.statusChain.then(() => this.handleStatus(topic, gatewayId, payload, receivedAt, publisher, signal));
      this.statusChain = handled.catch(() => {});
      return handled;
    }

    const lot = this.options.catalog.get(parsedTopic.lotId);
    if (!lot) {
      return this.reject(topic, { reason: 'unknown_lot', message: `no lot "${parsedTopic.lotId}" in the catalog` }, payload, publisher);
    }
    const prepared = this.prepare(parsedTopic, lot, payload, receivedAt);
    if (isRejection(prepared)) return this.reject(topic, prepared, payload, publisher);

    // A known gateway's event has nothing to wait for here (no extra turn of the event loop).
    const learning = publisher === undefined ? undefined : this.learn(publisher, lot.id, signal);
    if (learning) await learning;
    let result: ApplyResult;
    try {
      result = await this.withRetry(prepared.apply, signal);
    } catch (err) {
      if (!(err instanceof LiveStoreRefusal)) throw err;
      this.options.log.error({ err: err.message, topic }, 'the live store refused an event');
      return this.reject(topic, { reason: 'store_refused', message: err.message }, payload, publisher);
    }
    const { metrics } = this.options;
    metrics.countAccepted(parsedTopic.kind, result.outcome);
    if (result.outcome === 'applied') {
      metrics.ingestLag.observe(Math.max(0, this.clock() - prepared.ts) / 1000);
      if (result.state.clamped) metrics.clamped.inc();
      this.options.bus?.emit('lot.applied', [{ id: lot.id, state: result.state }]);
    }
    return { status: result.outcome, kind: parsedTopic.kind, lotId: lot.id };
  }

  /** Parses a lot topic's payload into an event, and the store call that applies it. */
  private prepare(
    topic: LotTopic,
    lot: LotMeta,
    payload: Uint8Array,
    receivedAt: number,
  ): Rejection | { ts: number; apply: () => Promise<ApplyResult> } {
    const { store } = this.options;
    const capacity = lot.capacity;
    switch (topic.kind) {
      case 'count': {
        const event = parseCountEvent(lot.id, payload, receivedAt);
        return isRejection(event) ? event : { ts: event.ts, apply: () => store.applyCount(event, capacity) };
      }
      case 'gate': {
        const event = parseGateEvent(lot.id, payload, receivedAt);
        return isRejection(event) ? event : { ts: event.ts, apply: () => store.applyGate(event, capacity) };
      }
      case 'space': {
        const event = parseSpaceEvent(lot.id, topic.spaceId, payload, receivedAt);
        return isRejection(event) ? event : { ts: event.ts, apply: () => store.applySpace(event, capacity) };
      }
      case 'heartbeat': {
        const event = parseHeartbeatEvent(lot.id, payload, receivedAt);
        return isRejection(event) ? event : { ts: event.ts, apply: () => store.applyHeartbeat(event, capacity) };
      }
    }
  }

  /**
   * A gateway's status: recorded, and its lots (assigned by operators, or
   * learned from its traffic) turn stale while it is offline.
   */
  private async handleStatus(
    topic: string,
    gatewayId: string,
    payload: Uint8Array,
    receivedAt: number,
    publisher: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<IngestResult> {
    const event = parseStatusEvent(gatewayId, payload, receivedAt);
    if (isRejection(event)) return this.reject(topic, event, payload, publisher);
    const { store, catalog, metrics } = this.options;
    const assigned = this.options.assignedLots;
    const [fromSql, fromTraffic] = await Promise.all([
      assigned ? this.withRetry(() => assigned.lotIdsOf(gatewayId), signal) : [],
      this.withRetry(() => store.gatewayLots(gatewayId), signal),
    ]);
    const lots = [...new Set([...fromSql, ...fromTraffic])].flatMap((id) => catalog.get(id) ?? []);
    await this.withRetry(() => store.setGatewayStatus(gatewayId, event.online), signal);
    const changed: AppliedLot[] = [];
    for (const lot of lots) {
      const result = await this.withRetry(() => store.setLotOffline(lot.id, !event.online, event.receivedAt, lot.capacity), signal);
      if (result.outcome === 'applied') changed.push({ id: lot.id, state: result.state });
    }
    metrics.countAccepted('status', 'applied');
    if (changed.length > 0) this.options.bus?.emit('lot.applied', changed);
    this.options.bus?.emit('gateway.status', { gatewayId, online: event.online });
    const lotIds = changed.map((lot) => lot.id);
    this.options.log.info({ gateway: gatewayId, online: event.online, lots: lotIds }, `gateway ${event.online ? 'online' : 'offline'}`);
    return { status: 'applied', kind: 'status', gatewayId, online: event.online, lotIds };
  }

  /**
   * Remembers that a publisher sends for a lot (once per process for each
   * pair); undefined, nothing to wait for, when the pair is known already or
   * the publisher is not an id.
   */
  private learn(publisher: string, lotId: string, signal: AbortSignal | undefined): Promise<void> | undefined {
    const pair = `${publisher}\n${lotId}`;
    if (this.learned.has(pair) || !isValidId(publisher)) return undefined;
    return this.withRetry(() => this.options.store.addGatewayLot(publisher, lotId), signal).then(() => {
      if (this.learned.size >= LEARNED_CACHE_MAX) this.learned.clear();
      this.learned.add(pair);
    });
  }

  private reject(topic: string, rejection: Rejection, payload: Uint8Array, publisher: string | undefined): RejectedMessage {
    const result = { status: 'rejected' as const, topic, ...rejection };
    this.options.metrics.eventsRejected.inc({ reason: rejection.reason });
    // Sampled: a client sending garbage in a loop must not flood the log (the metric counts every one).
    this.rejectLog.write(rejection.reason, () =>
      this.options.log.warn(
        {
          topic: topic.slice(0, ERROR_PAYLOAD_EXCERPT),
          reason: rejection.reason,
          publisher: publisher?.slice(0, ERROR_PAYLOAD_EXCERPT),
          payload: payloadText(payload.subarray(0, ERROR_PAYLOAD_EXCERPT)),
        },
        `rejected MQTT message: ${rejection.message}`,
      ),
    );
    this.options.bus?.emit('message.rejected', result, payload, publisher);
    return result;
  }

  /**
   * Runs a live-store (or SQL) command until it succeeds. While the store is
   * down the caller waits, so the transport acknowledges nothing and the
   * broker keeps the messages: ingestion pauses instead of losing events.
   * A caller that cannot wait forever (HTTP ingest) passes a signal: once it
   * is aborted no further attempt is made (a command already sent may still
   * commit, which a resent seq recognises).
   */
  private async withRetry<T>(command: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new IngestStoppedError();
      if (signal?.aborted) throw new IngestAbortedError();
      try {
        return await command();
      } catch (err) {
        if (err instanceof LiveStoreRefusal) throw err; // for good: retrying cannot help
        if (this.stopping) throw new IngestStoppedError();
        if (signal?.aborted) throw new IngestAbortedError();
        this.options.metrics.storeRetries.inc();
        if (attempt === 1 || attempt % 20 === 0) {
          this.options.log.error({ err: (err as Error).message, attempt }, 'live store unavailable: ingestion paused, retrying');
        }
        const wakeUp = new AbortController();
        this.wakeUps.add(wakeUp);
        const wake = signal ? AbortSignal.any([wakeUp.signal, signal]) : wakeUp.signal;
        await sleep(Math.min(50 * attempt, MAX_RETRY_DELAY_MS), undefined, { signal: wake }).catch(() => {});
        this.wakeUps.delete(wakeUp);
      }
    }
  }
}
