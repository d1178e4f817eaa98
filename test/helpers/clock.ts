// Clocks for a service under test, so that no test depends on the time of
// day or today's date: opening hours, public holidays and data ages are all
// judged by the clock the test gives the service (and, through the page,
// the browser), never by the machine's.
import { loadConfig } from '../../server/config.ts';
import { instantOfWallTime } from '../../server/domain/opening-hours.ts';

/** The instant at which the clock in `timeZone` reads `wallTime` ("2026-11-25T23:30"). */
export function zonedTime(wallTime: string, timeZone: string): number {
  const asUtc = Date.parse(`${wallTime}Z`);
  if (Number.isNaN(asUtc)) throw new Error(`not a wall time: ${wallTime}`);
  return instantOfWallTime(asUtc, timeZone);
}

/** The lots' time zone of a service the helpers start (test/helpers/app.ts): TIME_ZONE when set, else the service's default. */
export const TEST_TIME_ZONE = loadConfig({ TIME_ZONE: process.env.TIME_ZONE }).TIME_ZONE;

export interface RunningClock {
  /** Now, by this clock (epoch ms). */
  (): number;
  /** Jumps to this instant; the clock runs on from there. */
  set(at: number): void;
}

/**
 * A clock that starts at `start` and runs at the machine's pace, so what
 * takes real time in a test (pushes, the page ageing data by itself) still
 * does, while the time of day and the date are the test's.
 */
export function runningClock(start: number): RunningClock {
  let base = start;
  let since = performance.now();
  const clock = (() => Math.floor(base + (performance.now() - since))) as RunningClock;
  clock.set = (at) => {
    base = at;
    since = performance.now();
  };
  return clock;
}
