// What a destination answers goes back to a caller that must never see a card number (the point of
// forwarding): every string or number of the answer that holds a card-number-like run (the service kit's
// detector, service-kit/src/card.ts) is replaced whole by a fixed mask, property names included. The
// detector tells whether a text holds a run, not where: replacing the whole string is the safe side.
import { containsCardNumber } from '@tokenization/service-kit/card';

/** What replaces a string, number or property name that holds a card number. */
export const scrubbedMask = '[card number removed]';

/** A copy of parsed JSON with every card-number-like string, number and property name masked. */
export function scrubJson(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  // A card number sent as a JSON number (16 digits fit a double exactly) is one as well.
  if (typeof value === 'number') return containsCardNumber(String(value)) ? scrubbedMask : value;
  if (Array.isArray(value)) return value.map(scrubJson);
  if (typeof value === 'object' && value !== null) {
    const scrubbed: Record<string, unknown> = {};
    let masked = 0;
    for (const [key, item] of Object.entries(value)) {
      // Two masked names would collide: each keeps its own slot.
      const name = containsCardNumber(key) ? `${scrubbedMask}${masked++ === 0 ? '' : ` ${masked}`}` : key;
      scrubbed[name] = scrubJson(item);
    }
    return scrubbed;
  }
  return value;
}

export function scrubText(text: string): string {
  return containsCardNumber(text) ? scrubbedMask : text;
}
