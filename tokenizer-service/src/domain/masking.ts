/** All but the last four characters (and, for card numbers on request, the first six) become `*`. */
export function maskValue(value: string, options: { isCardNumber: boolean; showFirst6: boolean }): string {
  const chars = [...value];
  const head = options.isCardNumber && options.showFirst6 && chars.length >= 16 ? 6 : 0;
  const tail = Math.min(4, Math.max(0, chars.length - head - 4));
  return chars.map((char, i) => (i < head || i >= chars.length - tail ? char : '*')).join('');
}
