// fast-check arbitraries derived from the contracts' JSON Schemas (the subset they use: const, enum,
// oneOf/anyOf, object with properties/required/additionalProperties/propertyNames/maxProperties, string
// with minLength/maxLength/pattern/format date-time, integer with minimum/maximum, boolean, array with
// items/minItems/maxItems), and the invalid variations of a valid value: each breaks one rule of its
// schema (wrong type, missing required property, unknown property, oversized or undersized string,
// pattern or enum miss, integer out of range, too many or too few items).
import fc from 'fast-check';
import type { JsonSchema } from '../../src/operations.js';

/** Values its schema allows; filter them with a validator where branches may overlap (oneOf). */
export function arbitraryFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  if ('$ref' in schema) throw new Error('schemas must be dereferenced ($ref found)');
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (branches) return fc.oneof(...branches.map(arbitraryFor));
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return integerArbitrary(schema);
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayArbitrary(schema);
    case 'object':
      return objectArbitrary(schema);
    default:
      throw new Error(`no arbitrary for schema ${JSON.stringify(schema).slice(0, 200)}`);
  }
}

/** Generated strings that are far longer than usual lengths, but within `maxLength`, one time in five. */
function withLongOnes(
  make: (minLength: number, maxLength: number) => fc.Arbitrary<string>,
  minLength: number,
  maxLength: number | undefined,
): fc.Arbitrary<string> {
  const usual = make(minLength, maxLength ?? minLength + 64);
  if (maxLength === undefined || maxLength - minLength < 16) return usual;
  const long = make(Math.max(minLength, maxLength - 3), maxLength);
  return fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: long, weight: 1 });
}

// `^[class]+$`, `^[class]*$`, `^[class]{m}$` or `^[class]{m,n}$`: a repetition of one character class.
const repeatedClass = /^\^(\[(?:\\.|[^\]\\])+\])(\+|\*|\{(\d+)(?:,(\d*))?\})\$$/;

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = schema.maxLength as number | undefined;
  if (schema.format === 'date-time') {
    return fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
  }
  if (schema.format !== undefined) throw new Error(`no arbitrary for format ${String(schema.format)}`);
  const pattern = schema.pattern as string | undefined;
  if (pattern === undefined) {
    // Any code point (astral ones included), or printable ASCII: lengths count code points, as JSON
    // Schema does.
    const unit = fc.oneof(
      { arbitrary: fc.constant('binary' as const), weight: 1 },
      { arbitrary: fc.constant('grapheme-ascii' as const), weight: 2 },
    );
    return withLongOnes(
      (min, max) => unit.chain((u) => fc.string({ unit: u, minLength: min, maxLength: max })),
      minLength,
      maxLength,
    );
  }
  const repeated = repeatedClass.exec(pattern);
  if (repeated) {
    const [, characterClass = '', quantifier, low, high] = repeated;
    const classMin = quantifier === '+' ? 1 : quantifier === '*' ? 0 : Number(low);
    const classMax =
      quantifier === '+' || quantifier === '*' || high === '' ? undefined : Number(high ?? low);
    const min = Math.max(minLength, classMin);
    const max = [maxLength, classMax]
      .filter((n) => n !== undefined)
      .reduce((a, b) => Math.min(a, b), Infinity);
    const unit = characterOf(characterClass);
    return withLongOnes(
      (lo, hi) => fc.string({ unit, minLength: lo, maxLength: hi }),
      min,
      Number.isFinite(max) ? max : undefined,
    );
  }
  // Anything else: fast-check's generator for the pattern, quantifiers bounded to the longest string
  // allowed, then the lengths the schema allows.
  const bound = maxLength ?? 64;
  const bounded = pattern.replace(/(?<!\\)\+/g, `{1,${bound}}`).replace(/(?<!\\)\*(?!\*)/g, `{0,${bound}}`);
  return fc
    .stringMatching(new RegExp(bounded, 'u'))
    .filter(
      (value) =>
        codePoints(value) >= minLength && (maxLength === undefined || codePoints(value) <= maxLength),
    );
}

