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
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { BrokerAuth } from '../auth/gateway-auth.ts';
import { isContractTopic, type Subscriptions } from '../domain/events.ts';
import { PortInUseError, type DependencyHealth } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
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
}

export class EmbeddedBroker implements MqttTransport {
  readonly kind = 'embedded' as const;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private handler: MessageHandler | undefined;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

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
      authorizePublish: (client, packet, callback) => this.onPublish(client, packet, callback),
      ...(auth ? { authenticate: auth.authenticate, authorizeSubscribe: auth.authorizeSubscribe } : {}),
    });
    if (auth) {
      broker.on('clientReady', (client: Client) => auth.clientReady(client));
      broker.on('clientDisconnect', (client: Client) => auth.clientGone(client));
    }
    broker.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
    broker.on('connectionError', (client: Client, err: Error) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'));
    this.broker = broker;

    const server = createServer(broker.handle);
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

  private onPublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (packet.topic.startsWith('$SYS/')) return callback(new Error('$SYS/ topics are reserved'));
    const refused = this.options.auth?.refusePublish(client, packet.topic);
    if (refused) return callback(refused);
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
    await closed;
  }

  async health(): Promise<DependencyHealth> {
    const listening = this.server?.listening ?? false;
    return listening
      ? { ok: true, kind: 'embedded', detail: `listening on port ${this.port}` }
      : { ok: false, kind: 'embedded', detail: 'not listening' };
  }
}
