// Text that one person types and others read — lot names, addresses, price
// texts, gateway and operator names — checked by one rule. A name is stored
// as NFC (so "é" typed two ways is one name, and searches and comparisons
// agree), and refused when it carries what no reader should get: a lone
// surrogate (malformed UTF-16, which strict JSON parsers reject — one such
// name made /api/lots unreadable to them), control characters (line breaks
// and tabs included: every such field is one line), bidirectional overrides
// and isolates (which make "txt.exe" look like "exe.txt"), or nothing visible
// at all (only spaces, zero-width or other invisible characters). Pure.
import { z } from 'zod';
import { say } from './messages.ts';

/** A UTF-16 surrogate that is not half of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;
/** C0 and C1 controls, DEL, and the line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
/**
 * What shows nothing on its own: white space, format characters (zero-width
 * space, joiners, marks), combining marks with nothing to combine with,
 * default-ignorable code points (Hangul fillers, variation selectors…) and the
 * blank Braille pattern.
 */
const INVISIBLE = /[\p{White_Space}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Why a string may not be stored as a person's text, or undefined when it may. */
export function textProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return say('must not contain a lone surrogate (malformed UTF-16)', '不能含有不成对的代理字符（UTF-16 格式错误）');
  if (CONTROL.test(value)) return say('must not contain control characters (line breaks and tabs included)', '不能含有控制字符（包括换行和制表符）');
  if (BIDI_CONTROL.test(value)) return say('must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069)', '不能含有双向文本覆盖或隔离字符（U+202A–U+202E、U+2066–U+2069）');
  if (value.replace(INVISIBLE, '') === '') return say('must contain something visible', '须含有可见字符');
  return undefined;
}

const checked = (max: number) =>
  z
    .string()
    .normalize('NFC')
    .trim()
    .max(max)
    .superRefine((value, ctx) => {
      const problem = value === '' ? undefined : textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A required text field: NFC, trimmed, at least one visible character, at most `max`. */
export function text(max: number) {
  return checked(max).min(1, say('must not be empty', '不能为空'));
}

/**
 * An optional text field: as text(), or null; an empty (or all-space) string
 * means not given, and is stored as null.
 */
export function optionalText(max: number) {
  return checked(max)
    .nullable()
    .transform((value) => (value === '' ? null : value));
}