/** One character of a regex character class: every ASCII match, and other code points if it has any. */
function characterOf(characterClass: string): fc.Arbitrary<string> {
  const matches = new RegExp(`^${characterClass}$`, 'u');
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).filter((c) =>
    matches.test(c),
  );
  const beyondAscii = ['é', '€', '中', '😀'].some((c) => matches.test(c));
  const arbitraries: fc.Arbitrary<string>[] = [];
  if (ascii.length > 0) arbitraries.push(fc.constantFrom(...ascii));
  if (beyondAscii) {
    arbitraries.push(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => matches.test(c)),
    );
  }
  if (arbitraries.length === 0) throw new Error(`no character matches ${characterClass}`);
  return fc.oneof(...arbitraries);
}

function integerArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const min = (schema.minimum as number | undefined) ?? -(2 ** 31);
  const max = (schema.maximum as number | undefined) ?? 2 ** 31 - 1;
  return fc.oneof(
    { arbitrary: fc.integer({ min, max }), weight: 4 },
    { arbitrary: fc.constantFrom(min, max), weight: 1 },
  );
}

function arrayArbitrary(schema: JsonSchema): fc.Arbitrary<unknown[]> {
  const items = arbitraryFor((schema.items as JsonSchema | undefined) ?? {});
  const minLength = (schema.minItems as number | undefined) ?? 0;
  const maxLength = schema.maxItems as number | undefined;
  const usual = fc.array(items, { minLength, ...(maxLength === undefined ? {} : { maxLength }) });
  if (maxLength === undefined || maxLength - minLength < 16) return usual;
  // Now and then, a full array: the upper bound is where services break.
  const full = fc.array(items, { minLength: maxLength, maxLength });
  return fc.oneof({ arbitrary: usual, weight: 9 }, { arbitrary: full, weight: 1 });
}

function objectArbitrary(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const required = ((schema.required as string[] | undefined) ?? []).filter((key) => key in properties);
  const model = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, arbitraryFor(value)]),
  );
  const known = withConditionalRequirements(schema, model, fc.record(model, { requiredKeys: required }));
  const additional = schema.additionalProperties;
  if (typeof additional !== 'object' || additional === null) return known;
  const names = schema.propertyNames as JsonSchema | undefined;
  const keys = (names ? stringArbitrary({ type: 'string', ...names }) : fc.string({ minLength: 1 })).filter(
    (key) => !(key in properties) && key !== '__proto__',
  );
  const maxKeys = Math.max(
    0,
    ((schema.maxProperties as number | undefined) ?? 8) - Object.keys(properties).length,
  );
  const extra = fc.dictionary(keys, arbitraryFor(additional as JsonSchema), { maxKeys });
  return fc.tuple(known, extra).map(([own, more]) => ({ ...more, ...own }));
}

/**
 * `if: {properties: {p: {const|enum}}}, then: {required: [...]}`: when a generated object meets the
 * condition, the properties `then` requires are added (generated from the object's own schemas).
 */
function withConditionalRequirements(
  schema: JsonSchema,
  model: Record<string, fc.Arbitrary<unknown>>,
  base: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  const condition = schema.if as JsonSchema | undefined;
  if (condition === undefined) return base;
  if ('else' in schema || Object.keys(condition).some((keyword) => keyword !== 'properties')) {
    throw new Error(`no arbitrary for the condition ${JSON.stringify(condition)}`);
  }
  const tests = Object.entries(condition.properties as Record<string, JsonSchema>).map(([key, rule]) => {
    const allowed = 'const' in rule ? [rule.const] : (rule.enum as unknown[] | undefined);
    if (!allowed) throw new Error(`no arbitrary for the condition on ${key}`);
    return (value: Record<string, unknown>) => !(key in value) || allowed.includes(value[key]);
  });
  const then = (schema.then as JsonSchema | undefined) ?? {};
  const thenModel = Object.fromEntries(
    ((then.required as string[] | undefined) ?? []).map((key) => {
      const own = model[key] ?? arbitraryFor((then.properties as Record<string, JsonSchema>)[key] ?? {});
      return [key, own];
    }),
  );
  return fc
    .tuple(base, fc.record(thenModel))
    .map(([value, required]) => (tests.every((test) => test(value)) ? { ...required, ...value } : value));
}

