// Logging as both services set it up: JSON lines, the shared redaction, requests logged by route pattern.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths scrubbed from every log line of both services. The apps never log bodies or values, but one must
 * not reach a log even if some code one day logs a request, a body or an item by mistake. Each service adds
 * the names its own payloads use (`CreditCard`, `items`, ...).
 */
export const sharedRedactedPaths: readonly string[] = [
  'value',
  '*.value',
  'body',
  '*.body',
  'req.headers.authorization',
  'req.headers.cookie',
];

export const redactionCensor = '[redacted]';

interface LoggedRequest {
  method?: string;
  id?: string;
  routeOptions?: { url?: string };
}

/**
 * Requests as Fastify logs them: the route's pattern (`/v1/tokens/:token`), never the URL as sent, which is
 * the caller's text and may hold a card number sent where a token or an order id belongs. No Host header
 * either.
 */
function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return { method: request.method, url: request.routeOptions?.url ?? '[no route]', id: request.id };
}

/** Pino options: the shared redaction plus `extraRedactedPaths`, requests by route pattern, ISO times. */
export function loggerOptions(level: string, extraRedactedPaths: readonly string[] = []): LoggerOptions {
  return {
    level,
    redact: { paths: [...sharedRedactedPaths, ...extraRedactedPaths], censor: redactionCensor },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    // Lambda adds its own timestamps; ISO times keep local logs readable.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export interface ServiceLoggerOptions {
  level: string;
  /** The service's own paths, added to the shared ones. */
  extraRedactedPaths?: readonly string[];
  /** Where lines go; stdout without it. */
  destination?: DestinationStream | undefined;
}

export function createServiceLogger(options: ServiceLoggerOptions): Logger {
  const pinoOptions = loggerOptions(options.level, options.extraRedactedPaths);
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
