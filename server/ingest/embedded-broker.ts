// The embedded MQTT broker (aedes), used when MQTT_URL is unset.
//
// Events are ingested inside aedes' authorizePublish hook, which runs before
// aedes sends the PUBACK: a gateway's QoS 1 message is acknowledged only once
// it is committed to the live store (or rejected for a reason redelivery would
// not cure). If the service dies first, the gateway still holds the message
// and sends it again when it reconnects — nothing is lost, even though the
// embedded broker keeps its own state in memory. Last Wills pass through the
// same hook (with the client that left), so a gateway's `offline` is ingested
// like any status message. The publisher's client id goes with each message:
// its errors go to its own errors topic.
//
// Every connection passes through the limits of broker-limits.ts (packet and
// CONNECT sizes, the connect deadline, connections per address) and failed
// authentications are throttled per address. Without gateway auth (MQTT_AUTH
// off) every client is anonymous: it may publish, but its messages are never
// stored retained, and it cannot take over a client id that is connected.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { BrokerAuth } from '../auth/gateway-auth.ts';
import { isContractTopic, type Subscriptions } from '../domain/events.ts';
import { PortInUseError, type DependencyHealth } from '../lifecycle.ts';
import { LogSampler, type Logger } from '../log.ts';
import { ConnectionCounter, FailureBuckets, GuardedConnection, normalizeIp, type BrokerLimits } from './broker-limits.ts';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.ts';

export { PortInUseError };

export interface EmbeddedBrokerOptions {
  port: number;
  host: string;
  log: Logger;
  /** Gateway authentication (MQTT_AUTH=on); without it the broker accepts anyone. */
  auth?: BrokerAuth;
  /** The contract's base topic: its namespace is ingested (or rejected with a reason); other topics pass through untouched. */
  baseTopic: string;
  limits: BrokerLimits;
  /** For the failed-authentication buckets (tests move it). */
  clock?: () => number;
}

/** MQTT CONNACK return code 2 (v3.1.1): identifier rejected. */
const IDENTIFIER_REJECTED = 2;

