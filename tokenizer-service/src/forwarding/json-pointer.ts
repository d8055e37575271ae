// JSON Pointers (RFC 6901) over parsed JSON: no library for them is installed, and the product needs three
// small things only — parse a pointer, read the value it points at, and list the pointer of every leaf.

export type JsonPointer = string;

/** The reference tokens of a pointer (`/card/number` → `['card', 'number']`); `~1` is `/`, `~0` is `~`. */
export function parsePointer(pointer: JsonPointer): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new SyntaxError('a JSON pointer starts with "/"');
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new SyntaxError('"~" in a JSON pointer must be "~0" or "~1"');
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** The pointer of a path of reference tokens: the inverse of parsePointer. */
export function formatPointer(tokens: readonly string[]): JsonPointer {
  return tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * The value at `pointer` in `document`, or undefined when nothing is there. Array indexes are decimal
 * without leading zeros (`-`, past the end, is nothing); only own properties count.
 */
export function valueAt(document: unknown, pointer: JsonPointer): unknown {
  let current: unknown = document;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/** A copy of `document` with the value at each pointer replaced; every pointer must point at a value. */
export function withValuesAt(document: unknown, replacements: ReadonlyMap<JsonPointer, unknown>): unknown {
  const copy = structuredClone(document);
  for (const [pointer, value] of replacements) {
    const tokens = parsePointer(pointer);
    const last = tokens.pop();
    if (last === undefined) return value;
    const parent = valueAt(copy, formatPointer(tokens));
    if (Array.isArray(parent) && /^(0|[1-9]\d*)$/.test(last) && Number(last) < parent.length) {
      parent[Number(last)] = value;
    } else if (typeof parent === 'object' && parent !== null && Object.hasOwn(parent, last)) {
      (parent as Record<string, unknown>)[last] = value;
    } else {
      throw new RangeError('no value at the JSON pointer');
    }
  }
  return copy;
}

/** Every leaf of `document` (strings, numbers, booleans, null) with its pointer, depth first. */
export function* leaves(document: unknown, at: string[] = []): Generator<[JsonPointer, unknown]> {
  if (Array.isArray(document)) {
    for (const [index, item] of document.entries()) yield* leaves(item, [...at, String(index)]);
  } else if (typeof document === 'object' && document !== null) {
    for (const [key, item] of Object.entries(document)) yield* leaves(item, [...at, key]);
  } else {
    yield [formatPointer(at), document];
  }
}