function codePoints(value: string): number {
  return [...value].length;
}

/** One way to break a value's schema: what it breaks, and the broken value. */
export interface Mutation {
  description: string;
  value: unknown;
}

const wrongTypes: Record<string, unknown[]> = {
  string: [42, true, null, ['x'], { x: 'y' }],
  integer: ['1', 1.5, true, null],
  number: ['1', true, null],
  boolean: ['true', 1, null],
  array: ['x', 1, { 0: 'x' }, null],
  object: ['x', 1, ['x'], null],
};

/** Strings that a pattern usually refuses: control characters, spaces, punctuation, non-ASCII. */
const offPatternCharacters = ['!', ' ', '\u0000', '\n', '/', '%', 'é', '😀', '\u007f', '<'];

/**
 * Every invalid variation of `value` (valid against `schema`) that breaks exactly one rule, at any depth.
 * Callers keep those their validator rejects (a variation can be valid when branches overlap).
 */
export function mutationsOf(schema: JsonSchema, value: unknown, at = ''): Mutation[] {
  const mutations: Mutation[] = [];
  const here = at || '/';
  const type = schema.type as string | undefined;
  for (const wrong of (type && wrongTypes[type]) ?? []) {
    mutations.push({ description: `${here}: ${typeName(wrong)} instead of ${type}`, value: wrong });
  }
  if (Array.isArray(schema.enum)) {
    const outside = schema.type === 'string' ? 'not-in-enum' : 9_999;
    if (!schema.enum.includes(outside))
      mutations.push({ description: `${here}: not in enum`, value: outside });
  }
  if (type === 'string' && typeof value === 'string') mutations.push(...stringMutations(schema, value, here));
  if (type === 'integer' && typeof value === 'number') {
    if (typeof schema.minimum === 'number') {
      mutations.push({ description: `${here}: below minimum`, value: schema.minimum - 1 });
    }
    if (typeof schema.maximum === 'number') {
      mutations.push({ description: `${here}: above maximum`, value: schema.maximum + 1 });
    }
  }
  if (type === 'array' && Array.isArray(value)) mutations.push(...arrayMutations(schema, value, at));
  if (type === 'object' && isObject(value)) mutations.push(...objectMutations(schema, value, at));
  return mutations;
}

function stringMutations(schema: JsonSchema, value: string, here: string): Mutation[] {
  const mutations: Mutation[] = [];
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern as string, 'u');
  const fits = (candidate: string) => pattern === undefined || pattern.test(candidate);
  const maxLength = schema.maxLength as number | undefined;
  const minLength = (schema.minLength as number | undefined) ?? 0;
  if (maxLength !== undefined) {
    // Longer than allowed, with characters the pattern accepts, so length is the only fault.
    const filler = [...value].find((c) => fits(c.repeat(Math.max(minLength, 1)))) ?? [...value][0] ?? 'x';
    const longer = value + filler.repeat(maxLength + 1 - codePoints(value));
    mutations.push({
      description: `${here}: ${codePoints(longer)} characters, above maxLength`,
      value: longer,
    });
  }
  if (minLength > 0) {
    mutations.push({
      description: `${here}: below minLength`,
      value: [...value].slice(0, minLength - 1).join(''),
    });
  }
  if (pattern !== undefined) {
    for (const character of offPatternCharacters) {
      const points = [...value];
      points[Math.floor(points.length / 2)] = character;
      const candidate = points.join('');
      if (!pattern.test(candidate)) {
        mutations.push({
          description: `${here}: ${JSON.stringify(character)} off the pattern`,
          value: candidate,
        });
      }
    }
  }
  return mutations;
}

