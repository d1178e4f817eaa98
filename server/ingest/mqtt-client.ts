// The service's connection to an external broker (MQTT_URL): Mosquitto, EMQX,
// HiveMQ. A persistent MQTT 5 session (stable client id, no clean start, a
// long session expiry) and QoS 1 subscriptions; mqtt.js hands messages over
// one at a time through handleMessage and sends the PUBACK only when its
// callback runs, which is after the event is committed. A crash before that
// leaves the message unacknowledged in the broker's session, which delivers
// it again when the service reconnects.
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
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
  /** Seconds the broker keeps the session (and queued messages) while the service is away. */
  sessionExpiryS?: number;
}

export class MqttClientTransport implements MqttTransport {
  readonly kind = 'external' as const;
  private client: MqttClient | undefined;
  private stopping = false;
  private lastError: string | undefined;

  constructor(private readonly options: MqttClientTransportOptions) {}

  get url(): string {
    return this.options.url;
  }

  async start(topics: string[], handler: MessageHandler): Promise<void> {
    const { log } = this.options;
    const clientOptions: IClientOptions = {
      clientId: this.options.clientId,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: this.options.sessionExpiryS ?? 7 * 24 * 3600 },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    };
    const client = mqtt.connect(this.options.url, clientOptions);
    this.client = client;

    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      handler(packet.topic, packet.payload as Buffer).then(
        () => callback(),
        // Not committed (stopping): no PUBACK; the broker redelivers to the next session.
        () => client.end(true),
      );
    };
    client.on('connect', () => {
      this.lastError = undefined;
      log.info({ url: redactUrl(this.options.url) }, 'connected to the MQTT broker');
      // Subscribing again on every connect is harmless, and needed when the
      // broker lost the session (restarted without persistence, expired).
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) log.error({ err: err.message }, 'MQTT subscribe failed');
      });
    });
    client.on('error', (err) => {
      this.lastError = err.message;
      log.warn({ err: err.message }, 'MQTT connection error');
    });
    client.on('offline', () => {
      if (!this.stopping) log.warn('MQTT broker unreachable; reconnecting');
    });

    const timeoutMs = this.options.connectTimeoutMs ?? 15_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
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
    if (!this.client) throw new Error('MQTT client not started');
    await this.client.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const client = this.client;
    if (client && !client.disconnecting && !client.disconnected) await client.endAsync(false);
  }

  async health(): Promise<DependencyHealth> {
    const connected = this.client?.connected ?? false;
    return connected
      ? { ok: true, kind: 'external', detail: redactUrl(this.options.url) }
      : { ok: false, kind: 'external', detail: this.lastError ?? 'not connected' };
  }
}
