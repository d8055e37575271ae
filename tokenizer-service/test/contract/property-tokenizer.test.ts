// Property-based contract tests of the tokenizer: requests generated from the contract's request schemas
// (and legal variations of their encoding) must get a documented success; invalid variations (one broken
// rule each: wrong type, missing or unknown property, oversized string, pattern or range miss) and bad
// encodings (truncated JSON, invalid UTF-8, prototype keys, another media type...) a documented 4xx.
// Every answer must conform to the contract, and none may be a 5xx.

import { fromInject } from '@tokenization/contracts/testing/contract-assertions';
import { type ActualResponse, ContractValidator } from '@tokenization/contracts/testing/contract-validator';
import {
  assertProperty,
  badEncodings,
  legalEncodings,
  type RawBody,
  StatusTally,
} from '@tokenization/contracts/testing/property-runner';
import {
  arbitraryFor,
  invalidArbitrary,
  mutationsOf,
} from '@tokenization/contracts/testing/schema-arbitrary';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import fc from 'fast-check';
import t from 'tap';
import { createTestStack, type TestStack, testCardNumbers } from '../helpers/contract-stack.js';

const validator = new ContractValidator('tokenizer', tokenizerDocument);
const tally = new StatusTally();

/** Problems of one answer: any departure from the contract, and any 5xx. */
function judge(operationId: string, response: ActualResponse, expected: (status: number) => boolean): void {
  const problems = validator.responseProblems(operationId, response);
  if (response.status >= 500) problems.push(`a ${response.status}`);
  if (!expected(response.status)) problems.push(`unexpected status ${response.status}`);
  tally.add(operationId, response.status);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${response.body.slice(0, 500)}`);
}

const isSuccess = (status: number) => status >= 200 && status < 300;
const isClientError = (status: number) => status >= 400 && status < 500;

/** Problem types a request valid by schema may still get: what the schema cannot say (Luhn, option mixes). */
const semanticRefusals = new Set([
  'urn:tokenization:problem:invalid-value',
  'urn:tokenization:problem:invalid-options',
]);

function validArbitrary(operationId: string): fc.Arbitrary<unknown> {
  const schema = validator.requestSchema(operationId);
  if (!schema) throw new Error(`${operationId} takes no body`);
  return arbitraryFor(schema).filter((value) => validator.schemaProblems(schema, value).length === 0);
}

/**
 * A valid request made consistent where the schema cannot say it (a real card number for `card_number`,
 * no expiry on a deterministic token, ...): these must all succeed, with no semantic refusal.
 */
function consistent(item: Record<string, unknown>, pick: number): Record<string, unknown> {
  const fixed = { ...item };
  if (fixed.format === 'format_preserving') fixed.type = 'card_number';
  if (fixed.format !== 'format_preserving') delete fixed.preserve;
  if (fixed.deterministic === true) {
    delete fixed.ttlSeconds;
    delete fixed.maxUses;
    // A deterministic token keeps the last four at most.
    if (fixed.preserve === 'first6_last4') delete fixed.preserve;
  }
  if (fixed.type === 'card_number') {
    // 16 digits: enough for `first6_last4`; spaces and dashes are accepted and removed.
    const card = sixteenDigitCards[pick % sixteenDigitCards.length] as string;
    fixed.value = [card, card.replace(/(\d{4})(?!$)/g, '$1 '), card.replace(/(\d{4})(?!$)/g, '$1-')][
      pick % 3
    ];
  }
  return fixed;
}

const sixteenDigitCards = testCardNumbers.filter((card) => card.length === 16);

function consistentArbitrary(operationId: string): fc.Arbitrary<unknown> | undefined {
  const valid = validArbitrary(operationId);
  if (operationId === 'tokenize') {
    return fc.tuple(valid, fc.nat()).map(([item, pick]) => consistent(item as Record<string, unknown>, pick));
  }
  if (operationId === 'tokenizeBatch') {
    return fc.tuple(valid, fc.nat()).map(([body, pick]) => ({
      items: (body as { items: Record<string, unknown>[] }).items.map((item, index) =>
        consistent(item, pick + index),
      ),
    }));
  }
  return undefined;
}

const bodyOperations = [
  { operationId: 'tokenize', url: '/v1/tokens' },
  { operationId: 'tokenizeBatch', url: '/v1/tokens/batch' },
  { operationId: 'detokenize', url: '/v1/detokenize' },
] as const;

async function send(stack: TestStack, url: string, raw: RawBody) {
  return fromInject(
    await stack.inject({
      method: 'POST',
      url,
      payload: raw.body,
      headers: { 'content-type': raw.contentType },
    }),
  );
}

t.test('tokenizer operations with a body', async (t) => {
  // Hundreds of deterministic items within a minute: the per-caller limit (tested on its own, and its 429
  // in tokenizer-provider.test.ts) is lifted so that every consistent request can succeed.
  const stack = await createTestStack(t, { env: { DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '1000000' } });
  const existing = (
    await stack.inject({
      method: 'POST',
      url: '/v1/tokens/batch',
      payload: { items: Array.from({ length: 20 }, (_, index) => ({ value: `existing-${index}` })) },
    })
  )
    .json()
    .results.map((result: { token: string }) => result.token) as string[];

  for (const { operationId, url } of bodyOperations) {
    const schema = validator.requestSchema(operationId) ?? {};
    let valid = validArbitrary(operationId);
    if (operationId === 'detokenize') {
      // Random tokens are all unknown: mix in tokens that exist.
      valid = fc
        .tuple(valid as fc.Arbitrary<{ tokens: string[] }>, fc.subarray(existing, { maxLength: 5 }))
        .map(([body, known]) => ({ ...body, tokens: [...known, ...body.tokens].slice(0, 100) }));
    }

    const consistentRequests = consistentArbitrary(operationId);

    await t.test(`${operationId}: valid requests, legally encoded, get a documented success`, async (t) => {
      await assertProperty(
        t,
        `${operationId} valid`,
        fc.asyncProperty(
          valid.chain((value) => legalEncodings(value)),
          async (raw) => {
            const response = await send(stack, url, raw);
            judge(operationId, response, (status) => {
              if (isSuccess(status)) return true;
              const type = status === 400 ? (JSON.parse(response.body) as { type?: string }).type : undefined;
              return type !== undefined && semanticRefusals.has(type);
            });
          },
        ),
      );
      // Random options mostly contradict each other (a refusal); the consistent ones are checked below.
      if (!consistentRequests) {
        t.ok(tally.count(operationId, isSuccess) > 0, 'some valid requests succeeded');
      }
    });

    if (consistentRequests) {
      await t.test(`${operationId}: valid and consistent requests succeed`, async (t) => {
        await assertProperty(
          t,
          `${operationId} consistent`,
          fc.asyncProperty(consistentRequests, async (value) => {
            const raw = {
              description: 'consistent',
              body: JSON.stringify(value),
              contentType: 'application/json',
            };
            const response = await send(stack, url, raw);
            judge(operationId, response, isSuccess);
            const results = (JSON.parse(response.body) as { results?: { error?: unknown }[] }).results ?? [];
            const failed = results.filter((result) => result.error !== undefined);
            if (failed.length > 0) throw new Error(`item errors: ${JSON.stringify(failed)}`);
          }),
        );
      });
    }

    await t.test(`${operationId}: requests breaking one schema rule get a documented 400`, async (t) => {
      const isValid = (value: unknown) => validator.schemaProblems(schema, value).length === 0;
      await assertProperty(
        t,
        `${operationId} invalid`,
        fc.asyncProperty(invalidArbitrary(schema, valid, isValid), async (mutation) => {
          const raw = {
            description: mutation.description,
            body: JSON.stringify(mutation.value),
            contentType: 'application/json',
          };
          judge(operationId, await send(stack, url, raw), (status) => status === 400);
        }),
      );
    });

    await t.test(`${operationId}: badly encoded bodies get a documented 4xx`, async (t) => {
      await assertProperty(
        t,
        `${operationId} bad encodings`,
        fc.asyncProperty(valid, fc.nat(), async (value, n) => {
          for (const raw of badEncodings(value, n)) {
            try {
              judge(operationId, await send(stack, url, raw), isClientError);
            } catch (error) {
              throw new Error(`${raw.description}: ${(error as Error).message}`);
            }
          }
        }),
      );
    });
  }
  t.comment(tally.summary());
});

t.test('tokenizer operations on a token path', async (t) => {
  const stack = await createTestStack(t);
  const existing = (
    await stack.inject({
      method: 'POST',
      url: '/v1/tokens/batch',
      payload: { items: Array.from({ length: 60 }, (_, index) => ({ value: `existing-${index}` })) },
    })
  )
    .json()
    .results.map((result: { token: string }) => result.token) as string[];
  const params = validator.route('getTokenMetadata').schema.params?.properties;
  const schema = (params as Record<string, Record<string, unknown>>).token ?? {};
  const isValid = (value: unknown) => validator.schemaProblems(schema, value).length === 0;
  const anyToken = arbitraryFor(schema).filter(isValid) as fc.Arbitrary<string>;
  const valid = fc.oneof(fc.constantFrom(...existing), anyToken);
  // A path is text: only string variations apply (`42` in a path is the token "42").
  const invalid = fc
    .tuple(valid, fc.nat())
    .map(([token, pick]) => {
      const strings = mutationsOf(schema, token).filter(
        (mutation) => typeof mutation.value === 'string' && mutation.value !== '' && !isValid(mutation.value),
      );
      return strings[pick % Math.max(strings.length, 1)];
    })
    .filter((mutation) => mutation !== undefined);

  for (const [operationId, method, success] of [
    ['getTokenMetadata', 'GET', 200],
    ['deleteToken', 'DELETE', 204],
  ] as const) {
    await t.test(`${operationId}: valid tokens get ${success} or 404`, async (t) => {
      await assertProperty(
        t,
        `${operationId} valid`,
        fc.asyncProperty(valid, async (token) => {
          const response = await stack.inject({ method, url: `/v1/tokens/${encodeURIComponent(token)}` });
          judge(operationId, fromInject(response), (status) => status === success || status === 404);
        }),
      );
      t.ok(tally.count(operationId, (status) => status === success) > 0, `some answered ${success}`);
    });
    await t.test(`${operationId}: tokens breaking the schema get a documented 400`, async (t) => {
      await assertProperty(
        t,
        `${operationId} invalid`,
        fc.asyncProperty(invalid, async (mutation) => {
          const response = await stack.inject({
            method,
            url: `/v1/tokens/${encodeURIComponent(String(mutation?.value))}`,
          });
          judge(operationId, fromInject(response), (status) => status === 400);
        }),
      );
    });
  }
  t.comment(tally.summary());
});