function arrayMutations(schema: JsonSchema, value: unknown[], at: string): Mutation[] {
  const mutations: Mutation[] = [];
  const here = at || '/';
  const items = schema.items as JsonSchema | undefined;
  if (typeof schema.maxItems === 'number' && value.length > 0) {
    const longer = Array.from({ length: schema.maxItems + 1 }, (_, index) => value[index % value.length]);
    mutations.push({ description: `${here}: ${longer.length} items, above maxItems`, value: longer });
  }
  if (typeof schema.minItems === 'number' && schema.minItems > 0) {
    mutations.push({ description: `${here}: below minItems`, value: value.slice(0, schema.minItems - 1) });
  }
  if (items) {
    // The first and the last item stand for all of them (each item has the same schema).
    const indexes = [...new Set([0, value.length - 1])].filter((index) => index >= 0);
    for (const index of indexes) {
      for (const inner of mutationsOf(items, value[index], `${at}/${index}`)) {
        const copy = [...value];
        copy[index] = inner.value;
        mutations.push({ description: inner.description, value: copy });
      }
    }
  }
  return mutations;
}

function objectMutations(schema: JsonSchema, value: Record<string, unknown>, at: string): Mutation[] {
  const mutations: Mutation[] = [];
  const here = at || '/';
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  for (const key of (schema.required as string[] | undefined) ?? []) {
    const { [key]: _removed, ...rest } = value;
    mutations.push({ description: `${here}: required ${key} missing`, value: rest });
  }
  const additional = schema.additionalProperties;
  if (additional === false) {
    for (const [name, extra] of [
      ['unknownProperty', 'x'],
      ['Value', 1],
      ['__proto__x', {}],
    ] as const) {
      if (!(name in properties)) {
        mutations.push({
          description: `${here}: unknown property ${name}`,
          value: { ...value, [name]: extra },
        });
      }
    }
  }
  if (typeof additional === 'object' && additional !== null) {
    const names = schema.propertyNames as JsonSchema | undefined;
    if (names?.pattern !== undefined) {
      mutations.push({
        description: `${here}: a property name off the pattern`,
        value: { ...value, 'bad name!': 'x' },
      });
    }
    if (typeof schema.maxProperties === 'number') {
      const crowded = { ...value };
      for (let index = 0; Object.keys(crowded).length <= schema.maxProperties; index++)
        crowded[`k${index}`] = 'x';
      mutations.push({ description: `${here}: above maxProperties`, value: crowded });
    }
  }
  for (const [key, element] of Object.entries(value)) {
    const elementSchema =
      properties[key] ??
      (typeof additional === 'object' && additional !== null ? (additional as JsonSchema) : undefined);
    if (!elementSchema) continue;
    for (const inner of mutationsOf(elementSchema, element, `${at}/${key}`)) {
      mutations.push({ description: inner.description, value: { ...value, [key]: inner.value } });
    }
  }
  return mutations;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * An invalid variation of a valid value, picked by fast-check among all of them (so it shrinks too), kept
 * only when `isValid` rejects it.
 */
export function invalidArbitrary(
  schema: JsonSchema,
  valid: fc.Arbitrary<unknown>,
  isValid: (value: unknown) => boolean,
): fc.Arbitrary<Mutation> {
  return fc
    .tuple(valid, fc.nat())
    .map(([value, pick]) => {
      const mutations = mutationsOf(schema, value).filter((mutation) => !isValid(mutation.value));
      return mutations[pick % Math.max(mutations.length, 1)];
    })
    .filter((mutation): mutation is Mutation => mutation !== undefined);
}
