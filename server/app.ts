// The composition root: builds every part from the configuration, lists them
// in the order they start (DESIGN.md §1–2), and stops them in reverse. Wiring
// only: what a part does when a lot changes is in the part, which subscribes
// to the bus itself. Tests use it exactly as server/main.ts does.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { seedLots } from '../db/seed.ts';
import { AlertDetector } from './alerts/alert-detector.ts';
import { WebhookDispatcher } from './alerts/webhook-dispatcher.ts';
import { GatewayAuth } from './auth/gateway-auth.ts';
import { GatewayCredentials } from './auth/gateway-credentials.ts';
import { WebhookSecrets } from './auth/webhook-secrets.ts';
import { Bus } from './bus.ts';
import { AuditRepository } from './catalog/audit.ts';
import { Catalog } from './catalog/catalog.ts';
import { createDatabase, SqlDatabase } from './catalog/db.ts';
import { GatewayLinks } from './catalog/gateway-links.ts';
import { GatewayRepository } from './catalog/gateways.ts';
import { OperatorRepository } from './catalog/operators.ts';
import { LotRepository } from './catalog/repository.ts';
import { WebhookRepository } from './catalog/webhooks.ts';
import { CatalogSync } from './catalog/sync.ts';
import { OpeningHoursWatch } from './clock/opening-hours-watch.ts';
import { StaleWatch } from './clock/stale-watch.ts';
import { ForecastAccuracy } from './clock/forecast-accuracy.ts';
import { HistoryMaintenance } from './clock/history-maintenance.ts';
import { HistoryRecorder } from './clock/history-recorder.ts';
import { ForecastLog } from './history/forecast-log.ts';
import { HistoryRepository } from './history/repository.ts';
import { ForecastCurves } from './query/forecast-curves.ts';
import { ForecastViews } from './query/forecast-views.ts';
import { HistoryImport } from './manage/history-import.ts';
import { HistoryViews } from './query/history-views.ts';
import { isLoopbackHost, redactUrl, type Config } from './config.ts';
import { createHttpApp } from './http/app.ts';
import { clientIpResolver } from './http/client-ip.ts';
import { HttpListener } from './http/listener.ts';
import { EmbeddedBroker } from './ingest/embedded-broker.ts';
import { Ingest } from './ingest/ingest.ts';
import { MqttClientTransport, sharedGroupFor } from './ingest/mqtt-client.ts';
import { SessionRegistry } from './ingest/session-registry.ts';
import { SessionTakeover } from './ingest/session-takeover.ts';
import { gatewayBrokerUrl, type MqttTransport } from './ingest/transport.ts';
import { Parts, PortInUseError, type DependencyHealth, type NamedPart } from './lifecycle.ts';
import { LiveFeed } from './live/feed.ts';
import { MemoryLiveStore } from './live/memory-store.ts';
import { RedisLiveStore } from './live/redis-store.ts';
import type { LiveStore } from './live/store.ts';
import type { Logger } from './log.ts';
import { GatewayAdmin } from './manage/gateway-admin.ts';
import { LotAdmin } from './manage/lot-admin.ts';
import { LotImport } from './manage/lot-import.ts';
import { OperatorAccounts } from './manage/operators.ts';
import { WebhookAdmin } from './manage/webhook-admin.ts';
import { Metrics } from './metrics.ts';
import { LotViews } from './query/lot-views.ts';
import { AvailabilityOutput } from './realtime/availability-output.ts';
import { ErrorFeedbackPublisher } from './realtime/error-feedback.ts';
import { SocketOutput } from './realtime/sockets.ts';

export { PortInUseError };

