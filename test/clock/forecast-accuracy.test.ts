// The forecast-accuracy job and the kept forecasts (DESIGN.md §6, §7): the
// job forecasts every recorded lot once an hour, forecasts nobody asks for
// again; it must not push out the forecasts kept for drivers and operators,
// nor keep its own (the soak saw RSS step up at each of its rounds while it
// filled the 64 places with them).
import assert from 'node:assert/strict';
import { ForecastAccuracy } from '../../server/clock/forecast-accuracy.ts';
import type { LotMeta } from '../../server/domain/lot.ts';
import type { ForecastLog, LoggedForecast } from '../../server/history/forecast-log.ts';
import type { HistoryRepository } from '../../server/history/repository.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { createLogger } from '../../server/log.ts';
import { ForecastViews } from '../../server/query/forecast-views.ts';
import type { Catalog } from '../../server/catalog/catalog.ts';
import { testLot } from '../helpers/lots.ts';

const MIN = 60_000;
const NOW = Date.parse('2026-11-25T10:00:00+08:00');
const LOTS = 80; // more than the 64 forecasts kept

describe('clock: forecast accuracy and the kept forecasts', () => {
  const lots = new Map<string, LotMeta>(Array.from({ length: LOTS }, (_, i) => [`lot-${i}`, testLot({ id: `lot-${i}`, capacity: 100 }) as LotMeta]));
  /** The lots whose history was read, in order: one entry per forecast made from history. */
  let reads: string[];
  const history = {
    // Two reads per forecast (the hourly roll-ups, the 5-minute buckets): counted once, on the 5-minute one.
    means: async (lotId: string, _from: number, _to: number, table: string) => {
      if (table === 'history_5m') reads.push(lotId);
      return { slots: new Int32Array(0), means: new Float64Array(0) };
    },
    recordedLotIds: async () => [...lots.keys()],
  } as unknown as HistoryRepository;
  const catalog = { get: (id: string) => lots.get(id) } as unknown as Catalog;
  const logged: LoggedForecast[] = [];
  const forecastLog = { lastMade: async () => new Map(), add: async (rows: LoggedForecast[]) => void logged.push(...rows), deleteBefore: async () => {} } as unknown as ForecastLog;
  const store = { holdLease: async () => true, releaseLease: async () => {} } as unknown as LiveStore;

  beforeEach(() => (reads = []));

  it('keeps a forecast asked for through the API through a whole round of the job, and keeps none of the job’s', async () => {
    const forecasts = new ForecastViews({ history, catalog, timeZone: 'Asia/Shanghai', clock: () => NOW });
    const job = new ForecastAccuracy({ forecasts, forecastLog, history, catalog, store, log: createLogger('silent'), instanceId: 'a', clock: () => NOW, budgetMs: 60_000 });
    const asked = lots.get('lot-0')!;
    await forecasts.forecastAt(asked, NOW, [NOW + 60 * MIN]);
    assert.deepEqual(reads, ['lot-0']);

    assert.equal(await job.tick(), LOTS, 'every recorded lot forecast once');
    assert.equal(reads.length, LOTS, 'lot-0’s read again by none: the job takes a kept forecast where there is one');
    reads = [];
    await forecasts.forecastAt(asked, NOW, [NOW + 90 * MIN]);
    assert.deepEqual(reads, [], 'the forecast asked for is still kept: no history read for it');
    await forecasts.forecastAt(lots.get('lot-7')!, NOW, [NOW + 60 * MIN]);
    assert.deepEqual(reads, ['lot-7'], 'the job kept none of its own: the API reads the lot’s history again');
  });

  it('keeps the forecasts asked for through the API, 64 at most, the oldest going first', async () => {
    const forecasts = new ForecastViews({ history, catalog, timeZone: 'Asia/Shanghai', clock: () => NOW });
    for (let i = 0; i < 65; i++) await forecasts.forecastAt(lots.get(`lot-${i}`)!, NOW, [NOW + 60 * MIN]);
    reads = [];
    await forecasts.forecastAt(lots.get('lot-64')!, NOW, [NOW + 60 * MIN]);
    await forecasts.forecastAt(lots.get('lot-1')!, NOW, [NOW + 60 * MIN]);
    assert.deepEqual(reads, [], 'the newest 64 are kept');
    await forecasts.forecastAt(lots.get('lot-0')!, NOW, [NOW + 60 * MIN]);
    assert.deepEqual(reads, ['lot-0'], 'the oldest went first');
  });
});
