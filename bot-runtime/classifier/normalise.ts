/**
 * Canonical form of a user question, used both for classification and for answer-cache keys:
 * Unicode NFKC, case-folded, accents removed, punctuation and symbols as spaces, whitespace collapsed.
 * Two questions that differ only in those respects share one cache entry.
 */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Words of an already normalised text. */
export function tokens(normalised: string): string[] {
  return normalised === '' ? [] : normalised.split(' ');
}

/** Printable ASCII never grows under normalise(): NFKD leaves it as it is and runs only shrink. */
const ASCII = /^[\t\n\r\x20-\x7e]*$/;

/**
 * Whether the normalised form of `text` is over maxBytes of UTF-8. Compatibility decomposition can
 * expand text a lot (U+FDFA becomes 18 characters, 33 bytes), so a limit on the raw message alone
 * does not bound what the classifier, its memo and the cache keys hold. ASCII is answered without
 * normalising, so the common case costs one regex test.
 */
export function normalisedTooLarge(text: string, maxBytes: number): boolean {
  if (ASCII.test(text)) return false;
  return Buffer.byteLength(normalise(text), 'utf8') > maxBytes;
}
