// Gateway authentication for the embedded broker (MQTT_AUTH=on): a gateway
// connects with username = its id and password = its secret, and may publish
// only for the lots assigned to it (domain/gateway-topics.ts).
//
// Credentials come from the shared cache (gateway-credentials.ts, also HTTP
// ingest's), so a publish costs no SQL query; a revoked gateway's connections
// are closed when the cache reloads.
import type { Client, Subscription } from 'aedes';
import { gatewayTopics, mayPublish, maySubscribe, type GatewayTopics } from '../domain/gateway-topics.ts';
import { LogSampler, type Logger } from '../log.ts';
import type { GatewayCredentials } from './gateway-credentials.ts';

export type { GatewayCredentialSource } from './gateway-credentials.ts';

/** What the embedded broker asks of an authenticator (aedes' hooks, narrowed). */
export interface BrokerAuth {
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (error: (Error & { returnCode: number }) | null, success: boolean | null) => void): void;
  /** Why this client may not publish on this topic, or null when it may. */
  refusePublish(client: Client | null, topic: string): Error | null;
  authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void;
  clientReady(client: Client): void;
  clientGone(client: Client): void;
  /** The gateway an authenticated connection belongs to (its username). */
  gatewayIdOf(client: Client): string | undefined;
}

/** MQTT CONNACK return code 2 (v3.1.1): identifier rejected. */
const IDENTIFIER_REJECTED = 2;
/** MQTT CONNACK return code 4 (v3.1.1): bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;

export class GatewayAuth implements BrokerAuth {
  /** Which gateway each authenticated connection is. */
  private readonly gatewayOf = new WeakMap<Client, string>();
  /** Connections being closed because their gateway lost its credentials: only their status (the Last Will) may pass. */
  private readonly cutOff = new WeakMap<Client, GatewayTopics>();
  /** Live connections per gateway: whether a gateway is online, and whom to drop when revoked. */
  private readonly connections = new Map<string, Set<Client>>();
  private unsubscribe: (() => void) | undefined;
  /** Refused connections are logged, but a flood of them is not one line per try. */
  private readonly refusals: LogSampler;

  constructor(private readonly options: { baseTopic: string; credentials: GatewayCredentials; log: Logger; clock?: () => number }) {
    this.refusals = new LogSampler({ log: options.log, what: 'refused MQTT connections not logged', perInterval: 20, intervalMs: 60_000, level: 'info', ...(options.clock ? { clock: options.clock } : {}) });
  }

  /**
   * Drops a revoked (or disabled operator's) gateway's connections whenever
   * the credentials reload (they start before this part). Its Last Will still
   * goes out — the broker publishes it as it closes the connection — so its
   * lots turn stale at once instead of showing its last count as fresh.
   */
  start(): void {
    this.unsubscribe = this.options.credentials.onReload((known) => {
      for (const [id, clients] of this.connections) {
        if (known.has(id)) continue;
        for (const client of clients) {
          this.cutOff.set(client, gatewayTopics(this.options.baseTopic, id, []));
          client.close();
        }
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.refusals.stop();
  }

  /** Whether a gateway has a live connection to this broker. */
  gatewayIdOf(client: Client): string | undefined {
    return this.gatewayOf.get(client);
  }

  isOnline(gatewayId: string): boolean {
    return (this.connections.get(gatewayId)?.size ?? 0) > 0;
  }

  authenticate: BrokerAuth['authenticate'] = (client, username, password, done) => {
    const refuse = () => {
      this.refusals.write('bad_credentials', () =>
        this.options.log.info({ clientId: client.id?.slice(0, 128), username: username?.slice(0, 64) }, 'MQTT connection refused: unknown gateway or wrong secret'),
      );
      done(Object.assign(new Error('bad user name or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }), false);
    };
    if (!username || !password) return refuse();
    // The client id must be the gateway's own: a broker drops an existing
    // connection for a new one with the same id, so another gateway's id would
    // knock that gateway off (and ingest its Last Will, turning its lots stale).
    if (client.id !== username) {
      this.refusals.write('client_id', () =>
        this.options.log.info({ clientId: client.id?.slice(0, 128), username: username.slice(0, 64) }, 'MQTT connection refused: the client id must be the gateway id'),
      );
      return done(Object.assign(new Error('the client id must be the gateway id'), { returnCode: IDENTIFIER_REJECTED }), false);
    }
    void (async () => {
      if (!(await this.options.credentials.verify(username, password))) return refuse();
      this.gatewayOf.set(client, username);
      done(null, true);
    })();
  };

  refusePublish(client: Client | null, topic: string): Error | null {
    // The service's own messages (Last Wills are checked with their client) need no permission.
    if (!client) return null;
    const topics = this.cutOff.get(client) ?? this.topicsOf(client);
    if (topics && mayPublish(topics, topic)) return null;
    this.options.log.info({ clientId: client.id, gateway: this.gatewayOf.get(client), topic: topic.slice(0, 200) }, 'MQTT publish refused: not a topic of this gateway');
    return new Error(`not allowed to publish on ${topic}`);
  }

  authorizeSubscribe: BrokerAuth['authorizeSubscribe'] = (client, subscription, done) => {
    const topics = this.topicsOf(client);
    // A refused filter is answered with a failure code for it alone (aedes: a null subscription).
    done(null, topics && maySubscribe(topics, subscription.topic) ? subscription : null);
  };

  clientReady(client: Client): void {
    const id = this.gatewayOf.get(client);
    if (!id) return;
    let clients = this.connections.get(id);
    if (!clients) this.connections.set(id, (clients = new Set()));
    clients.add(client);
  }

  clientGone(client: Client): void {
    const id = this.gatewayOf.get(client);
    const clients = id === undefined ? undefined : this.connections.get(id);
    if (!clients) return;
    clients.delete(client);
    if (clients.size === 0) this.connections.delete(id!);
  }

  private topicsOf(client: Client): GatewayTopics | undefined {
    const id = this.gatewayOf.get(client);
    return id === undefined ? undefined : this.options.credentials.topicsOf(id);
  }
}
