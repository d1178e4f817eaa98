// Starting the whole service in a test, on free ports, exactly as main.ts does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { Kongwei } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, Subscription } from '../../server/domain/contract.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { createLogger, type Logger } from '../../server/log.ts';
import { assertMatchesApi } from './openapi.ts';

export interface TestApp {
  app: Kongwei;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startApp(env: Record<string, string> = {}, options: { clock?: () => number; dataDir?: string; log?: Logger } = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kongwei-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PUSH_INTERVAL_MS: '50',
    AVAILABILITY_INTERVAL_MS: '50',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // The lots' zone can be set for a run (.ci/run runs the time suites in a zone with daylight saving).
    ...(process.env.TIME_ZONE ? { TIME_ZONE: process.env.TIME_ZONE } : {}),
    ...env,
  });
  const app = new Kongwei({ config, log: options.log ?? createLogger(config.LOG_LEVEL), ...(options.clock ? { clock: options.clock } : {}) });
  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => {});
    throw err;
  }
  return {
    app,
    dataDir,
    stop: async () => {
      await app.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** GETs a JSON answer; it must match the service's OpenAPI document (test/helpers/openapi.ts). */
export async function getJson<T = unknown>(base: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, base));
  const body = (await res.json()) as T;
  await assertMatchesApi(base, 'GET', path, res, body);
  return { status: res.status, body };
}

export async function connectMqtt(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Publishes with QoS 1; resolves on the PUBACK. */
export async function publish(client: MqttClient, topic: string, payload: object | string): Promise<void> {
  await client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function connectSocket(base: string): Promise<TestSocket> {
  const socket: TestSocket = ioClient(base, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export function subscribe(socket: TestSocket, subscription: Subscription): Promise<SubscribeAck> {
  return socket.timeout(5000).emitWithAck('subscribe', subscription);
}

/** Collects every lots:update a socket receives. */
export function collectUpdates(socket: TestSocket): LotView[][] {
  const batches: LotView[][] = [];
  socket.on('lots:update', (lots) => batches.push(lots));
  return batches;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
