// Finding a lot by what a driver types (GET /api/lots?q=, DESIGN.md §4): its
// Chinese name, its English name, its name in pinyin — full, initials, or
// both mixed, as far as typed (`nfl`, `nanfenglu`, `nanfl`, `nanfe` → 南丰路) —
// or its address (in characters or pinyin). Pure: the keys of a lot are made
// once (matchKeys, cached by the caller per catalog version of the lot) and a
// query is parsed once (parseQuery), so a search over 10,000 lots is string
// comparisons only.
//
// Text is compared folded: NFKC (the full-width ｎｆｌ and ７ a Chinese input
// method types become nfl and 7), lower case, tone marks dropped (nánfēng =
// nanfeng), ü written v as input methods do (lv; a typed u also matches it),
// and everything but letters and digits left out or, for English, taken as a
// word break. Pinyin comes from pinyin-pro, which reads a character by its
// context (重庆 is chong qing); one reading per character.
import { pinyin } from 'pinyin-pro';
import type { LotMeta } from './lot.ts';

/** A text as it is compared: `compact` has letters and digits only; `words` keeps single spaces between words. */
interface Folded {
  compact: string;
  words: string;
}

/** A name or address in pinyin: its syllables (a run of digits or Latin letters counts as one). */
type Syllables = readonly string[];

export interface MatchKeys {
  name: Folded;
  nameEn: Folded | null;
  address: Folded | null;
  namePinyin: Syllables;
  addressPinyin: Syllables;
}

export interface LotQuery {
  /** The whole query, folded. */
  whole: Folded;
  /** Its words, when there are several: each must match somewhere, if the whole does not. */
  tokens: Folded[];
}

/**
 * How well a lot matches, best first: 0 exact, 1 prefix, 2 from the start of
 * a word or syllable, 3 elsewhere inside, each in the lot's names; 4–7 the
 * same in its address. Half a step worse when only the query's words match
 * one by one, not the query as a whole.
 */
export type MatchRank = number;

const EXACT = 0;
const PREFIX = 1;
const WORD_START = 2;
const INSIDE = 3;
/** Added for a match in the address instead of the names. */
const ADDRESS = 4;
/** Added when the query's words match one by one. */
const BY_WORDS = 0.5;

const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;

/** Folds a text for comparing (see the top of this file). */
export function fold(text: string): Folded {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ü/g, 'v')
    // Tone marks (and other combining marks) go; the letters stay.
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC')
    .replace(NOT_LETTER_OR_DIGIT, ' ')
    .trim();
  return { words, compact: words.replace(/ /g, '') };
}

function syllablesOf(text: string | null): Syllables {
  if (!text) return [];
  const parts = pinyin(text.normalize('NFKC'), { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true });
  return parts.flatMap((part) => fold(part).words.split(' ')).filter((s) => s !== '');
}

const foldOrNull = (text: string | null) => {
  if (!text) return null;
  const folded = fold(text);
  return folded.compact ? folded : null;
};

/** What a lot is found by: made once per version of the lot. */
export function matchKeys(lot: Pick<LotMeta, 'name' | 'nameEn' | 'address'>): MatchKeys {
  return {
    name: fold(lot.name),
    nameEn: foldOrNull(lot.nameEn),
    address: foldOrNull(lot.address),
    namePinyin: syllablesOf(lot.name),
    addressPinyin: syllablesOf(lot.address),
  };
}

/** A query as typed, or undefined when it has no letter or digit to look for. */
export function parseQuery(q: string): LotQuery | undefined {
  const whole = fold(q);
  if (!whole.compact) return undefined;
  const tokens = whole.words.includes(' ') ? whole.words.split(' ').map((word) => ({ words: word, compact: word })) : [];
  return { whole, tokens };
}

/** A typed letter matches a key's: the same, or a u typed for ü (written v in the keys). */
const sameLetter = (typed: string, key: string) => typed === key || (typed === 'u' && key === 'v');

/**
 * Whether `q` spells the syllables from `start` on, each by a prefix of it
 * (its initial, more of it, or all of it), as far as it goes: `nfl`, `nanfl`
 * and `nanfe` all spell nan feng lu. It follows every position in `q` that
 * the syllables so far can reach (xian: xi'an or xian), never the same one
 * twice, so a hostile name cannot make it backtrack: at most syllables ×
 * query length × syllable length steps.
 */
function spells(q: string, syllables: Syllables, start: number): boolean {
  let reached = [0];
  for (let index = start; index < syllables.length; index++) {
    const syllable = syllables[index]!;
    const next: number[] = [];
    for (const at of reached) {
      for (let length = 0; length < syllable.length && at + length < q.length && sameLetter(q[at + length]!, syllable[length]!); length++) {
        const to = at + length + 1;
        if (to === q.length) return true;
        if (!next.includes(to)) next.push(to);
      }
    }
    if (!next.length) return false;
    reached = next;
  }
  return false;
}

function pinyinRank(q: string, syllables: Syllables): number | undefined {
  // Only letters and digits can be pinyin; a query in characters is compared as text.
  if (!syllables.length || !/^[a-z0-9]+$/.test(q)) return undefined;
  const first = q[0]!;
  if (sameLetter(first, syllables[0]![0]!) && spells(q, syllables, 0)) return q === syllables.join('') ? EXACT : PREFIX;
  for (let start = 1; start < syllables.length; start++) {
    if (sameLetter(first, syllables[start]![0]!) && spells(q, syllables, start)) return WORD_START;
  }
  return undefined;
}

function textRank(q: Folded, text: Folded | null): number | undefined {
  if (!text) return undefined;
  if (text.compact === q.compact || text.words === q.words) return EXACT;
  if (text.words.startsWith(q.words) || text.compact.startsWith(q.compact)) return PREFIX;
  if (text.words.includes(` ${q.words}`)) return WORD_START;
  if (text.compact.includes(q.compact)) return INSIDE;
  return undefined;
}

const better = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

function rankOf(q: Folded, keys: MatchKeys): number | undefined {
  const inNames = better(better(textRank(q, keys.name), textRank(q, keys.nameEn)), pinyinRank(q.compact, keys.namePinyin));
  if (inNames !== undefined) return inNames;
  const inAddress = better(textRank(q, keys.address), pinyinRank(q.compact, keys.addressPinyin));
  return inAddress === undefined ? undefined : ADDRESS + inAddress;
}

/** How well a lot matches a query (lower is better), or undefined when it does not. */
export function matchRank(keys: MatchKeys, query: LotQuery): MatchRank | undefined {
  const whole = rankOf(query.whole, keys);
  if (whole !== undefined || !query.tokens.length) return whole;
  let worst = 0;
  for (const token of query.tokens) {
    const rank = rankOf(token, keys);
    if (rank === undefined) return undefined;
    worst = Math.max(worst, rank);
  }
  return worst + BY_WORDS;
}
