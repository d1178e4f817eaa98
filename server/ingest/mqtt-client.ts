// The service's connections to an external broker (MQTT_URL): Mosquitto,
// EMQX, HiveMQ.
//
// Ingest: `connections` persistent MQTT 5 sessions (stable client ids, no
// clean start, a long session expiry) with QoS 1 subscriptions. Each PUBACK
// is sent only after its message is committed; a crash before that leaves the
// message unacknowledged in the broker's session, which delivers it again
// when the service reconnects.
//
// Throughput: one message at a time is bound by the round trip to the live
// store, so each connection commits up to `inFlight` messages at once (the
// MQTT 5 receive maximum tells the broker how many to send ahead) and sends
// the PUBACKs in the order the messages came, as MQTT requires for QoS 1,
// each after its own commit. Several connections share the lot topics in an
// MQTT 5 shared subscription (`$share/<group>/…`), which is also how several
// instances split the work. The live store's rules make the order in which
// lot messages are applied irrelevant; gateway statuses, whose order matters,
// are subscribed to plainly by the first connection of every instance.
//
// A single connection keeps plain subscriptions: Mosquitto (2.0) restores
// those with the session after a restart, but not shared ones, so until the
// service has subscribed again messages for a shared group are dropped
// (DESIGN.md §3).
//
// Output (availability, errors): one more connection, clean, so publishing
// never waits behind the messages being ingested.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { redactUrl } from '../config.ts';
import type { Subscriptions } from '../domain/events.ts';
import type { DependencyHealth } from '../live/store.ts';
import type { Logger } from '../log.ts';
import { takeOverPubacks } from './manual-puback.ts';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.ts';

export interface MqttClientTransportOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  log: Logger;
  /** Ingest connections (each its own persistent session); 1 by default. */
  connections?: number;
  /** Shared-subscription group for the lot topics; null for plain subscriptions. */
  sharedGroup?: string | null;
  /** Messages each connection commits at once (its MQTT 5 receive maximum); 256 by default. */
  inFlight?: number;
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
  /** Seconds the broker keeps the session (and queued messages) while the service is away. */
  sessionExpiryS?: number;
}

/**
 * The client id of ingest connection `index` (0-based): the first keeps
 * MQTT_CLIENT_ID itself, the others add `#2`, `#3`… (the output connection
 * `#out`) — `#` is not in the ids operators give instances, so instance
 * `kongwei-ingest`'s second connection can never take the session of an
 * instance named `kongwei-ingest-2`.
 */
export function ingestClientId(clientId: string, index: number): string {
  return index === 0 ? clientId : `${clientId}#${index + 1}`;
}

/** Messages a connection commits at once unless told otherwise. */
export const DEFAULT_IN_FLIGHT = 256;

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

/** What ingest connection `index` subscribes to, and what an earlier setup may have left on its session. */
export function connectionFilters(
  subscriptions: Subscriptions,
  sharedGroup: string | null,
  index: number,
): { wanted: string[]; unwanted: string[] } {
  const statuses = index === 0 ? subscriptions.statuses : [];
  return {
    wanted: [...subscriptionFilters(subscriptions.perLot, sharedGroup), ...statuses],
    unwanted: [
      ...subscriptionFilters(subscriptions.perLot, sharedGroup === null ? DEFAULT_SHARED_GROUP : null),
      ...(index === 0 ? [] : subscriptions.statuses),
    ],
  };
}

/**
 * Lets a connection commit up to `inFlight` messages at once while keeping
 * "PUBACK after commit" and MQTT's rule that QoS 1 PUBACKs go out in the
 * order the messages came. mqtt.js acknowledges a message as soon as
 * handleMessage calls back, and reads no further until then; here
 * handleMessage calls back at once (unless the window is full), mqtt.js's own
 * PUBACK is not sent (manual-puback.ts), and the PUBACKs go out in order as
 * their commits finish. On a lost connection the unsent ones are dropped: the
 * broker sends those messages again, and the store recognises them.
 */
export function pipelineAcks(client: MqttClient, handler: MessageHandler, inFlight: number, onStopped: () => void): void {
  interface Pending {
    messageId: number;
    committed: boolean;
  }
  // One window per connection: replaced when it closes, so commits that
  // finish later cannot acknowledge anything on the next connection.
  let window: Pending[] = [];
  let resume: (() => void) | undefined;
  const pubacks = takeOverPubacks(client);

  const release = (owner: Pending[]) => {
    if (owner !== window || !client.connected) return;
    while (window[0]?.committed) {
      pubacks.send(window.shift()!.messageId);
    }
    if (resume && window.length < inFlight) {
      const next = resume;
      resume = undefined;
      next();
    }
  };

  client.on('close', () => {
    window = [];
    const next = resume;
    resume = undefined;
    next?.();
  });

  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    if (!packet.qos) {
      // Nothing to acknowledge (a broker downgraded the QoS): ingest it all the same.
      handler(packet.topic, packet.payload as Buffer).catch(() => {});
      return callback();
    }
    const owner = window;
    const pending: Pending = { messageId: packet.messageId!, committed: false };
    owner.push(pending);
    handler(packet.topic, packet.payload as Buffer).then(
      () => {
        pending.committed = true;
        release(owner);
      },
      // Not committed (the service is stopping): no PUBACK for it or anything after it.
      onStopped,
    );
    if (owner.length < inFlight) callback();
    else resume = callback; // the window is full: read no further until a commit finishes
  };
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
      ...(persistent
        ? {
            properties: {
              sessionExpiryInterval: this.options.sessionExpiryS ?? 7 * 24 * 3600,
              receiveMaximum: this.options.inFlight ?? DEFAULT_IN_FLIGHT,
            },
          }
        : {}),
      // Quick: after a broker restart, messages for a shared group are dropped until the service subscribes again.
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      resubscribe: false,
      // mqtt.js logs every packet through `debug`: a cost on each message even when muted.
      log: () => {},
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    };
  }

  async start(subscriptions: Subscriptions, handler: MessageHandler): Promise<void> {
    const { log } = this.options;
    const sharedGroup = this.options.sharedGroup ?? null;
    const count = Math.max(1, this.options.connections ?? 1);
    for (let i = 0; i < count; i++) {
      const client = mqtt.connect(this.options.url, this.clientOptions(ingestClientId(this.options.clientId, i), true));
      this.ingestClients.push(client);
      pipelineAcks(client, handler, this.options.inFlight ?? DEFAULT_IN_FLIGHT, () => client.end(true));
      const { wanted, unwanted } = connectionFilters(subscriptions, sharedGroup, i);
      client.on('connect', (connack) => {
        this.lastError = undefined;
        log.info({ url: redactUrl(this.options.url), clientId: client.options.clientId }, 'connected to the MQTT broker');
        // A session that subscribed the other way before (shared or not)
        // would get every message twice: once per subscription.
        if (connack.sessionPresent) client.unsubscribe(unwanted, () => {});
        // Subscribing again on every connect is harmless, and needed when the
        // broker lost the session (restarted without persistence, expired) or
        // its shared subscriptions (Mosquitto 2.0 after a restart).
        client.subscribe(wanted, { qos: 1 }, (err) => {
          if (err) log.error({ err: err.message }, 'MQTT subscribe failed');
        });
      });
      this.watch(client);
    }
    this.publisher = mqtt.connect(this.options.url, this.clientOptions(`${this.options.clientId}#out`, false));
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
