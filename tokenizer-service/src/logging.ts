import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths scrubbed from every log line. The app never logs bodies, but a value must not reach a log even
 * if some code one day logs a request, a body or an item by mistake.
 */
export const redactedPaths = [
  'value',
  'values',
  '*.value',
  '*.values',
  '*.*.value',
  'body',
  '*.body',
  'items',
  '*.items',
  'req.headers.authorization',
  'req.headers["x-amz-security-token"]',
  'req.headers.cookie',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    // Lambda adds its own timestamps; ISO times keep local logs readable.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
