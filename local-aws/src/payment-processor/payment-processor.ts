// DEVELOPMENT AND TESTS ONLY: a payment processor stand-in that moves no money. It speaks a small,
// Stripe-like authorize-and-capture API, so that payments leave the tokenizer's forward operation exactly
// as they would for a real processor:
//   POST /v1/charges      { amount: { value, currency }, card: { number }, description? }
//                         headers `authorization: Bearer <key>` and `idempotency-key` (both required)
//   GET  /v1/charges      the ledger (card brand and last four only), oldest first
//   GET  /v1/charges/{id} one charge
//   POST /_control/faults { mode: "none" | "fail" | "slow" | "drop", delayMs?, count? }
//   GET  /health/live     no key needed
// It keeps its ledger in memory and never keeps, logs or answers a card number: only brand and last four.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CardBrand,
  cardBrand,
  containsCardNumber,
  lastFour,
  passesLuhn,
} from '@tokenization/service-kit/card';

/** Declined with `card_declined`, as in card networks' test ranges. */
export const declinedTestCard = '4000000000000002';

export interface Charge {
  id: string;
  object: 'charge';
  status: 'captured';
  amount: { value: number; currency: string };
  card: { brand: CardBrand; last4: string };
  description?: string;
  idempotencyKey: string;
  /** ISO 8601. */
  created: string;
}

/**
 * What goes wrong with the next charge requests (the ledger and control routes are never faulted):
 * - `fail`: 503 `api_error` and nothing charged;
 * - `slow`: charged, answered after `delayMs` (default 2000);
 * - `drop`: charged, then the connection is closed without an answer (the answer is lost).
 * `count` limits the fault to that many charge requests, then it is `none` again.
 */
export type PaymentProcessorFault =
  | { mode: 'none' }
  | { mode: 'fail' | 'slow' | 'drop'; delayMs?: number; count?: number };

/** One line per charge request: never the card number, only what a ledger may show. */
export interface PaymentProcessorLogEntry {
  event: 'charge.captured' | 'charge.replayed' | 'charge.declined' | 'charge.refused' | 'charge.faulted';
  status: number;
  chargeId?: string;
  card?: { brand: CardBrand; last4: string };
  code?: string;
  fault?: PaymentProcessorFault['mode'];
}

export interface PaymentProcessorOptions {
  /** The API key callers send as `authorization: Bearer <key>`. */
  apiKey: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  log?: (entry: PaymentProcessorLogEntry) => void;
  clock?: () => Date;
  /** Replaces crypto.randomBytes for charge ids (tests). */
  randomBytes?: (size: number) => Buffer;
}

export interface PaymentProcessor {
  /** http://HOST:PORT */
  readonly url: string;
  /** Every charge made, oldest first. */
  ledger(): Charge[];
  setFault(fault: PaymentProcessorFault): void;
  close(): Promise<void>;
}

const maxBodyBytes = 16 * 1024;
const maxIdempotencyKeyLength = 255;

class ProcessorError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'card_error' | 'invalid_request_error' | 'idempotency_error' | 'api_error',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ChargeRequest {
  amount: { value: number; currency: string };
  cardNumber: string;
  description?: string;
}

