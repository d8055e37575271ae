import { createServiceLogger } from '@tokenization/service-kit/logging';
import type { DestinationStream, Logger } from 'pino';

/**
 * The order service's own paths, added to the kit's shared redaction: the names a card number goes by in
 * its requests and calls, and the headers of outgoing requests.
 */
export const orderRedactedPaths = [
  'CreditCard',
  '*.CreditCard',
  '*.*.CreditCard',
  'card',
  '*.card',
  'cardNumber',
  '*.cardNumber',
  'headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return createServiceLogger({ level, extraRedactedPaths: orderRedactedPaths, destination });
}
