import pino, { type Logger } from 'pino';

import type { LogLevel } from './config';

export type { Logger };

/** The one JSON logger. Message text, passwords and tokens are never logged; the redaction is a safety net. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'stoa' },
    redact: {
      paths: ['password', 'token', 'text', '*.password', '*.token', '*.text', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
