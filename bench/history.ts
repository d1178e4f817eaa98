// The benchmark's history phase (DESIGN.md §6, §7): over 1,000 lots × 90
// days of 5-minute history in PostgreSQL (generated in the database itself,
// about 26 million rows), a lot's week of history and its 24-hour forecast,
// and the search for an arrival (`near` + `arriveAt`) over 10,000 lots —
// each as p50 / p99 of requests from one keep-alive client.
import type { Knex } from 'knex';
import { createDatabase, migrate } from '../server/catalog/db.ts';
import { LotRepository } from '../server/catalog/repository.ts';
import { Partitions } from '../server/history/partitions.ts';
import { createTestDatabase } from '../test/helpers/services.ts';
import { startService } from './infra.ts';
import { keepAliveGetter } from './probes.ts';
import { CITY_BBOX, generateLots, seeded } from './lots.ts';

export interface HistoryBenchResult {
  lots: number;
  historyLots: number;
  days: number;
  rows: number;
  generateSeconds: number;
  history: { p50: number; p99: number; requests: number };
  forecast: { p50: number; p99: number; requests: number };
  arrival: { p50: number; p99: number; requests: number; meanResults: number; warmUpSeconds: number };
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Five-minute buckets for the lots `lot-0 … lot-(n-1)` over [from, to), written by PostgreSQL itself: a daily and weekly pattern with noise. */
async function generateHistory(db: Knex, prefix: string, lots: number, from: number, to: number): Promise<number> {
  await new Partitions(db).ensure('history_5m', from, to);
  const step = 5 * MIN;
  // One statement per lot, about 26,000 rows each, 50 lots per transaction. The lots
  // exist (inserted before): the foreign key's check per row, which would take most of
  // the load's time, is skipped as a bulk load does (session_replication_role, superuser).
  // Two transactions at a time: PostgreSQL uses both cores.
  let rows = 0;
  const LOTS_PER_TRANSACTION = 50;
  const starts = Array.from({ length: Math.ceil(lots / LOTS_PER_TRANSACTION) }, (_, i) => i * LOTS_PER_TRANSACTION);
  const load = async (first: number) =>
    db.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw('SET LOCAL synchronous_commit = off');
      let written = 0;
      for (let i = first; i < Math.min(lots, first + LOTS_PER_TRANSACTION); i++) written += await insertLot(trx, i);
      return written;
    });
  for (let i = 0; i < starts.length; i += 2) {
    for (const written of await Promise.all(starts.slice(i, i + 2).map(load))) rows += written;
  }
  await db.raw('ANALYZE history_5m');
  return rows;

  async function insertLot(trx: Knex.Transaction, i: number): Promise<number> {
    const result = await trx.raw(
      `INSERT INTO history_5m (lot_id, start, known_ms, occ_ms, cap_ms, occ_min, occ_max, capacity)
       SELECT ?, s, ?, occ * ?, 400 * ?::bigint, occ, occ, 400
       FROM generate_series(?::bigint, ?::bigint, ?::bigint) AS s,
            LATERAL (SELECT GREATEST(0, LEAST(400, round(
              200 + 150 * sin(((s / 3600000.0 + 8) % 24 - 6) / 14 * pi()) * (CASE WHEN ((s / 86400000 + 4) % 7) >= 5 THEN 0.4 ELSE 1 END)
              + 20 * sin(s / 7200000.0 + ?) )))::int AS occ) AS o`,
      [`${prefix}-${i}`, step, step, step, from, to - step, step, i],
    );
    return (result as { rowCount: number }).rowCount;
  }
}

