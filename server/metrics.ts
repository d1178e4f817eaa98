// Prometheus metrics (GET /metrics). One registry per service instance, so
// several instances in one process (tests) do not share counters.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly eventsAccepted = new Counter({
    name: 'kongwei_events_total',
    help: 'MQTT messages that passed validation, by kind (count, gate, space, heartbeat, status) and outcome (applied, duplicate, out_of_order, superseded)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly acceptedBy = new Map<string, { inc(): void }>();

  /** Counts an accepted message: its kind × outcome counter, looked up once (the ingest counts every message). */
  countAccepted(kind: string, outcome: string): void {
    const key = `${kind} ${outcome}`;
    let child = this.acceptedBy.get(key);
    if (!child) this.acceptedBy.set(key, (child = this.eventsAccepted.labels(kind, outcome)));
    child.inc();
  }

  readonly eventsRejected = new Counter({
    name: 'kongwei_events_rejected_total',
    help: 'MQTT messages rejected, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly clamped = new Counter({
    name: 'kongwei_counts_clamped_total',
    help: 'Applied counts outside 0..capacity, clamped',
    registers: [this.registry],
  });

  readonly ingestLag = new Histogram({
    name: 'kongwei_ingest_lag_seconds',
    help: "From the sensor's ts to the commit in the live store",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly storeRetries = new Counter({
    name: 'kongwei_live_store_retries_total',
    help: 'Live store commits retried because the store was unavailable (ingest paused)',
    registers: [this.registry],
  });

  readonly staleTransitions = new Counter({
    name: 'kongwei_stale_transitions_total',
    help: 'Lots that turned stale as time passed, announced by this instance',
    registers: [this.registry],
  });

  readonly availabilityPublished = new Counter({
    name: 'kongwei_availability_published_total',
    help: 'Retained lot availability messages published to the MQTT output',
    registers: [this.registry],
  });

  readonly errorFeedbackDropped = new Counter({
    name: 'kongwei_error_feedback_dropped_total',
    help: 'Rejections not echoed on an errors topic because of its rate limit',
    registers: [this.registry],
  });

  /** Where the number of gateways online comes from (the live store, shared by every instance). */
  private gatewaysOnlineSource: (() => Promise<number>) | undefined;

  readonly gatewaysOnline = new Gauge({
    name: 'kongwei_gateways_online',
    help: 'Gateways whose last status is online (the same on every instance: aggregate with max, not sum)',
    registers: [this.registry],
    collect: async () => {
      const source = this.gatewaysOnlineSource;
      if (!source) return;
      // While the store is away the gauge keeps its last value.
      await source().then((n) => this.gatewaysOnline.set(n), () => {});
    },
  });

  trackGatewaysOnline(source: () => Promise<number>): void {
    this.gatewaysOnlineSource = source;
  }

  readonly sessionsDrained = new Counter({
    name: 'kongwei_mqtt_sessions_drained_total',
    help: "Persistent MQTT sessions of stopped instances this instance took over, drained and closed",
    registers: [this.registry],
  });

  readonly sessionMessagesDrained = new Counter({
    name: 'kongwei_mqtt_session_messages_drained_total',
    help: 'Messages found waiting in the sessions of stopped instances and ingested here',
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'kongwei_webhook_attempts_total',
    help: 'Webhook delivery attempts by this instance, by outcome (delivered; failed: an answer other than 2xx, a timeout, an error; refused: the target is not allowed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveriesFailed = new Counter({
    name: 'kongwei_webhook_deliveries_failed_total',
    help: 'Webhook deliveries given up after WEBHOOK_MAX_ATTEMPTS failed attempts',
    registers: [this.registry],
  });

  readonly webhookDeliveriesQueued = new Counter({
    name: 'kongwei_webhook_deliveries_queued_total',
    help: 'Webhook deliveries this instance offered to the outbox, by event (instances that saw the same transition queue it once between them)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly socketClients = new Gauge({
    name: 'kongwei_socket_clients',
    help: 'Connected Socket.IO clients on this instance',
    registers: [this.registry],
  });

  /** Set at every major garbage collection: what the heap holds once the garbage is gone (a leak shows here, not in the sawtooth of heap used). */
  readonly heapAfterGc = new Gauge({
    name: 'kongwei_nodejs_heap_used_after_major_gc_bytes',
    help: 'V8 heap used right after the last major (mark-sweep-compact) garbage collection',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (!options.defaultMetrics) return;
    collectDefaultMetrics({ register: this.registry, prefix: 'kongwei_' });
    // An observer holds no handle: it does not keep the process alive.
    new PerformanceObserver((list) => {
      if (!list.getEntries().some((entry) => (entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
      this.heapAfterGc.set(process.memoryUsage().heapUsed);
    }).observe({ entryTypes: ['gc'] });
  }
}
