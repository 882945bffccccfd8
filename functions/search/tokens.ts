/*
 * The tokenizer and the edit-distance pieces of search: pure functions, shared by indexing and
 * querying so that both see the same words.
 */

/** Words longer than this are not indexed (nobody types them; they would only bloat the index). */
export const MAX_TOKEN_LENGTH = 40;
/** Query words at least this long also match words one edit away (`blnket` finds "Blanket"). */
export const FUZZY_MIN_LENGTH = 5;
/** Query words at least this long also match longer words they begin (`lam` finds "Lamp"). */
export const PREFIX_MIN_LENGTH = 2;

/** Lower case without accents: `Crème Brûlée` and `creme brulee` are the same words. */
export function normalize(text: string): string {
  // Most catalog text is ASCII, which has no accents to take off (and NFKD is the slow part).
  if (ASCII.test(text)) return text.toLowerCase();
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}
const ASCII = /^[ -~\t\n\r]*$/;

/** The words of a text: runs of letters and digits, normalized, at most `MAX_TOKEN_LENGTH` long. */
export function tokenize(text: string): string[] {
  return normalize(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0 && token.length <= MAX_TOKEN_LENGTH);
}

/**
 * A query's words beyond this many distinct ones are ignored: each word costs a lookup and its
 * expansions, and a search box never needs more.
 */
export const MAX_QUERY_WORDS = 8;

/** The first `MAX_QUERY_WORDS` distinct words of a query, in order (a repeated word must not count twice). */
export function queryTokens(q: string): string[] {
  return [...new Set(tokenize(q))].slice(0, MAX_QUERY_WORDS);
}

/** Every string made by removing one character (the deletion neighbourhood of SymSpell). */
export function deletions(word: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < word.length; i++) out.add(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/**
 * Whether two words are at most one edit apart: one insertion, deletion, substitution, or a
 * swap of two neighbours (Damerau: `kettel` is one edit from `kettle`, as people type it).
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  return shorter.slice(i) === longer.slice(i + 1);
}
