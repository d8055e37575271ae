import { createServiceLogger, redactionCensor } from '@tokenization/service-kit/logging';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * The tokenizer's own paths, added to the kit's shared redaction: batch items, value lists and the session
 * token of signed requests.
 */
export const tokenizerRedactedPaths = [
  'values',
  '*.values',
  '*.*.value',
  'items',
  '*.items',
  'req.headers["x-amz-security-token"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return createServiceLogger({ level, extraRedactedPaths: tokenizerRedactedPaths, destination });
}

/**
 * The audit logger: a logger and stream of its own, so the infrastructure can route audit events to a
 * separate log group with long retention (a subscription filter on `{ $.audit IS TRUE }`). Every line has
 * `"audit": true` and an `"event"`. Always at `info`: LOG_LEVEL never silences the audit trail. Events
 * carry token ids, never values; the redaction is a second line of defence.
 */
export function createAuditLogger(destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: 'info',
    base: { audit: true },
    redact: { paths: ['value', 'values', 'body', '*.value', 'results[*].value'], censor: redactionCensor },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
