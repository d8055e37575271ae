import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths scrubbed from every log line. The app never logs bodies or card numbers, but one must not reach a
 * log even if some code one day logs a request, a body or an order by mistake.
 */
export const redactedPaths = [
  'CreditCard',
  '*.CreditCard',
  '*.*.CreditCard',
  'card',
  '*.card',
  'cardNumber',
  '*.cardNumber',
  'value',
  '*.value',
  'body',
  '*.body',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

interface LoggedRequest {
  method?: string;
  id?: string;
  routeOptions?: { url?: string };
}

/**
 * Requests as Fastify logs them: the route's pattern (`/order/:CustomerOrder`), never the URL as sent, which
 * is the client's text and may hold a card number (a CustomerOrder, a mistyped path, a query).
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
