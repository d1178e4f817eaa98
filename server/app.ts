// The composition root: builds every part from the configuration, wires them
// along the data path (DESIGN.md §1), starts them in order and stops them in
// reverse. Tests use it exactly as server/main.ts does.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { seedLots } from '../db/seed.ts';
import { GatewayAuth } from './auth/gateway-auth.ts';
import { OperatorRepository } from './auth/operators.ts';
import { GatewayAdmin } from './catalog/gateway-admin.ts';
import { LotAdmin } from './catalog/lot-admin.ts';
import { Catalog } from './catalog/catalog.ts';
import { CatalogSync } from './cluster/catalog-sync.ts';
import { GatewayRepository } from './catalog/gateways.ts';
import { createDatabase, describeDatabase, migrate, pingDatabase } from './catalog/db.ts';
import { redactUrl, type Config } from './config.ts';
import { isContractTopic } from './domain/events.ts';
import { createHttpApp } from './http/app.ts';
import { AvailabilityOutput } from './ingest/availability-output.ts';
import { EmbeddedBroker, PortInUseError } from './ingest/embedded-broker.ts';
import { ErrorFeedbackPublisher } from './ingest/error-feedback.ts';
import { Ingest } from './ingest/ingest.ts';
import { MqttClientTransport, sharedGroupFor } from './ingest/mqtt-client.ts';
import type { MqttTransport } from './ingest/transport.ts';
import { MemoryLiveStore } from './live/memory-store.ts';
import { RedisLiveStore } from './live/redis-store.ts';
import { StaleWatch } from './live/stale-watch.ts';
import type { DependencyHealth, LiveStore } from './live/store.ts';
import type { Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { LiveMirror } from './query/live-mirror.ts';
import { LotViews } from './query/lot-views.ts';
import { OpeningHoursWatch } from './realtime/opening-hours-watch.ts';
import { Realtime } from './realtime/realtime.ts';

export { PortInUseError };

export interface KongweiOptions {
  config: Config;
  log: Logger;
  clock?: () => number;
  /** Collect Node.js process metrics (off in tests: one process, many services). */
  processMetrics?: boolean;
}

export class Kongwei {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly db: Knex;
  readonly catalog: Catalog;
  readonly store: LiveStore;
  readonly mqtt: MqttTransport;
  readonly ingest: Ingest;
  readonly views: LotViews;
  readonly operators: OperatorRepository;
  readonly lotAdmin: LotAdmin;
  readonly gatewayAdmin: GatewayAdmin;
  /** Checks gateway credentials on the embedded broker (MQTT_AUTH=on). */
  readonly gatewayAuth: GatewayAuth | undefined;
  readonly availability: AvailabilityOutput;
  readonly staleWatch: StaleWatch;
  /** With Redis, several instances may share the database: lot writes reach every instance's catalog. */
  readonly catalogSync: CatalogSync | undefined;
  private readonly mirror: LiveMirror | undefined;
  private readonly httpServer: HttpServer;
  private realtime: Realtime | undefined;
  /** Pushes lots that opened or closed by their opening hours (exposed for tests to drive with a clock). */
  openingHoursWatch: OpeningHoursWatch | undefined;
  private readonly clock: (() => number) | undefined;
  private started = false;

  constructor(options: KongweiOptions) {
    const { config, log } = options;
    this.config = config;
    this.log = log;
    this.clock = options.clock;
    this.metrics = new Metrics({ defaultMetrics: options.processMetrics ?? false });
    this.db = createDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    this.catalog = new Catalog(this.db);
    this.store = config.REDIS_URL
      ? new RedisLiveStore({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          onConnectionChange: (up, detail) =>
            up ? log.info('live store (Redis) connected') : log.warn({ detail }, 'live store (Redis) connection lost'),
        })
      : new MemoryLiveStore();
    this.operators = new OperatorRepository(this.db, config.ADMIN_TOKEN);
    this.lotAdmin = new LotAdmin({ db: this.db, catalog: this.catalog, store: this.store, log });
    const reloadGateways = () =>
      void this.gatewayAuth?.reload().catch((err: Error) => log.error({ err: err.message }, 'could not reload gateway credentials'));
    this.gatewayAdmin = new GatewayAdmin({ db: this.db, lots: this.lotAdmin, audit: this.lotAdmin.audit, onChange: reloadGateways });
    this.gatewayAuth =
      config.MQTT_AUTH && !config.MQTT_URL ? new GatewayAuth({ baseTopic: config.MQTT_BASE_TOPIC, source: this.gatewayAdmin, log }) : undefined;
    // A deleted lot takes its gateway links with it (ON DELETE CASCADE): the broker must forget them too.
    this.catalog.on('change', (change) => {
      if (change.kind === 'removed') reloadGateways();
    });
    this.mqtt = config.MQTT_URL
      ? new MqttClientTransport({
          url: config.MQTT_URL,
          clientId: config.MQTT_CLIENT_ID,
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
          log,
          connections: config.MQTT_INGEST_CONNECTIONS,
          inFlight: config.MQTT_INGEST_INFLIGHT,
          sharedGroup: sharedGroupFor(config.MQTT_INGEST_CONNECTIONS, config.MQTT_SHARED_GROUP),
        })
      : new EmbeddedBroker({
          port: config.MQTT_PORT,
          host: config.MQTT_HOST,
          log,
          claims: (topic) => isContractTopic(config.MQTT_BASE_TOPIC, topic),
          ...(this.gatewayAuth ? { auth: this.gatewayAuth } : {}),
        });
    this.metrics.trackGatewaysOnline(() => this.store.gatewaysOnline());
    const clock = options.clock ? { clock: options.clock } : {};
    // With Redis, searches and snapshots read a mirror of the feed in memory, not Redis (query/live-mirror.ts).
    this.mirror = this.store.kind === 'redis' ? new LiveMirror({ store: this.store, catalog: this.catalog, log }) : undefined;
    this.views = new LotViews({
      catalog: this.catalog,
      store: this.store,
      ...(this.mirror ? { bulk: this.mirror } : {}),
      staleAfterS: config.STALE_AFTER_S,
      timeZone: config.TIME_ZONE,
      ...clock,
    });
    const publish = this.mqtt.publish.bind(this.mqtt);
    this.availability = new AvailabilityOutput({
      baseTopic: config.MQTT_BASE_TOPIC,
      catalog: this.catalog,
      views: this.views,
      publish,
      intervalMs: config.PUSH_INTERVAL_MS,
      log,
      metrics: this.metrics,
    });
    const errors = new ErrorFeedbackPublisher({ baseTopic: config.MQTT_BASE_TOPIC, publish, metrics: this.metrics, ...clock });
    const gateways = new GatewayRepository(this.db);
    this.ingest = new Ingest({
      baseTopic: config.MQTT_BASE_TOPIC,
      catalog: this.catalog,
      store: this.store,
      log,
      metrics: this.metrics,
      assignedLots: (gatewayId) => gateways.lotIdsOf(gatewayId),
      onRejected: (result, payload, publisher) => errors.report(result, payload, publisher),
      onApplied: (lotIds) => this.availability.schedule(lotIds),
      ...clock,
    });
    this.catalogSync = config.REDIS_URL
      ? new CatalogSync({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, catalog: this.catalog, log })
      : undefined;
    // The retained availability follows operators' writes too: the instance that made the write
    // publishes it (or clears it, for a deleted lot).
    this.catalog.on('change', (change, origin) => {
      if (change.kind === 'removed') this.staleWatch.forget(change.lot.id);
      if (origin !== 'local') return;
      if (change.kind === 'removed') this.availability.remove(change.lot.id);
      else this.availability.schedule([change.lot.id]);
    });
    this.staleWatch = new StaleWatch({
      catalog: this.catalog,
      store: this.store,
      staleAfterS: config.STALE_AFTER_S,
      log,
      metrics: this.metrics,
      onStale: (lotId) => this.availability.schedule([lotId]),
      ...clock,
    });
    this.httpServer = createServer();
  }

  get httpPort(): number {
    return (this.httpServer.address() as AddressInfo | null)?.port ?? this.config.PORT;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start(): Promise<void> {
    const { config, log } = this;
    try {
      await migrate(this.db);
      const seeded = await this.catalog.start(config.SEED_LOTS ? seedLots() : []);
      log.info({ database: describeDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }), lots: this.catalog.size, seeded }, 'catalog ready');
    } catch (err) {
      throw new Error(
        `could not open the SQL database ${config.DATABASE_URL ? `at DATABASE_URL=${redactUrl(config.DATABASE_URL)}` : `in DATA_DIR=${config.DATA_DIR}`}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      await this.store.start();
      await this.catalogSync?.start();
      await this.mirror?.start();
    } catch (err) {
      throw new Error(`could not connect to Redis at REDIS_URL=${redactUrl(config.REDIS_URL)}: ${(err as Error).message}`, { cause: err });
    }

    await this.gatewayAuth?.start();
    if (config.MQTT_AUTH && config.MQTT_URL) {
      log.info('MQTT_AUTH=on applies to the embedded broker; with MQTT_URL, your broker checks gateways (npm run gateways -- mosquitto-passwd / mosquitto-acl)');
    }
    const app = await createHttpApp({
      views: this.views,
      metrics: this.metrics,
      log,
      web: {
        tileUrl: config.TILE_URL,
        tileAttribution: config.TILE_ATTRIBUTION,
        staleAfterS: config.STALE_AFTER_S,
        timeZone: config.TIME_ZONE,
        ...(this.clock ? { clock: this.clock } : {}),
      },
      health: () => this.health(),
      trustProxy: config.TRUST_PROXY,
      operators: {
        operators: this.operators,
        lots: this.lotAdmin,
        gateways: this.gatewayAdmin,
        views: this.views,
        catalog: this.catalog,
        baseTopic: config.MQTT_BASE_TOPIC,
        brokerUrl: (req) => this.brokerUrlFor(req.hostname),
        mqttAuth: config.MQTT_AUTH,
        gatewayOnline: (id) => this.gatewayAuth?.isOnline(id) ?? null,
        writesPerMinute: config.WRITE_RATE_LIMIT,
        authFailuresPer15Minutes: config.AUTH_FAILURE_LIMIT,
      },
    });
    this.httpServer.on('request', app);
    this.realtime = new Realtime({
      httpServer: this.httpServer,
      catalog: this.catalog,
      store: this.store,
      views: this.views,
      pushIntervalMs: config.PUSH_INTERVAL_MS,
      log,
      metrics: this.metrics,
    });
    this.realtime.start();
    const realtime = this.realtime;
    this.openingHoursWatch = new OpeningHoursWatch({
      catalog: this.catalog,
      timeZone: config.TIME_ZONE,
      onFlip: (ids) => {
        void realtime.refresh(ids);
        this.availability.schedule(ids);
      },
      ...(this.clock ? { clock: this.clock } : {}),
    });
    this.openingHoursWatch.start();

    await this.staleWatch.start();
    this.ingest.start();
    await this.mqtt.start(this.ingest.subscriptions, async (topic, payload, publisher) => {
      const result = await this.ingest.handle(topic, payload, publisher);
      return { refuse: result.status === 'rejected' && result.reason === 'reserved_topic' };
    });
    this.availability.start();

    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new PortInUseError(`PORT ${config.PORT} is already in use; set PORT to a free port`)
            : err,
        ),
      );
      this.httpServer.listen(config.PORT, config.HOST, () => resolve());
    });
    this.started = true;
    log.info(
      { http: `http://localhost:${this.httpPort}`, mqtt: this.mqtt.kind === 'embedded' ? `embedded, port ${(this.mqtt as EmbeddedBroker).port}` : redactUrl(this.mqtt.url), live: this.store.kind },
      `Kongwei is up: the map is at http://localhost:${this.httpPort}`,
    );
  }

  /** Stops in reverse order: no new requests, no new events, then the stores. Safe to call twice. */
  async stop(): Promise<void> {
    const closing = new Promise<void>((resolve) => {
      if (!this.httpServer.listening) return resolve();
      this.httpServer.close(() => resolve());
    });
    this.openingHoursWatch?.stop();
    this.ingest.stop();
    this.staleWatch.stop();
    await this.availability.stop();
    await this.mqtt.stop().catch((err) => this.log.warn({ err: (err as Error).message }, 'MQTT stop failed'));
    await this.realtime?.stop();
    this.httpServer.closeAllConnections();
    await closing;
    this.mirror?.stop();
    await this.catalogSync?.stop();
    await this.store.stop();
    await this.db.destroy();
    if (this.started) this.log.info('Kongwei stopped');
    this.started = false;
  }

  /**
   * The broker URL operators give their gateways: MQTT_PUBLIC_URL, else the
   * embedded broker's port on the host the operator reached us by, else MQTT_URL.
   */
  brokerUrlFor(hostname: string): string {
    if (this.config.MQTT_PUBLIC_URL) return this.config.MQTT_PUBLIC_URL;
    if (this.mqtt instanceof EmbeddedBroker) return `mqtt://${hostname.includes(':') ? `[${hostname}]` : hostname}:${this.mqtt.port}`;
    const url = new URL(this.mqtt.url);
    url.username = '';
    url.password = ''; // the service's own credentials; a gateway uses its id and secret
    return url.toString().replace(/\/$/, '');
  }

  async health(): Promise<Record<string, DependencyHealth>> {
    const sql: Promise<DependencyHealth> = pingDatabase(this.db).then(
      () => ({ ok: true, kind: this.config.DATABASE_URL ? 'postgresql' : 'sqlite' }),
      (err: Error) => ({ ok: false, kind: this.config.DATABASE_URL ? 'postgresql' : 'sqlite', detail: err.message }),
    );
    const [database, live, mqtt] = await Promise.all([sql, this.store.health(), this.mqtt.health()]);
    return { database, live, mqtt };
  }
}
