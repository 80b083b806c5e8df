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
