// Lots given a past, for the charts' tests: occupancy as a deterministic
// function of time on the lots' clock (the truth the pages are checked
// against), written as the history import takes it (POST /api/lots/{id}/history,
// text/csv `lot,at,occupied`) and imported as an administrator.
import { wallOf } from '../../server/domain/zone.ts';
import { ADMIN_TOKEN } from './api.ts';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** The lots' wall clock at `at`: hour of the day (with its fraction) and weekday (Monday 0 … Sunday 6). */
export function wallClock(at: number, timeZone: string): { hour: number; weekday: number } {
  const wall = new Date(wallOf(at, timeZone));
  return { hour: wall.getUTCHours() + wall.getUTCMinutes() / 60, weekday: (wall.getUTCDay() + 6) % 7 };
}

/** A lot that fills by day, weekdays more than weekends (the forecast API's tests' lot), of 150 spaces. */
export function busyByDay(at: number, timeZone: string): number {
  const { hour, weekday } = wallClock(at, timeZone);
  const day = Math.max(0, Math.sin(((hour - 6) / 14) * Math.PI));
  return Math.round((weekday >= 5 ? 40 : 120) * day + 10);
}

/**
 * A CSV of samples every `everyMs` in [from, to); `occupied` null leaves a
 * sample out (with a stale threshold of `everyMs`, exactly that time is a gap).
 */
export function historyCsv(lot: string, from: number, to: number, occupied: (at: number) => number | null, everyMs = 5 * MIN): string {
  const lines = ['lot,at,occupied'];
  for (let at = from; at < to; at += everyMs) {
    const value = occupied(at);
    if (value !== null) lines.push(`${lot},${new Date(at).toISOString()},${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Imports a lot's history; throws unless every sample was written. */
export async function importHistory(base: string, lot: string, csv: string): Promise<void> {
  const res = await fetch(new URL(`/api/lots/${lot}/history`, base), {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: csv,
  });
  if (res.status !== 200) throw new Error(`history import answered ${res.status}: ${await res.text()}`);
}
