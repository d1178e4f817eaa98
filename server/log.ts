import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'kongwei' },
    redact: { paths: ['*.token', '*.secret', '*.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  });
}
