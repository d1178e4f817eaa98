import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'kongwei' },
    redact: { paths: ['*.token', '*.secret', '*.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  });
}

/**
 * Bounds how often one kind of log line is written: the first `perInterval`
 * lines of each interval go out, later ones are only counted, and one summary
 * line with their number (and the count per `key`) follows when the interval
 * ends — so a flood of bad input cannot flood the log. The summary is written
 * by the first call after the interval (tests drive it with their clock) or by
 * a timer at the interval's end; stop() writes what is left.
 */
export class LogSampler {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private readonly suppressed = new Map<string, number>();
  private suppressedTotal = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly options: {
      log: Logger;
      /** The summary line's message, e.g. "rejected MQTT messages not logged". */
      what: string;
      perInterval: number;
      intervalMs: number;
      level?: 'warn' | 'info';
      clock?: () => number;
    },
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Writes the line (through `write`) if this interval still has room; else counts it under `key`. */
  write(key: string, write: () => void): void {
    const now = this.clock();
    if (now - this.windowStart >= this.options.intervalMs) {
      this.flush();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.options.perInterval) {
      this.written++;
      write();
      return;
    }
    this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
    this.suppressedTotal++;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, Math.max(0, this.windowStart + this.options.intervalMs - now));
      this.timer.unref();
    }
  }

  /** Writes the summary of the lines held back, if any. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressedTotal === 0) return;
    const { log, what, intervalMs, level = 'warn' } = this.options;
    log[level]({ suppressed: this.suppressedTotal, byKind: Object.fromEntries(this.suppressed), intervalS: intervalMs / 1000 }, `${this.suppressedTotal} more ${what} (only the first ${this.options.perInterval} of every ${intervalMs / 1000} s are logged)`);
    this.suppressed.clear();
    this.suppressedTotal = 0;
  }

  stop(): void {
    this.flush();
  }
}
