// Problems name fields and the request's route, never caller text: a key the caller chose is named only
// when it cannot hold a digit, and the `instance` is the route pattern with only the parameters the
// service recognises as its own filled in. The issues below are what Ajv reports through Fastify.
import type { FastifyRequest } from 'fastify';
import t from 'tap';
import { fieldPointer, type ValidationIssue } from '../src/problem.js';
import { problemInstance } from '../src/problem-handling.js';

const card = '4111111111111111';

const issue = (
  instancePath: string,
  schemaPath: string,
  params: Record<string, unknown> = {},
): ValidationIssue => ({
  instancePath,
  schemaPath,
  keyword: schemaPath.split('/').at(-1) ?? '',
  params,
});

t.test(
  'a metadata key is named only when it holds no digit; declared names and indexes always',
  async (t) => {
    const cases: [string, ValidationIssue, string][] = [
      [
        'a value too long under a card-number key',
        issue(`/metadata/${card}`, '#/properties/metadata/additionalProperties/maxLength'),
        '/body/metadata',
      ],
      [
        'a dashed card-number key',
        issue('/metadata/4111-1111-1111-1111', '#/properties/metadata/additionalProperties/type'),
        '/body/metadata',
      ],
      [
        'in a batch item',
        issue(
          `/items/3/metadata/${card}`,
          '#/properties/items/items/properties/metadata/additionalProperties/type',
        ),
        '/body/items/3/metadata',
      ],
      [
        'a key refused by propertyNames',
        issue('/metadata', '#/properties/metadata/propertyNames/pattern', {
          pattern: '^[A-Za-z0-9_.-]{1,64}$',
        }),
        '/body/metadata',
      ],
      [
        'a patternProperties key',
        issue(`/labels/${card}`, '#/properties/labels/patternProperties/%5E%5Cd%2B%24/type'),
        '/body/labels',
      ],
      [
        'a safe key is named',
        issue('/metadata/note', '#/properties/metadata/additionalProperties/maxLength'),
        '/body/metadata/note',
      ],
      [
        'declared names with digits',
        issue('/showFirst6', '#/properties/showFirst6/type'),
        '/body/showFirst6',
      ],
      ['array indexes', issue('/tokens/7', '#/properties/tokens/items/pattern'), '/body/tokens/7'],
      [
        'through oneOf',
        issue('/items/0/value', '#/properties/items/items/oneOf/1/properties/value/type'),
        '/body/items/0/value',
      ],
      [
        'an unknown card-number property',
        issue('', '#/additionalProperties', { additionalProperty: `_${card}` }),
        '/body/(unnamed)',
      ],
      [
        'an unknown safe property',
        issue('', '#/additionalProperties', { additionalProperty: 'tenant' }),
        '/body/tenant',
      ],
      ['a missing declared property', issue('', '#/required', { missingProperty: 'value' }), '/body/value'],
      [
        'a path the schema path does not account for',
        issue(`/metadata/${card}`, '#/properties/other/type'),
        '/body',
      ],
      [
        'no schema path: digit-free segments only',
        { instancePath: `/a/${card}/b`, keyword: 'type', params: {} },
        '/body/a',
      ],
    ];
    for (const [name, validationIssue, field] of cases)
      t.equal(fieldPointer('body', validationIssue), field, name);
    t.equal(fieldPointer('params', issue('/token', '#/properties/token/pattern')), '/params/token');
  },
);

const request = (url: string | undefined, params: Record<string, string>) =>
  ({ routeOptions: { url }, params }) as unknown as FastifyRequest;

t.test('the instance is the route pattern, with only recognised parameters filled in', async (t) => {
  const ours = (name: string, value: string) => name === 'token' && value.startsWith('tok_');
  t.equal(problemInstance(request('/v1/tokens/:token', { token: card })), '/v1/tokens/:token');
  t.equal(problemInstance(request('/v1/tokens/:token', { token: card }), ours), '/v1/tokens/:token');
  t.equal(problemInstance(request('/v1/tokens/:token', { token: 'tok_a/b' }), ours), '/v1/tokens/tok_a%2Fb');
  t.equal(
    problemInstance(request('/order/:CustomerOrder', { CustomerOrder: '123' })),
    '/order/:CustomerOrder',
  );
  t.equal(problemInstance(request('/paybill', {})), '/paybill');
  t.equal(problemInstance(request(undefined, {})), undefined, 'an unknown route has no instance');
});
