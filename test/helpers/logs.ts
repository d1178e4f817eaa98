// A logger whose lines a test can read: the service's own pino, writing JSON
// lines into memory instead of stdout.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../server/log.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export function captureLogs(level = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { log: pino({ level, base: { service: 'kongwei' } }, sink), lines };
}
