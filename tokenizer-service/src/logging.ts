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

interface LoggedRequest {
  method?: string;
  id?: string;
  routeOptions?: { url?: string };
}

/**
 * Requests as Fastify logs them: the route's pattern (`/v1/tokens/:token`), never the URL as sent, which is
 * the caller's text and may hold a card number sent where a token belongs. No Host header either.
 */
function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return { method: request.method, url: request.routeOptions?.url ?? '[no route]', id: request.id };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    // Lambda adds its own timestamps; ISO times keep local logs readable.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
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
    redact: { paths: ['value', 'values', 'body', '*.value', 'results[*].value'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
