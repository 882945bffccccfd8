import { deletions, FUZZY_MIN_LENGTH, PREFIX_MIN_LENGTH, tokenize, withinOneEdit } from './tokens.ts';

/** The fields of a search document that hold text, and how much a word found in each weighs. */
export const FIELD_WEIGHTS = { name: 4, options: 2, category: 1.5, description: 1 } as const;
export type TextField = keyof typeof FIELD_WEIGHTS;

/**
 * How much a match counts, by kind: the word itself, a longer word it begins (scaled by how
 * much of that word was typed, so `lamp` before `lampshade` for `lam`), a word one edit away.
 */
export const MATCH_QUALITY = { exact: 1, prefix: 0.7, fuzzy: 0.5 } as const;

/**
 * Postings one query word's expansions (longer words it begins, words one edit away) may visit:
 * a two-letter prefix at 100k products begins thousands of words. The shortest completions come
 * first (they also score highest), so the budget drops the least likely ones. With
 * `MAX_QUERY_WORDS` this bounds the CPU a search can take whatever a client sends.
 */
export const EXPANSION_BUDGET = 20_000;

/** Slot -> score of one query word. */
export type Matches = Map<number, number>;

/**
 * An inverted index held in memory: word -> (document slot -> weight of the best field the word
 * is in), with a sorted vocabulary for prefixes and a deletion neighbourhood (SymSpell) for words
 * one edit away. Documents are added and removed one by one, so the index follows the stream.
 */
export class TextIndex {
  private readonly postings = new Map<string, Map<number, number>>();
  /** A word with one character removed -> the words it came from (only words long enough to be typo targets). */
  private readonly neighbours = new Map<string, Set<string>>();
  private vocabulary: string[] | undefined;

  /** Indexes the text of one document; returns its words, which `remove` needs. */
  add(slot: number, fields: Partial<Record<TextField, string>>): string[] {
    const best = new Map<string, number>();
    for (const [field, text] of Object.entries(fields) as [TextField, string][]) {
      for (const word of tokenize(text)) best.set(word, Math.max(best.get(word) ?? 0, FIELD_WEIGHTS[field]));
    }
    for (const [word, weight] of best) {
      let posting = this.postings.get(word);
      if (!posting) {
        posting = new Map();
        this.postings.set(word, posting);
        this.vocabulary = undefined;
        if (word.length >= FUZZY_MIN_LENGTH - 1)
          for (const variant of deletions(word)) {
            const words = this.neighbours.get(variant) ?? new Set();
            words.add(word);
            this.neighbours.set(variant, words);
          }
      }
      posting.set(slot, weight);
    }
    return [...best.keys()];
  }

  /** Removes a document's words (as `add` returned them). */
  remove(slot: number, words: readonly string[]): void {
    for (const word of words) {
      const posting = this.postings.get(word);
      if (!posting) continue;
      posting.delete(slot);
      if (posting.size > 0) continue;
      this.postings.delete(word);
      this.vocabulary = undefined;
      for (const variant of deletions(word)) {
        const words = this.neighbours.get(variant);
        words?.delete(word);
        if (words?.size === 0) this.neighbours.delete(variant);
      }
    }
  }

  /** Distinct words indexed. */
  get size(): number {
    return this.postings.size;
  }

  /**
   * The documents one query word finds, each with its best score: the word itself, then words
   * one edit away and longer words it begins while their postings fit in `budget`.
   */
  match(token: string, budget = EXPANSION_BUDGET): Matches {
    const out: Matches = new Map();
    const take = (posting: Map<number, number>, quality: number) => {
      for (const [slot, weight] of posting) {
        const score = weight * quality;
        if (score > (out.get(slot) ?? 0)) out.set(slot, score);
      }
    };
    let left = budget;
    const expand = (word: string, quality: number) => {
      const posting = this.postings.get(word);
      if (!posting || posting.size > left) return;
      left -= posting.size;
      take(posting, quality);
    };
    take(this.postings.get(token) ?? new Map(), MATCH_QUALITY.exact);
    if (token.length >= FUZZY_MIN_LENGTH)
      for (const word of this.oneEditAway(token)) expand(word, MATCH_QUALITY.fuzzy);
    if (token.length >= PREFIX_MIN_LENGTH)
      for (const word of this.wordsStartingWith(token).sort((a, b) => a.length - b.length))
        if (word !== token) expand(word, MATCH_QUALITY.prefix * (0.5 + (0.5 * token.length) / word.length));
    return out;
  }

  /** Indexed words that begin with `prefix`: a binary search in the sorted vocabulary. */
  private wordsStartingWith(prefix: string): string[] {
    this.vocabulary ??= [...this.postings.keys()].sort();
    const words = this.vocabulary;
    let low = 0;
    let high = words.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((words[mid] as string) < prefix) low = mid + 1;
      else high = mid;
    }
    const out: string[] = [];
    for (let i = low; i < words.length && (words[i] as string).startsWith(prefix); i++)
      out.push(words[i] as string);
    return out;
  }

  /** Indexed words one edit from `token` (not `token` itself). */
  private oneEditAway(token: string): Set<string> {
    const candidates = new Set<string>(this.neighbours.get(token) ?? []);
    for (const variant of deletions(token)) {
      if (this.postings.has(variant)) candidates.add(variant);
      for (const word of this.neighbours.get(variant) ?? []) candidates.add(word);
    }
    candidates.delete(token);
    for (const word of candidates) if (!withinOneEdit(word, token)) candidates.delete(word);
    return candidates;
  }
}

/**
 * The documents every query word finds (AND), with the sum of their scores; the smallest set
 * first, so the work is bounded by the rarest word.
 */
export function matchAll(index: TextIndex, tokens: readonly string[]): Matches {
  const sets = tokens.map((token) => index.match(token)).sort((a, b) => a.size - b.size);
  const [first, ...rest] = sets;
  if (!first) return new Map();
  const out: Matches = new Map();
  for (const [slot, score] of first) {
    let total = score;
    let everywhere = true;
    for (const other of rest) {
      const more = other.get(slot);
      if (more === undefined) {
        everywhere = false;
        break;
      }
      total += more;
    }
    if (everywhere) out.set(slot, total);
  }
  return out;
}
