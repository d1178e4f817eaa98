// For the feed tests: the published schemas (test/fixtures/schemas/, see its
// README), and a running service with one lot in each situation a feed must
// tell apart, fed through MQTT as gateways would.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { MqttClient } from 'mqtt';
import { connectMqtt, publish, startApp, type TestApp } from './app.ts';
import { addLots, testLot } from './lots.ts';
import { assertMatchesApi } from './openapi.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const SCHEMAS = new URL('../fixtures/schemas/', import.meta.url);

/** Validates data against one of the vendored schemas (by file name); the problems, [] when it is valid. */
export function publishedSchemas(): (file: string, data: unknown) => string[] {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const ids = new Map<string, string>();
  for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    ids.set(file, schema.$id);
  }
  return (file, data) => {
    const validate = ajv.getSchema(ids.get(file) ?? file);
    if (!validate) throw new Error(`no schema ${file} in test/fixtures/schemas/`);
    return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

/** Noon in Shibei (Asia/Shanghai) on a Monday: the service's clock in the feed tests. */
export const NOW = Date.parse('2026-11-30T04:00:00Z');

/**
 * The lots, each in one situation: `fresh` (10 of 40 taken, counted a
 * minute ago), `full`, `over` (a count above capacity, clamped), `stale`
 * (counted 10 minutes ago, stale after 60 s), `nodata`, `building` (under
 * construction, sending counts anyway), `evening` (open 18:00-22:00 only,
 * so closed at noon, counting; one bay declared for disabled drivers), `bays`
 * (two bay sensors, one taken, both declared EV charging bays), and
 * `details` (fresh, with every detail a feed can carry).
 */
export async function startFeedScenario(env: Record<string, string> = {}): Promise<{ t: TestApp; mqtt: MqttClient }> {
  const t = await startApp({ SEED_LOTS: 'off', ...env }, { clock: () => NOW });
  await addLots(t.app, [
    testLot({ id: 'fresh', capacity: 40, lat: 36.09, lon: 120.36, type: 'underground' }),
    testLot({ id: 'full', capacity: 20, type: 'multi_storey' }),
    testLot({ id: 'over', capacity: 10 }),
    testLot({ id: 'stale', capacity: 30, staleAfterS: 60 }),
    testLot({ id: 'nodata', capacity: 25, type: 'on_street' }),
    testLot({ id: 'building', capacity: 50, status: 'under_construction' }),
    testLot({ id: 'evening', capacity: 60, openingHours: 'Mo-Su 18:00-22:00', baysDisabled: 'e1' }),
    testLot({ id: 'bays', capacity: 2, baysCharging: 's1..s2' }),
    testLot({
      id: 'details', capacity: 100, address: '市北区测试路1号', openingHours: '24/7', capacityDisabled: 4, capacityCharging: 6,
      capacityFamily: 2, capacityWomen: 3, fee: true, priceInfo: '首小时5元', priceInfoEn: 'CNY 5 the first hour', maxHeightCm: 210,
    }),
  ]);
  const mqtt = await connectMqtt(t.app.mqtt.url);
  const count = (lot: string, occupied: number, agoS: number) => publish(mqtt, `parking/lots/${lot}/count`, { occupied, ts: NOW - agoS * 1000 });
  await count('fresh', 10, 60);
  await count('full', 20, 60);
  await count('over', 14, 60);
  await count('stale', 5, 600);
  await count('building', 3, 60);
  await count('evening', 7, 60);
  await count('details', 40, 30);
  await publish(mqtt, 'parking/lots/bays/spaces/s1', { occupied: true, ts: NOW - 20_000 });
  await publish(mqtt, 'parking/lots/bays/spaces/s2', { occupied: false, ts: NOW - 10_000 });
  return { t, mqtt };
}

/** A GET answer: status, headers, and the body parsed when it is JSON. */
export async function fetchFeed(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(new URL(path, base), { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text };
}

/** GETs a feed, as fetchFeed does; the answer must match the OpenAPI document too. */
export async function getFeed(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const answer = await fetchFeed(base, path, headers);
  await assertMatchesApi(base, 'GET', path, answer, answer.body === '' ? undefined : answer.body);
  return answer;
}
