// One error type for everything a caller can be told about: a code, an HTTP
// status and details. The HTTP layer turns it into {"error":{code,message,details}},
// in the request's language when the error carries translations (messages.ts).
import { issueText, named, noun, textOf, type IssueLike, type Locale, type Text } from './messages.ts';

export type { Locale, Text };

export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'bad_request'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const statusOf: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  bad_request: 400,
  unsupported_media_type: 415,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** What an error says in one language. */
export interface ErrorWording {
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** The message and details in other languages; the English ones are `message` and `details`. */
    readonly translations: Partial<Record<Locale, ErrorWording>> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusOf[code];
  }

  /** The message and details in a language: the translation when there is one, else the English. */
  in(locale: Locale): ErrorWording {
    const english = { message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
    return locale === 'en' ? english : (this.translations[locale] ?? english);
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`, undefined, { zh: { message: `未找到${named(what).zh}` } });

/** Field errors keyed by field name ('' for the input as a whole), in English: the wire format. */
export type FieldErrors = Record<string, string[]>;
/** Field errors in every language. */
export type FieldTexts = Record<string, Text[]>;

/** Structural enough for zod's errors, without tying this module to a zod version. */
interface IssueList {
  issues: readonly IssueLike[];
}

const isIssueList = (problems: unknown): problems is IssueList =>
  typeof problems === 'object' && problems !== null && 'issues' in problems && Array.isArray((problems as IssueList).issues);

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** Field errors, in both languages, from a schema's issues; each unknown field is named on its own. */
export function fieldTextsOf(error: IssueList, what: string | Text = 'the input'): FieldTexts {
  const thing = noun(what);
  const notAField: Text = {
    en: `is not a field of ${thing.en.startsWith('the ') ? thing.en : `${article(thing.en)} ${thing.en}`}`,
    zh: `不是${thing.zh}的字段`,
  };
  const fields: FieldTexts = Object.create(null) as FieldTexts;
  const add = (key: string, message: Text) => (fields[key] ??= []).push(message);
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys ?? []) add(key, notAField);
    else add(issue.path.map(String).join('.'), issueText(issue));
  }
  return { ...fields };
}

/** Field errors (English) from a schema's issues; each unknown field is named on its own. */
export function fieldErrorsOf(error: IssueList, what = 'the input'): FieldErrors {
  return inLocale(fieldTextsOf(error, what), 'en');
}

/** Field texts in one language. */
export function inLocale(fields: FieldTexts, locale: Locale): FieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([field, messages]) => [field, messages.map((m) => m[locale])]));
}

/** Adds field texts to others (a field named in both keeps every message). */
export function mergeFieldTexts(into: FieldTexts, more: FieldTexts): FieldTexts {
  for (const [field, messages] of Object.entries(more)) (into[field] ??= []).push(...messages);
  return into;
}

/** One line naming every issue: `field: message; other: message`. */
export function describeIssues(error: IssueList): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** `field: message, message; other: message`, in a language. */
export function summarize(fields: FieldTexts, what: Text, locale: Locale): string {
  const [colon, comma, semicolon] = locale === 'zh' ? ['：', '，', '；'] : [': ', ', ', '; '];
  return Object.entries(fields)
    .map(([field, messages]) => `${field || what[locale]}${colon}${messages.map((m) => m[locale]).join(comma)}`)
    .join(semicolon);
}

/**
 * The one way a refused input is reported, whatever refused it (an HTTP body
 * or query, a socket subscription, an operator's lot): a 400
 * `validation_failed` whose message names every bad field and whose details
 * list them (`details.fields`), in English and in Chinese. Problems come as
 * zod's issues, as field texts (both languages), or as English field errors
 * (their Chinese when one was said: messages.ts say()).
 */
export function validationError(what: string | Text, problems: IssueList | FieldTexts | FieldErrors): AppError {
  const thing = noun(what);
  const fields: FieldTexts = isIssueList(problems)
    ? fieldTextsOf(problems, thing)
    : Object.fromEntries(Object.entries(problems).map(([field, messages]) => [field, (messages as (string | Text)[]).map(textOf)]));
  const wording = (locale: Locale): ErrorWording => ({
    message: locale === 'zh' ? `${thing.zh}无效：${summarize(fields, thing, locale)}` : `invalid ${thing.en}: ${summarize(fields, thing, locale)}`,
    details: { fields: inLocale(fields, locale) },
  });
  const english = wording('en');
  return new AppError('validation_failed', english.message, english.details, { zh: wording('zh') });
}

/** An error whose message (and field errors, if any) are given in both languages. */
export function localizedError(code: ErrorCode, message: Text, fields?: FieldTexts, extra: Record<string, unknown> = {}): AppError {
  const details = (locale: Locale) => (fields ? { ...extra, fields: inLocale(fields, locale) } : Object.keys(extra).length > 0 ? extra : undefined);
  return new AppError(code, message.en, details('en'), { zh: { message: message.zh, details: details('zh') } });
}
