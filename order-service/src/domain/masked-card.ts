import type { CardBrand } from '@tokenization/service-kit/card';

// The usual length of a brand's card numbers. An order keeps only the last four and the brand, never the
// number, so its mask is drawn at the brand's usual length (a 13- or 19-digit Visa shows as 16).
const usualLength: Partial<Record<CardBrand, number>> = { amex: 15, diners: 14 };

/** The card as `CreditCard Charged` shows it: all but the last four as `*` (`************1111`). */
export function maskedCard(last4: string, brand: CardBrand): string {
  return '*'.repeat((usualLength[brand] ?? 16) - last4.length) + last4;
}