export class EmbeddedBroker implements MqttTransport {
  readonly kind = 'embedded' as const;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private handler: MessageHandler | undefined;
  private readonly connections: ConnectionCounter;
  /** Every open TCP connection, also those aedes does not know yet (still connecting), to close them on stop. */
  private readonly sockets = new Set<Socket>();
  private readonly failures: FailureBuckets;
  /** Closed connections and refusals are logged, but not one line per attempt of a flood. */
  private readonly refusals: LogSampler;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.connections = new ConnectionCounter(options.limits.maxConnectionsPerIp);
    this.failures = new FailureBuckets(options.limits.authFailuresPerMinute, options.clock);
    this.refusals = new LogSampler({ log: options.log, what: 'MQTT connections refused or closed by the limits, not logged', perInterval: 20, intervalMs: 60_000, level: 'info' });
  }

  /** The port the broker listens on (useful with MQTT_PORT=0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The broker sees every publish: `claims` decides what is ingested, so subscriptions are not needed. */
  async start(_subscriptions: Subscriptions, handler: MessageHandler): Promise<void> {
    this.handler = handler;
    const { log, auth } = this.options;
    const broker = await Aedes.createBroker({
      maxClientsIdLength: 128,
      drainTimeout: 30_000,
      connectTimeout: this.options.limits.connectTimeoutMs,
      authorizePublish: (client, packet, callback) => this.onPublish(client, packet, callback),
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      ...(auth ? { authorizeSubscribe: auth.authorizeSubscribe } : {}),
    });
    broker.on('clientReady', (client: Client) => {
      if (client.conn instanceof GuardedConnection) client.conn.ready();
      auth?.clientReady(client);
    });
    if (auth) broker.on('clientDisconnect', (client: Client) => auth.clientGone(client));
    broker.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
    broker.on('connectionError', (client: Client, err: Error) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'));
    this.broker = broker;

    const server = createServer((socket) => this.accept(broker, socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          reject(
            new PortInUseError(
              `MQTT_PORT ${this.options.port} is already in use (another MQTT broker, such as Mosquitto, may be running there). ` +
                `Set MQTT_PORT to a free port for the embedded broker, or set MQTT_URL=mqtt://localhost:${this.options.port} to use that broker instead.`,
            ),
          );
        } else reject(err);
      });
      server.listen(this.options.port, this.options.host, () => resolve());
    });
  }

  /** A new TCP connection: counted per address, guarded, handed to aedes. */
  private accept(broker: Aedes, socket: Socket): void {
    const ip = normalizeIp(socket.remoteAddress);
    const { limits } = this.options;
    if (!this.connections.admit(ip)) {
      this.refusals.write('connections_per_ip', () =>
        this.options.log.info({ ip, limit: limits.maxConnectionsPerIp }, 'MQTT connection refused: too many connections from this address (MQTT_MAX_CONNECTIONS_PER_IP)'),
      );
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => {
      this.connections.release(ip);
      this.sockets.delete(socket);
    });
    socket.on('error', () => {});
    const conn = new GuardedConnection(socket, ip, limits, (reason) =>
      this.refusals.write('limits', () => this.options.log.info({ ip, reason }, `MQTT connection closed: ${reason}`)),
    );
    broker.handle(conn);
  }

  /** Open connections from an address (tests). */
  connectionsFrom(ip: string): number {
    return this.connections.of(ip);
  }

  /**
   * With gateway auth: its verdict, but a failure from an address that has
   * used up its failures for now gets no answer — the connection is closed at
   * the connect deadline — which bounds guessing to a few tries per
   * connection slot and deadline. A valid gateway gets in whatever its
   * address's count. Without auth: anyone, but not with the client id of a
   * connected client (a broker would drop that client for the newcomer).
   */
  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: (Error & { returnCode: number }) | null, success: boolean | null) => void,
  ): void {
    const { auth } = this.options;
    if (!auth) {
      // aedes keeps its connected clients by id (not in its typings).
      const existing = (this.broker as unknown as { clients?: Record<string, Client | undefined> } | undefined)?.clients?.[client.id];
      if (existing && existing !== client && !existing.closed) {
        this.refusals.write('client_id_taken', () =>
          this.options.log.info({ clientId: client.id.slice(0, 128) }, 'MQTT connection refused: this client id is connected already (MQTT_AUTH is off, so it cannot take the id over)'),
        );
        return done(Object.assign(new Error('client id in use'), { returnCode: IDENTIFIER_REJECTED }), false);
      }
      return done(null, true);
    }
    auth.authenticate(client, username, password, (error, success) => {
      if (!error && success) return done(null, true);
      const ip = client.conn instanceof GuardedConnection ? client.conn.ip : 'unknown';
      if (this.failures.take(ip)) return done(error, success);
      this.refusals.write('auth_throttled', () =>
        this.options.log.info({ ip }, 'MQTT authentication failed again from this address: answered at the connect deadline (MQTT_AUTH_FAILURES_PER_MINUTE)'),
      );
    });
  }

  private onPublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (packet.topic.startsWith('$SYS/')) return callback(new Error('$SYS/ topics are reserved'));
    const refused = this.options.auth?.refusePublish(client, packet.topic);
    if (refused) return callback(refused);
    // An anonymous client's message is delivered and ingested, never kept:
    // otherwise anyone could fill the broker's memory with retained messages.
    if (client && !this.options.auth && packet.retain) packet.retain = false;
    // Obsolete wills replayed without their client (client null), and topics
    // outside the contract, pass through untouched.
    if (!client || !isContractTopic(this.options.baseTopic, packet.topic)) return callback(null);
    const handler = this.handler;
    if (!handler) return callback(new Error('the service is stopping'));
    // The publisher, for its errors topic and the lots it serves: the
    // authenticated gateway id when auth is on, else the client id.
    const publisher = this.options.auth?.gatewayIdOf(client) ?? client.id;
    handler(packet.topic, packet.payload as Buffer, publisher).then(
      // A client writing to a service-owned topic is disconnected, not passed on.
      (handled) => callback(handled.refuse ? new Error(`${packet.topic} is written by the service only`) : null),
      // Not committed (the service is stopping): drop the connection without
      // a PUBACK, so the gateway sends the message again later.
      (err: Error) => callback(err),
    );
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('embedded broker not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish(
        {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: options.qos ?? 1,
          retain: options.retain ?? false,
          dup: false,
        },
        (err?: Error | null) => (err ? reject(err) : resolve()),
      ),
    );
  }

  async stop(): Promise<void> {
    const { broker, server } = this;
    this.handler = undefined;
    // Stop accepting first; the server's close completes once aedes has
    // disconnected the clients it still has.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    // Connections that never finished their CONNECT are not aedes' clients yet.
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.refusals.stop();
  }

  async health(): Promise<DependencyHealth> {
    const listening = this.server?.listening ?? false;
    return listening
      ? { ok: true, kind: 'embedded', detail: `listening on port ${this.port}` }
      : { ok: false, kind: 'embedded', detail: 'not listening' };
  }
}