/** Runs the phase; `progress` hears what it does. */
export async function benchHistory(options: { quick: boolean; redisUrl: string; brokerUrl: string; progress: (message: string) => void }): Promise<HistoryBenchResult> {
  const { quick, progress } = options;
  const LOTS = 10_000;
  const HISTORY_LOTS = quick ? 100 : 1_000;
  const DAYS = 90;
  const REQUESTS = quick ? 100 : 500;
  const pg = await createTestDatabase();
  const prefix = 'bench-hist';
  try {
    const db = createDatabase({ databaseUrl: pg.url, dataDir: '.' });
    const now = Date.now();
    let rows = 0;
    const t0 = performance.now();
    try {
      await migrate(db);
      const lots = generateLots(LOTS, CITY_BBOX, prefix, 13).map((lot) => ({ ...lot, capacity: 400 }));
      await new LotRepository(db).insertMissing(lots);
      progress(`      generating ${HISTORY_LOTS} lots × ${DAYS} days of 5-minute history in PostgreSQL…`);
      rows = await generateHistory(db, prefix, HISTORY_LOTS, Math.floor((now - DAYS * DAY) / (5 * MIN)) * 5 * MIN, Math.floor(now / (5 * MIN)) * 5 * MIN);
    } finally {
      await db.destroy();
    }
    const generateSeconds = (performance.now() - t0) / 1000;
    progress(`      ${rows.toLocaleString('en')} rows in ${generateSeconds.toFixed(0)} s`);

    const service = await startService({
      SEED_LOTS: 'off', DATABASE_URL: pg.url, REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: 'kwbench-hist:', MQTT_URL: options.brokerUrl,
      MQTT_BASE_TOPIC: 'bench-hist', MQTT_CLIENT_ID: `kongwei-bench-hist-${process.pid}`,
    });
    try {
      const { get, close: closeClient } = keepAliveGetter(service.httpUrl);
      const timed = async (requests: number, path: () => string, check?: (body: string) => number) => {
        const timings: number[] = [];
        let results = 0;
        for (let i = 0; i < requests; i++) {
          const start = performance.now();
          const body = await get(path());
          timings.push(performance.now() - start);
          results += check?.(body) ?? 0;
        }
        timings.sort((a, b) => a - b);
        return { p50: pct(timings, 50), p99: pct(timings, 99), requests, meanResults: results / requests };
      };
      const random = seeded(5);
      const someLot = () => `${prefix}-${Math.floor(random() * HISTORY_LOTS)}`;
      const week = () => `from=${new Date(now - 7 * DAY).toISOString()}&to=${new Date(now).toISOString()}`;

      progress(`      GET /api/lots/{id}/history, one week at 5m, ${REQUESTS} requests over ${HISTORY_LOTS} lots`);
      await timed(20, () => `/api/lots/${someLot()}/history?${week()}&step=5m`);
      const history = await timed(REQUESTS, () => `/api/lots/${someLot()}/history?${week()}&step=5m`);
      progress(`      p50 ${history.p50.toFixed(1)} ms, p99 ${history.p99.toFixed(1)} ms`);

      progress(`      GET /api/lots/{id}/forecast, 24 h at 30m, ${REQUESTS} requests over ${HISTORY_LOTS} lots (most not in the cache of 64)`);
      await timed(20, () => `/api/lots/${someLot()}/forecast?step=30m`);
      const forecast = await timed(REQUESTS, () => `/api/lots/${someLot()}/forecast?step=30m`);
      progress(`      p50 ${forecast.p50.toFixed(1)} ms, p99 ${forecast.p99.toFixed(1)} ms`);

      // Arrivals: the first searches make the lots' curves (in the background); measured once every lot has one.
      const arriveAt = () => new Date(Date.now() + 30 * MIN).toISOString();
      const [minLon, minLat, maxLon, maxLat] = CITY_BBOX;
      const everywhere = () => `/api/lots?near=${(minLat + maxLat) / 2},${(minLon + maxLon) / 2}&limit=10000&arriveAt=${encodeURIComponent(arriveAt())}`;
      const w0 = performance.now();
      for (;;) {
        const body = JSON.parse(await get(everywhere())) as { lots: { forecast: { reason?: string } }[] };
        const waiting = body.lots.filter((l) => /not_ready/.test(l.forecast.reason ?? '')).length;
        if (waiting === 0) break;
        if (performance.now() - w0 > 10 * 60_000) throw new Error(`arrival curves: ${waiting} lots still not ready after 10 minutes`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const warmUpSeconds = (performance.now() - w0) / 1000;
      progress(`      curves for ${LOTS} lots made in ${warmUpSeconds.toFixed(0)} s; GET /api/lots?near=…&radius=1000&arriveAt=…, ${REQUESTS * 4} requests`);
      const near = () =>
        `/api/lots?near=${(minLat + random() * (maxLat - minLat)).toFixed(5)},${(minLon + random() * (maxLon - minLon)).toFixed(5)}&radius=1000&arriveAt=${encodeURIComponent(arriveAt())}`;
      await timed(100, near);
      const arrival = await timed(REQUESTS * 4, near, (body) => (JSON.parse(body) as { lots: unknown[] }).lots.length);
      progress(`      p50 ${arrival.p50.toFixed(2)} ms, p99 ${arrival.p99.toFixed(2)} ms (${arrival.meanResults.toFixed(1)} lots per answer)`);
      closeClient();
      return {
        lots: LOTS, historyLots: HISTORY_LOTS, days: DAYS, rows, generateSeconds,
        history: { p50: history.p50, p99: history.p99, requests: REQUESTS },
        forecast: { p50: forecast.p50, p99: forecast.p99, requests: REQUESTS },
        arrival: { p50: arrival.p50, p99: arrival.p99, requests: REQUESTS * 4, meanResults: arrival.meanResults, warmUpSeconds },
      };
    } finally {
      await service.stop();
    }
  } finally {
    await pg.drop();
  }
}
