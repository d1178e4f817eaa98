// What ingest needs from MQTT, whichever broker carries it.
import type { Subscriptions } from '../domain/events.ts';
import type { DependencyHealth } from '../lifecycle.ts';

/** What the transport should do with a message once it is handled. */
export interface HandledMessage {
  /** Do not pass it on to subscribers (a client wrote to a topic only the service writes). */
  refuse?: boolean;
}

/**
 * Resolves once the message is committed or rejected; only then may it be
 * acknowledged. `publisher` is the sending client's id when the broker knows it.
 */
export type MessageHandler = (topic: string, payload: Buffer, publisher?: string) => Promise<HandledMessage>;

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

export interface MqttTransport {
  readonly kind: 'embedded' | 'external';
  /** A URL other programs (simulators, tests) can connect to. */
  readonly url: string;
  start(subscriptions: Subscriptions, handler: MessageHandler): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<DependencyHealth>;
}

/**
 * The broker URL operators give their gateways: MQTT_PUBLIC_URL, else the
 * embedded broker's port on the host the operator reached us by, else the
 * external broker's URL without the service's own credentials (a gateway
 * uses its id and secret).
 */
export function gatewayBrokerUrl(transport: MqttTransport & { readonly port?: number }, publicUrl: string | undefined, hostname: string): string {
  if (publicUrl) return publicUrl;
  if (transport.kind === 'embedded') return `mqtt://${hostname.includes(':') ? `[${hostname}]` : hostname}:${transport.port}`;
  const url = new URL(transport.url);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}