export async function startPaymentProcessor(options: PaymentProcessorOptions): Promise<PaymentProcessor> {
  if (options.apiKey.length < 16)
    throw new Error('the payment processor API key must be 16 characters or more');
  const expectedKey = Buffer.from(options.apiKey);
  const log = options.log ?? (() => {});
  const clock = options.clock ?? (() => new Date());
  const newChargeId = chargeIds(options.randomBytes ?? randomBytes);
  // The ledger by id, and by idempotency key with a keyed fingerprint of the request that made it, so that
  // a key reused for another request is refused. Keyed by a secret of this process only: an unkeyed hash
  // of a card number could be reversed by trying every number of a BIN.
  const charges = new Map<string, Charge>();
  const byIdempotencyKey = new Map<string, { charge: Charge; fingerprint: string }>();
  const fingerprintKey = randomBytes(32);
  let fault: PaymentProcessorFault = { mode: 'none' };

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
    return given.length === expectedKey.length && timingSafeEqual(given, expectedKey);
  };

  /** The fault this charge request meets, counted down. */
  const takeFault = (): PaymentProcessorFault => {
    const current = fault;
    if (current.mode !== 'none' && current.count !== undefined) {
      fault = current.count <= 1 ? { mode: 'none' } : { ...current, count: current.count - 1 };
    }
    return current;
  };

  async function createCharge(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const idempotencyKey = req.headers['idempotency-key'];
    if (typeof idempotencyKey !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw new ProcessorError(
        400,
        'invalid_request_error',
        'idempotency_key_required',
        `An idempotency-key header of 1 to ${maxIdempotencyKeyLength} visible ASCII characters is required.`,
      );
    }
    const request = parseChargeRequest(body);
    const current = takeFault();
    if (current.mode === 'fail') {
      log({ event: 'charge.faulted', status: 503, fault: 'fail' });
      throw new ProcessorError(503, 'api_error', 'processor_unavailable', 'The processor is unavailable.');
    }
    const fingerprint = createHmac('sha256', fingerprintKey)
      .update(JSON.stringify([request.amount, request.cardNumber, request.description ?? null]))
      .digest('base64url');
    const previous = byIdempotencyKey.get(idempotencyKey);
    let status = 201;
    let charge: Charge;
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new ProcessorError(
          400,
          'idempotency_error',
          'idempotency_key_in_use',
          'This idempotency key was used for a different request.',
        );
      }
      status = 200;
      charge = previous.charge;
      log({ event: 'charge.replayed', status, chargeId: charge.id, card: charge.card });
    } else {
      if (request.cardNumber === declinedTestCard) {
        log({
          event: 'charge.declined',
          status: 402,
          card: cardOf(request.cardNumber),
          code: 'card_declined',
        });
        throw new ProcessorError(402, 'card_error', 'card_declined', 'Your card was declined.');
      }
      charge = {
        id: newChargeId(),
        object: 'charge',
        status: 'captured',
        amount: request.amount,
        card: cardOf(request.cardNumber),
        ...(request.description === undefined ? {} : { description: request.description }),
        idempotencyKey,
        created: clock().toISOString(),
      };
      // Recorded before any delay: the charge is made whether or not its answer arrives.
      charges.set(charge.id, charge);
      byIdempotencyKey.set(idempotencyKey, { charge, fingerprint });
      log({ event: 'charge.captured', status, chargeId: charge.id, card: charge.card });
    }
    if (current.mode === 'slow') await sleep(current.delayMs ?? 2_000);
    if (current.mode === 'drop') {
      log({ event: 'charge.faulted', status: 0, chargeId: charge.id, fault: 'drop' });
      req.socket.destroy();
      return;
    }
    sendJson(res, status, charge);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/health/live') return sendJson(res, 200, { status: 'ok' });
    if (!authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new ProcessorError(401, 'invalid_request_error', 'unauthorized', 'Invalid API key.');
    }
    if (req.method === 'POST' && path === '/v1/charges') return createCharge(req, res, body);
    if (req.method === 'GET' && path === '/v1/charges') {
      return sendJson(res, 200, { object: 'list', data: [...charges.values()] });
    }
    const one = /^\/v1\/charges\/([A-Za-z0-9_]{1,64})$/.exec(path);
    if (req.method === 'GET' && one) {
      const charge = charges.get(one[1] as string);
      if (!charge)
        throw new ProcessorError(404, 'invalid_request_error', 'resource_missing', 'No such charge.');
      return sendJson(res, 200, charge);
    }
    if (req.method === 'POST' && path === '/_control/faults') {
      fault = parseFault(parseJson(body));
      return sendJson(res, 200, fault);
    }
    throw new ProcessorError(404, 'invalid_request_error', 'not_found', 'Unknown route.');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const known =
        error instanceof ProcessorError
          ? error
          : new ProcessorError(500, 'api_error', 'internal', 'An unexpected error occurred.');
      if (known.status === 400 || known.status === 401) {
        log({ event: 'charge.refused', status: known.status, code: known.code });
      }
      sendJson(res, known.status, {
        error: { type: known.type, code: known.code, message: known.message },
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    ledger: () => [...charges.values()],
    setFault: (next) => {
      fault = parseFault(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * `ch_` and 32 hex digits, never one that holds a card-number-like run: the tokenizer's forward masks any
 * answer text that does (forwarding/scrub.ts), and about 1 in 140 random hex ids has a Luhn-valid run of
 * 13 to 19 digits, so the caller would get a masked id for a charge that was made.
 */
function chargeIds(random: (size: number) => Buffer): () => string {
  return () => {
    let id: string;
    do id = `ch_${random(16).toString('hex')}`;
    while (containsCardNumber(id));
    return id;
  };
}

function cardOf(digits: string): Charge['card'] {
  return { brand: cardBrand(digits), last4: lastFour(digits) };
}

function parseChargeRequest(body: Buffer): ChargeRequest {
  const input = parseJson(body);
  const amount = input.amount as { value?: unknown; currency?: unknown } | undefined;
  if (
    typeof amount !== 'object' ||
    amount === null ||
    !Number.isSafeInteger(amount.value) ||
    (amount.value as number) < 1 ||
    typeof amount.currency !== 'string' ||
    !/^[A-Z]{3}$/.test(amount.currency)
  ) {
    throw new ProcessorError(
      400,
      'invalid_request_error',
      'amount_invalid',
      'amount must be { value: a positive integer of minor units, currency: an ISO 4217 code }.',
    );
  }
  const card = input.card as { number?: unknown } | undefined;
  const number = typeof card === 'object' && card !== null ? card.number : undefined;
  // The messages never repeat what was sent: it may be a card number.
  if (typeof number !== 'string' || !/^[0-9]{13,19}$/.test(number) || !passesLuhn(number)) {
    throw new ProcessorError(400, 'card_error', 'incorrect_number', 'The card number is incorrect.');
  }
  const { description } = input;
  if (description !== undefined && (typeof description !== 'string' || description.length > 500)) {
    throw new ProcessorError(
      400,
      'invalid_request_error',
      'description_invalid',
      'description must be a string of at most 500 characters.',
    );
  }
  return {
    amount: { value: amount.value as number, currency: amount.currency },
    cardNumber: number,
    ...(description === undefined ? {} : { description }),
  };
}

function parseFault(input: unknown): PaymentProcessorFault {
  const { mode, delayMs, count } = (typeof input === 'object' && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  if (mode === 'none') return { mode };
  const validDelay = delayMs === undefined || (Number.isInteger(delayMs) && (delayMs as number) >= 0);
  const validCount = count === undefined || (Number.isInteger(count) && (count as number) >= 1);
  if ((mode === 'fail' || mode === 'slow' || mode === 'drop') && validDelay && validCount) {
    return {
      mode,
      ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
      ...(count === undefined ? {} : { count: count as number }),
    };
  }
  throw new ProcessorError(
    400,
    'invalid_request_error',
    'fault_invalid',
    'A fault is { mode: "none" | "fail" | "slow" | "drop", delayMs?: integer >= 0, count?: integer >= 1 }.',
  );
}

function parseJson(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProcessorError(400, 'invalid_request_error', 'body_invalid', 'The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      throw new ProcessorError(413, 'invalid_request_error', 'body_too_large', 'The body is too large.');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