/** The service's version (package.json), in the API description and the feeds. */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

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
  readonly bus: Bus;
  readonly db: Knex;
  readonly catalog: Catalog;
  readonly store: LiveStore;
  readonly mqtt: MqttTransport;
  /** Lots opening and closing by their hours (tests drive it with a clock: check()). */
  readonly openingHoursWatch: OpeningHoursWatch;
  /** Alerts for operators: what each webhook is told (tests: flush()), and its deliveries (tests drive retries with tick()). */
  readonly alerts: AlertDetector;
  readonly webhookDispatcher: WebhookDispatcher;
  /** Records history from the live store's logs (tests: flush()). */
  readonly historyRecorder: HistoryRecorder;
  /** Rolls history up and applies retention (tests: tick()). */
  readonly historyMaintenance: HistoryMaintenance;
  /** Keeps forecasts to measure them against what happened (tests: tick()). */
  readonly forecastAccuracy: ForecastAccuracy;
  private readonly sql: SqlDatabase;
  private readonly http: HttpListener;
  private readonly parts: Parts;
  private started = false;

  constructor(options: KongweiOptions) {
    const { config, log } = options;
    const clock = options.clock ? { clock: options.clock } : {};
    const redis = config.REDIS_CLUSTER_NODES
      ? { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES, keyPrefix: config.REDIS_KEY_PREFIX }
      : config.REDIS_URL
        ? { url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }
        : undefined;
    this.config = config;
    this.log = log;
    const metrics = (this.metrics = new Metrics({ defaultMetrics: options.processMetrics ?? false }));
    const bus = (this.bus = new Bus(log));

    // State: SQL (repositories and the catalog's cache) and the live store with its one follower.
    const databaseOptions = { databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log };
    const db = (this.db = createDatabase(databaseOptions));
    this.sql = new SqlDatabase(db, databaseOptions);
    const lotRepository = new LotRepository(db);
    const gatewayRepository = new GatewayRepository(db);
    const audit = new AuditRepository(db);
    const catalog = (this.catalog = new Catalog({ db, bus, seed: config.SEED_LOTS ? seedLots() : [] }));
    const gatewayLinks = new GatewayLinks(gatewayRepository, log);
    const store = (this.store = redis
      ? new RedisLiveStore({
          ...redis,
          history: config.HISTORY_RECORDING,
          onConnectionChange: (up, detail) => (up ? log.info('live store (Redis) connected') : log.warn({ detail }, 'live store (Redis) connection lost')),
        })
      : new MemoryLiveStore(options.clock, config.HISTORY_RECORDING));
    const feed = new LiveFeed({ store, bus, lotIds: () => catalog.ids(), log });
    const catalogSync = redis ? new CatalogSync({ ...redis, catalog, bus, log }) : undefined;
    metrics.trackGatewaysOnline(() => store.gatewaysOnline());

    // Use cases.
    const operators = new OperatorAccounts(db, config.ADMIN_TOKEN, bus);
    const lotAdmin = new LotAdmin({ db, lots: lotRepository, audit, catalog, store, bus, log, ...clock });
    const lotImport = new LotImport({ db, lots: lotRepository, audit, admin: lotAdmin, log });
    const gatewayAdmin = new GatewayAdmin({ db, gateways: gatewayRepository, lots: lotRepository, audit, bus });
    // History and forecasts (DESIGN.md §7): the search's arriveAt reads the forecasts.
    const history = new HistoryRepository(db);
    const instanceId = randomUUID();
    const forecastLog = new ForecastLog(db);
    const forecasts = new ForecastViews({ history, catalog, forecastLog, timeZone: config.TIME_ZONE, ...clock });
    const arrivals = new ForecastCurves({ forecasts, catalog, ...clock });
    const views = new LotViews({ catalog, store, bulk: feed, staleAfterS: config.STALE_AFTER_S, timeZone: config.TIME_ZONE, arrivals, ...clock });
    const webhookRepository = new WebhookRepository(db);
    const webhookSecrets = new WebhookSecrets({ key: config.WEBHOOK_SECRET_KEY, dataDir: config.DATA_DIR });
    const webhookTargets = { allow: config.WEBHOOK_ALLOW_PRIVATE };
    const webhookAdmin = new WebhookAdmin({ repository: webhookRepository, secrets: webhookSecrets, bus, target: webhookTargets, maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, ...clock });

    // Inputs: MQTT, timers, HTTP.
    // Gateway credentials: HTTP ingest always checks them, the embedded broker with MQTT_AUTH=on.
    const gatewayCredentials = new GatewayCredentials({ baseTopic: config.MQTT_BASE_TOPIC, source: gatewayRepository, bus, log, ...clock });
    const gatewayAuth = config.MQTT_AUTH && !config.MQTT_URL ? new GatewayAuth({ baseTopic: config.MQTT_BASE_TOPIC, credentials: gatewayCredentials, log, ...clock }) : undefined;
    const brokerLimits = {
      maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
      maxConnectBytes: config.MQTT_MAX_CONNECT_BYTES,
      connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS,
      maxConnectionsPerIp: config.MQTT_MAX_CONNECTIONS_PER_IP,
      authFailuresPerMinute: config.MQTT_AUTH_FAILURES_PER_MINUTE,
    };
    const sharedGroup = sharedGroupFor(config.MQTT_INGEST_CONNECTIONS, config.MQTT_SHARED_GROUP);
    const mqtt = (this.mqtt = config.MQTT_URL
      ? new MqttClientTransport({
          url: config.MQTT_URL,
          clientId: config.MQTT_CLIENT_ID,
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
          log,
          connections: config.MQTT_INGEST_CONNECTIONS,
          inFlight: config.MQTT_INGEST_INFLIGHT,
          sharedGroup,
        })
      : new EmbeddedBroker({
          port: config.MQTT_PORT, host: config.MQTT_HOST, baseTopic: config.MQTT_BASE_TOPIC, log, limits: brokerLimits, ...clock, ...(gatewayAuth ? { auth: gatewayAuth } : {}),
        }));
    const ingest = new Ingest({ baseTopic: config.MQTT_BASE_TOPIC, catalog, store, bus, log, metrics, assignedLots: gatewayLinks, ...clock });
    // With a shared group on an external broker: a stopped instance's sessions are drained by the others (DESIGN.md §3).
    const sessionTakeover =
      config.MQTT_URL && redis && sharedGroup !== null
        ? new SessionTakeover({
            registry: new SessionRegistry({ ...redis, leaseMs: 10_000 }),
            url: config.MQTT_URL,
            username: config.MQTT_USERNAME,
            password: config.MQTT_PASSWORD,
            clientId: config.MQTT_CLIENT_ID,
            connections: config.MQTT_INGEST_CONNECTIONS,
            inFlight: config.MQTT_INGEST_INFLIGHT,
            baseTopic: config.MQTT_BASE_TOPIC,
            subscriptions: ingest.subscriptions,
            sharedGroup,
            handler: ingest.receive,
            log,
            metrics,
          })
        : undefined;
    this.historyRecorder = new HistoryRecorder({
      store, catalog, history, bus, log, staleAfterS: config.STALE_AFTER_S, timeZone: config.TIME_ZONE, instanceId, ...clock,
    });
    const historyMaintenance = (this.historyMaintenance = new HistoryMaintenance({
      history, store, log, instanceId, retentionDays: config.HISTORY_RETENTION_DAYS, hourlyRetentionDays: config.HISTORY_HOURLY_RETENTION_DAYS, ...clock,
    }));
    const historyViews = new HistoryViews({
      history, catalog, staleAfterS: config.STALE_AFTER_S, timeZone: config.TIME_ZONE, retentionDays: config.HISTORY_RETENTION_DAYS, ...clock,
    });
    const historyImport = new HistoryImport({ history, lots: lotRepository, catalog, staleAfterS: config.STALE_AFTER_S, timeZone: config.TIME_ZONE, ...clock });
    const forecastAccuracy = (this.forecastAccuracy = new ForecastAccuracy({ forecasts, forecastLog, history, catalog, store, log, instanceId, ...clock }));
    // Outputs: alerts for operators (webhooks), decided here and delivered from the SQL outbox.
    const webhookDispatcher = (this.webhookDispatcher = new WebhookDispatcher({
      webhooks: webhookRepository, secrets: webhookSecrets, bus, log, metrics, target: webhookTargets,
      retry: { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, baseMs: config.WEBHOOK_RETRY_BASE_MS, maxMs: config.WEBHOOK_RETRY_MAX_MS },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS, pollMs: config.WEBHOOK_POLL_MS, retentionDays: config.WEBHOOK_RETENTION_DAYS,
      instanceId, userAgent: `Kongwei-Webhooks/${VERSION}`, ...clock,
    }));
    this.alerts = new AlertDetector({
      bus, feed, catalog, webhooks: webhookRepository, lots: lotRepository, audit, gateways: gatewayRepository, operators: new OperatorRepository(db),
      adminToken: config.ADMIN_TOKEN !== undefined, log, metrics, queued: () => webhookDispatcher.wake(), ...clock,
    });
    const staleWatch = new StaleWatch({ catalog, store, feed, bus, staleAfterS: config.STALE_AFTER_S, metrics, ...clock });
    this.openingHoursWatch = new OpeningHoursWatch({ catalog, bus, timeZone: config.TIME_ZONE, ...clock });
    const httpServer = createServer();
    this.http = new HttpListener({
      server: httpServer,
      port: config.PORT,
      host: config.HOST,
      createApp: () =>
        createHttpApp({
          views,
          history: { history: historyViews, catalog },
          forecasts,
          metrics,
          log,
          web: {
            tileUrl: config.TILE_URL,
            tileAttribution: config.TILE_ATTRIBUTION,
            tileSubdomains: config.TILE_SUBDOMAINS,
            tileMaxZoom: config.TILE_MAX_ZOOM,
            tileCrs: config.TILE_CRS,
            ...(config.TILE_LABELS_URL ? { tileLabelsUrl: config.TILE_LABELS_URL } : {}),
            staleAfterS: config.STALE_AFTER_S,
            timeZone: config.TIME_ZONE,
            ...clock,
          },
          health: () => this.health(),
          feeds: { cityId: config.CITY_ID, cityName: config.CITY_NAME },
          version: VERSION,
          ...clock,
          trustProxy: config.TRUST_PROXY,
          ingest: {
            baseTopic: config.MQTT_BASE_TOPIC,
            ingest: (topic, payload, publisher, signal) => ingest.handle(topic, payload, publisher, { signal }),
            credentials: gatewayCredentials,
            perMinute: config.HTTP_INGEST_RATE_LIMIT,
            waitMs: config.HTTP_INGEST_WAIT_MS,
            authFailuresPer15Minutes: config.AUTH_FAILURE_LIMIT,
            log,
          },
          ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
          operators: {
            operators,
            lots: lotAdmin,
            imports: lotImport,
            historyImport,
            gateways: gatewayAdmin,
            webhooks: webhookAdmin,
            views,
            catalog,
            baseTopic: config.MQTT_BASE_TOPIC,
            brokerUrl: (req) => gatewayBrokerUrl(mqtt, config.MQTT_PUBLIC_URL, req.hostname),
            // With an external broker, what the admin declared (it checks the ACLs, not us).
            mqttAuth: config.MQTT_URL ? config.MQTT_AUTH_EXPLICIT && config.MQTT_AUTH : config.MQTT_AUTH,
            gatewayOnline: (id) => gatewayAuth?.isOnline(id) ?? null,
            writesPerMinute: config.WRITE_RATE_LIMIT,
            authFailuresPer15Minutes: config.AUTH_FAILURE_LIMIT,
          },
        }),
    });

    // Outputs: sockets, the retained availability, the errors topic.
    const publish = mqtt.publish.bind(mqtt);
    const outputs = { bus, log, metrics };
    const sockets = new SocketOutput({
      httpServer, catalog, feed, views, pushIntervalMs: config.PUSH_INTERVAL_MS, socketsPerIp: config.SOCKETS_PER_IP, clientIp: clientIpResolver(config.TRUST_PROXY), ...outputs,
    });
    const availability = new AvailabilityOutput({ baseTopic: config.MQTT_BASE_TOPIC, catalog, views, feed, publish, intervalMs: config.AVAILABILITY_INTERVAL_MS, ...outputs });
    const errors = new ErrorFeedbackPublisher({ baseTopic: config.MQTT_BASE_TOPIC, bus, publish, metrics, ...clock });

    const sqlFailure = (err: Error) =>
      `could not open the SQL database ${config.DATABASE_URL ? `at DATABASE_URL=${redactUrl(config.DATABASE_URL)}` : `in DATA_DIR=${config.DATA_DIR}`}: ${err.message}`;
    const redisFailure = (err: Error) =>
      `could not connect to ${config.REDIS_CLUSTER_NODES ? `the Redis Cluster at REDIS_CLUSTER_NODES=${config.REDIS_CLUSTER_NODES.join(',')}` : `Redis at REDIS_URL=${redactUrl(config.REDIS_URL)}`}: ${err.message}`;
    const list: (NamedPart | false | undefined)[] = [
      { name: 'sql', part: this.sql, failure: sqlFailure },
      { name: 'catalog', part: catalog, failure: sqlFailure },
      { name: 'gateway links', part: gatewayLinks, failure: sqlFailure },
      // Every lot's search keys (names in pinyin), made before the first driver types.
      { name: 'search keys', part: { start: () => views.prepareSearch(), stop: () => {} } },
      { name: 'live store', part: store, failure: redisFailure },
      catalogSync && { name: 'catalog sync', part: catalogSync, failure: redisFailure },
      { name: 'live feed', part: feed, failure: redisFailure },
      { name: 'bay kinds', part: { start: () => lotAdmin.syncBayKinds(), stop: () => {} }, failure: redisFailure },
      // Stopped after ingest: its last round records what ingest applied before it stopped.
      { name: 'history recorder', part: { start: () => this.historyRecorder.start(), stop: () => this.historyRecorder.stop({ flush: true }) } },
      // Before MQTT: the retained gateway statuses it brings at start are heard. Stopped after ingest: what it applied is queued.
      { name: 'alerts', part: this.alerts, failure: sqlFailure },
      { name: 'webhooks', part: webhookDispatcher },
      { name: 'gateway credentials', part: gatewayCredentials },
      gatewayAuth && { name: 'gateway auth', part: gatewayAuth },
      { name: 'errors topic', part: errors },
      // Before the MQTT connections: this instance's sessions are its own again before it connects.
      sessionTakeover && { name: 'mqtt sessions', part: sessionTakeover, failure: redisFailure },
      { name: 'mqtt', part: { start: () => mqtt.start(ingest.subscriptions, ingest.receive), stop: () => mqtt.stop() } },
      { name: 'availability', part: availability },
      { name: 'stale watch', part: staleWatch },
      // Stopped before the broker connection: a message still being applied is not acknowledged, and the broker keeps it.
      { name: 'ingest', part: ingest },
      { name: 'opening hours', part: this.openingHoursWatch },
      { name: 'history upkeep', part: historyMaintenance },
      { name: 'forecast accuracy', part: forecastAccuracy },
      { name: 'http', part: this.http },
      // Stopped first: sockets close before the HTTP server waits for its connections.
      { name: 'sockets', part: sockets },
    ];
    this.parts = new Parts(list.filter((p): p is NamedPart => !!p), log);
  }

  get httpPort(): number {
    return this.http.port;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start(): Promise<void> {
    const { config, log } = this;
    if (config.MQTT_AUTH && config.MQTT_URL && config.MQTT_AUTH_EXPLICIT) {
      log.info('MQTT_AUTH=on applies to the embedded broker; with MQTT_URL, your broker checks gateways (npm run gateways -- mosquitto-passwd / mosquitto-acl)');
    }
    if (!config.MQTT_URL && !config.MQTT_AUTH) this.warnAnonymous();
    await this.parts.start();
    this.started = true;
    log.info({ database: this.sql.describe(), lots: this.catalog.size, seeded: this.catalog.seeded }, 'catalog ready');
    log.info(
      { http: `http://localhost:${this.httpPort}`, mqtt: this.mqtt instanceof EmbeddedBroker ? `embedded, port ${this.mqtt.port}` : redactUrl(this.mqtt.url), live: this.store.kind },
      `Kongwei is up: the map is at http://localhost:${this.httpPort}`,
    );
  }

  /**
   * Without gateway auth, anyone who reaches the embedded broker can publish
   * counts and statuses for any lot: said loudly at every start, and on the
   * console too when the broker is reachable from the network.
   */
  private warnAnonymous(): void {
    const { MQTT_HOST: host, MQTT_PORT: port } = this.config;
    if (isLoopbackHost(host)) {
      this.log.warn({ mqttHost: host }, `MQTT_AUTH is off: any program on this machine can publish to the embedded broker (${host}) without credentials. Gateways on other machines cannot reach it; to take them, set MQTT_HOST=0.0.0.0, and MQTT_AUTH is then on unless you turn it off.`);
      return;
    }
    const message =
      `WARNING: MQTT_AUTH=off and the embedded broker listens on ${host}:${port}: anyone who can reach that port can publish counts for any lot, ` +
      `publish any gateway's offline, and read every message. Set MQTT_AUTH=on (the default) and give gateways credentials, or MQTT_HOST=127.0.0.1.`;
    this.log.warn({ mqttHost: host, mqttAuth: false }, message);
    console.warn(`kongwei: ${message}`);
  }

  /** Stops every part in reverse order: no new requests or events, then the stores. Safe to call twice. */
  async stop(): Promise<void> {
    await this.parts.stop();
    if (this.started) this.log.info('Kongwei stopped');
    this.started = false;
  }

  async health(): Promise<Record<string, DependencyHealth>> {
    const [database, live, mqtt] = await Promise.all([this.sql.health(), this.store.health(), this.mqtt.health()]);
    return { database, live, mqtt };
  }
}
