// What the service forecast, kept to measure its accuracy against what
// happened (DESIGN.md §7, "Live accuracy").
import type { Knex } from 'knex';

export interface LoggedForecast {
  lotId: string;
  horizonMin: number;
  target: number;
  madeAt: number;
  occupied: number;
  low: number;
  high: number;
}

/** Per horizon: the mean absolute error as a share of capacity (percentage points), over how many forecasts. */
export interface HorizonAccuracy {
  horizonMin: number;
  maePct: number;
  /** Forecasts scored (their target bucket was at least half known). */
  n: number;
  /** Share of the outcomes inside the 80 % interval. */
  coverage: number;
}

export class ForecastLog {
  constructor(private readonly db: Knex) {}

  async add(rows: readonly LoggedForecast[]): Promise<void> {
    const values = rows.map((r) => ({ lot_id: r.lotId, horizon_min: r.horizonMin, target: r.target, made_at: r.madeAt, occupied: r.occupied, low: r.low, high: r.high }));
    for (let i = 0; i < values.length; i += 500) await this.db('forecast_log').insert(values.slice(i, i + 500)).onConflict(['lot_id', 'horizon_min', 'target']).ignore();
  }

  /** When the lot's forecasts were last logged (null: never). */
  async lastMade(lotIds: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (let i = 0; i < lotIds.length; i += 500) {
      const rows = (await this.db('forecast_log').whereIn('lot_id', lotIds.slice(i, i + 500)).groupBy('lot_id').select('lot_id').max({ made: 'made_at' })) as { lot_id: string; made: number | string }[];
      for (const row of rows) found.set(row.lot_id, Number(row.made));
    }
    return found;
  }

  /** The lot's accuracy per horizon, for forecasts whose targets fell in [from, to) (free = capacity − occupied, so the error is the same in both). */
  async accuracy(lotId: string, from: number, to: number): Promise<HorizonAccuracy[]> {
    const rows = (await this.db('forecast_log as f')
      .join('history_5m as h', (on) => on.on('h.lot_id', '=', 'f.lot_id').andOn('h.start', '=', 'f.target'))
      // The same range on h.start (h.start = f.target): PostgreSQL then reads only the months' partitions it falls in.
      .where('f.lot_id', lotId).andWhere('f.target', '>=', from).andWhere('f.target', '<', to).andWhere('h.start', '>=', from).andWhere('h.start', '<', to)
      .andWhere('h.known_ms', '>=', 150_000)
      .select('f.horizon_min', 'f.occupied', 'f.low', 'f.high', 'h.occ_ms', 'h.known_ms', 'h.capacity')) as Record<string, number | string>[];
    const byHorizon = new Map<number, { err: number; n: number; inside: number }>();
    for (const row of rows) {
      const capacity = Number(row.capacity);
      if (capacity <= 0) continue;
      const actual = Number(row.occ_ms) / Number(row.known_ms);
      const tally = byHorizon.get(Number(row.horizon_min)) ?? byHorizon.set(Number(row.horizon_min), { err: 0, n: 0, inside: 0 }).get(Number(row.horizon_min))!;
      tally.err += (Math.abs(Number(row.occupied) - actual) / capacity) * 100;
      tally.n += 1;
      // low/high are free spaces: the outcome's free spaces inside them.
      const free = capacity - actual;
      if (free >= Number(row.low) - 1e-9 && free <= Number(row.high) + 1e-9) tally.inside += 1;
    }
    return [...byHorizon.entries()].sort((a, b) => a[0] - b[0]).map(([horizonMin, t]) => ({
      horizonMin, maePct: Math.round((t.err / t.n) * 100) / 100, n: t.n, coverage: Math.round((t.inside / t.n) * 1000) / 1000,
    }));
  }

  async deleteBefore(madeBefore: number): Promise<void> {
    await this.db('forecast_log').where('made_at', '<', madeBefore).delete();
  }
}
