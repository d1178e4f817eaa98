// The service's connections to an external broker (MQTT_URL): Mosquitto,
// EMQX, HiveMQ.
//
// Ingest: `connections` persistent MQTT 5 sessions (stable client ids, no
// clean start, a long session expiry) with QoS 1 subscriptions. mqtt.js hands
// each connection's messages over one at a time through handleMessage and
// sends the PUBACK only when its callback runs, which is after the event is
// committed; a crash before that leaves the message unacknowledged in the
// broker's session, which delivers it again when the service reconnects.
// One connection acknowledges one message at a time, so several connections
// in an MQTT 5 shared subscription (`$share/<group>/<filter>`) are how one
// instance, or several, go faster: the broker spreads messages over every
// session of the group, and the live store's rules make the order in which
// they are applied irrelevant. A single connection keeps plain
// subscriptions: Mosquitto (2.0) restores those with the session after a
// restart, but not shared ones, so until the service has subscribed again
// messages for a shared group are dropped (DESIGN.md §3).
//
// Output (availability, errors): one more connection, clean, so publishing
// never waits behind a message being ingested.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { redactUrl } from '../config.ts';
import type { DependencyHealth } from '../live/store.ts';
import type { Logger } from '../log.ts';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.ts';

export interface MqttClientTransportOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  log: Logger;
  /** Ingest connections (each its own persistent session); 1 by default. */
  connections?: number;
  /** Shared-subscription group; null for plain subscriptions (one connection, one instance). */
  sharedGroup?: string | null;
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
  /** Seconds the broker keeps the session (and queued messages) while the service is away. */
  sessionExpiryS?: number;
}

/** The client id of ingest connection `index` (0-based): the first keeps MQTT_CLIENT_ID itself. */
export function ingestClientId(clientId: string, index: number): string {
  return index === 0 ? clientId : `${clientId}-${index + 1}`;
}

/** The default group when several connections share the subscription. */
export const DEFAULT_SHARED_GROUP = 'kongwei';

/** Plain subscriptions for one connection unless a group is set; a group (`kongwei` by default) for several. */
export function sharedGroupFor(connections: number, group: string | undefined): string | null {
  return group ?? (connections > 1 ? DEFAULT_SHARED_GROUP : null);
}

/** The filters to subscribe to, in the shared group or not. */
export function subscriptionFilters(topics: readonly string[], sharedGroup: string | null): string[] {
  return sharedGroup === null ? [...topics] : topics.map((t) => `$share/${sharedGroup}/${t}`);
}

export class MqttClientTransport implements MqttTransport {
  readonly kind = 'external' as const;
  private ingestClients: MqttClient[] = [];
  private publisher: MqttClient | undefined;
  private stopping = false;
  private lastError: string | undefined;

  constructor(private readonly options: MqttClientTransportOptions) {}

  get url(): string {
    return this.options.url;
  }

  private clientOptions(clientId: string, persistent: boolean): IClientOptions {
    return {
      clientId,
      clean: !persistent,
      protocolVersion: 5,
      ...(persistent ? { properties: { sessionExpiryInterval: this.options.sessionExpiryS ?? 7 * 24 * 3600 } } : {}),
      // Quick: after a broker restart, messages for a shared group are dropped until the service subscribes again.
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      resubscribe: false,
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    };
  }

  async start(topics: string[], handler: MessageHandler): Promise<void> {
    const { log } = this.options;
    const sharedGroup = this.options.sharedGroup ?? null;
    const wanted = subscriptionFilters(topics, sharedGroup);
    // A session that subscribed the other way before (shared, or not) would
    // get every message twice: once per subscription.
    const unwanted = subscriptionFilters(topics, sharedGroup === null ? DEFAULT_SHARED_GROUP : null);

    const count = Math.max(1, this.options.connections ?? 1);
    for (let i = 0; i < count; i++) {
      const client = mqtt.connect(this.options.url, this.clientOptions(ingestClientId(this.options.clientId, i), true));
      this.ingestClients.push(client);
      client.handleMessage = (packet, callback) => {
        if (packet.cmd !== 'publish') return callback();
        handler(packet.topic, packet.payload as Buffer).then(
          () => callback(),
          // Not committed (stopping): no PUBACK; the broker redelivers to the next session.
          () => client.end(true),
        );
      };
      client.on('connect', (connack) => {
        this.lastError = undefined;
        log.info({ url: redactUrl(this.options.url), clientId: client.options.clientId }, 'connected to the MQTT broker');
        if (connack.sessionPresent) client.unsubscribe(unwanted, () => {});
        // Subscribing again on every connect is harmless, and needed when the
        // broker lost the session (restarted without persistence, expired).
        client.subscribe(wanted, { qos: 1 }, (err) => {
          if (err) log.error({ err: err.message }, 'MQTT subscribe failed');
        });
      });
      this.watch(client);
    }
    this.publisher = mqtt.connect(this.options.url, this.clientOptions(`${this.options.clientId}-out`, false));
    this.watch(this.publisher);

    await Promise.all([...this.ingestClients, this.publisher].map((client) => this.connected(client)));
  }

  private watch(client: MqttClient): void {
    const { log } = this.options;
    client.on('error', (err) => {
      this.lastError = err.message;
      log.warn({ err: err.message, clientId: client.options.clientId }, 'MQTT connection error');
    });
    client.on('offline', () => {
      if (!this.stopping) log.warn({ clientId: client.options.clientId }, 'MQTT broker unreachable; reconnecting');
    });
  }

  private connected(client: MqttClient): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 15_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `could not connect to the MQTT broker at MQTT_URL=${redactUrl(this.options.url)} within ${timeoutMs / 1000} s` +
              (this.lastError ? ` (${this.lastError})` : '') +
              '; check that it is running, or unset MQTT_URL to use the embedded broker',
          ),
        );
      }, timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    if (!this.publisher) throw new Error('MQTT client not started');
    await this.publisher.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.ingestClients, this.publisher].map(async (client) => {
        if (client && !client.disconnecting && !client.disconnected) await client.endAsync(false);
      }),
    );
  }

  async health(): Promise<DependencyHealth> {
    const clients = [...this.ingestClients, ...(this.publisher ? [this.publisher] : [])];
    const up = clients.filter((c) => c.connected).length;
    const detail = `${redactUrl(this.options.url)} (${up}/${clients.length} connections up)`;
    return up === clients.length && up > 0
      ? { ok: true, kind: 'external', detail }
      : { ok: false, kind: 'external', detail: `${detail}${this.lastError ? `: ${this.lastError}` : ''}` };
  }
}
