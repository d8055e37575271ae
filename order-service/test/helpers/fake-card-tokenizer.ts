// An in-memory fake of the tokenizer as the order service sees it (the CardTokenizer port), for the
// idempotency protocol's domain rules. Random tokens, card facts as the tokenizer answers them; the real
// client is tested against a real tokenizer (tokenizer-client.test.ts, the contract suites).
import { randomUUID } from 'node:crypto';
import { cardBrand } from '@tokenization/service-kit/card';
import { CardTokenUnusableError } from '../../src/domain/errors.js';
import type { CardTokenizer, TokenizedCard } from '../../src/domain/ports.js';

export class FakeCardTokenizer implements CardTokenizer {
  /** Live tokens → card numbers. */
  readonly vault = new Map<string, string>();
  readonly deleted: string[] = [];
  tokenizeCalls = 0;
  /** Thrown, once, by the next tokenize. */
  failNextTokenize: Error | undefined;
  /** Answer without card facts (a tokenizer breaking its contract). */
  omitCardFacts = false;

  async tokenize(cardNumber: string): Promise<TokenizedCard> {
    this.tokenizeCalls++;
    const failure = this.failNextTokenize;
    if (failure) {
      this.failNextTokenize = undefined;
      throw failure;
    }
    const token = `tok_${randomUUID()}`;
    this.vault.set(token, cardNumber);
    if (this.omitCardFacts) return { token };
    return { token, card: { last4: cardNumber.slice(-4), brand: cardBrand(cardNumber) } };
  }

  async verify(token: string, cardNumber: string): Promise<boolean> {
    const value = this.vault.get(token);
    if (value === undefined) throw new CardTokenUnusableError('not_found');
    return value === cardNumber;
  }

  async deleteToken(token: string): Promise<void> {
    this.vault.delete(token);
    this.deleted.push(token);
  }
}
