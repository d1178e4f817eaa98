// What ingest needs from MQTT, whichever broker carries it.
import type { DependencyHealth } from '../live/store.ts';

/** Resolves once the message is committed or rejected; only then may it be acknowledged. */
export type MessageHandler = (topic: string, payload: Buffer) => Promise<unknown>;

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

export interface MqttTransport {
  readonly kind: 'embedded' | 'external';
  /** A URL other programs (simulators, tests) can connect to. */
  readonly url: string;
  start(topics: string[], handler: MessageHandler): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<DependencyHealth>;
}
