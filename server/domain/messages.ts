// What the service tells a person, in the languages it answers in (DESIGN.md
// §4, "Languages"): English and Chinese. A refused input's messages are made
// in both at once, when the error is made, and the HTTP layer picks one by the
// request's Accept-Language. So no use case needs to know who asked, and no
// global setting changes per request (zod's z.config is process-wide).
//
// Three kinds of message:
// - zod's own (a missing field, a number out of range…): rendered here from
//   the issue's code and parameters, in Chinese written for operators rather
//   than zod's word-for-word locale;
// - fixed texts the schemas carry (`lotIdSchema`'s pattern): written with
//   say(en, zh), which hands zod the English and remembers the Chinese;
// - texts made while checking (`must not exceed capacity (20)`): Text values,
//   both languages side by side. Pure: no I/O.

export const locales = ['en', 'zh'] as const;
export type Locale = (typeof locales)[number];

/** One message in every language the service speaks. */
export interface Text {
  en: string;
  zh: string;
}

export const text = (en: string, zh: string): Text => ({ en, zh });

const chineseOf = new Map<string, string>();

/**
 * A fixed message a schema carries: returns the English text (what zod is
 * given) and remembers its Chinese, so the issue zod reports can be told in
 * either language. Called at module load, never per request.
 */
export function say(en: string, zh: string): string {
  chineseOf.set(en, zh);
  return en;
}

/** A plain (English) message as a Text: its Chinese if one was said, else the English in both. */
export function textOf(message: string | Text): Text {
  return typeof message === 'string' ? { en: message, zh: chineseOf.get(message) ?? message } : message;
}

/**
 * The language to answer in, from an Accept-Language header: the first
 * language by preference (q) that the service speaks; English when none is,
 * or there is no header (`*`, as Node's fetch sends, counts as none).
 */
export function localeOf(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().toLowerCase().split('-')[0]!, q: q === undefined ? 1 : Number(q), order };
    })
    .filter((entry) => entry.q > 0 && Number.isFinite(entry.q))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { primary } of ranked) if ((locales as readonly string[]).includes(primary)) return primary as Locale;
  return 'en';
}

/** What zod reports about one problem (structurally: no tie to a zod version). */
export interface IssueLike {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  format?: string;
  values?: readonly unknown[];
  keys?: readonly string[];
  divisor?: number;
  input?: unknown;
  params?: Record<string, unknown>;
}

const EXPECTED_ZH: Record<string, string> = {
  string: '应为文字',
  number: '应为数字',
  int: '应为整数',
  boolean: '应为 true 或 false',
  object: '应为对象',
  array: '应为数组',
  tuple: '应为数组',
  date: '应为日期',
  null: '应为 null',
};

const FORMAT_ZH: Record<string, string> = {
  regex: '格式无效',
  datetime: '应为带时区的 ISO 8601 时间，如 2026-11-28T16:00:00+08:00',
  date: '应为 ISO 8601 日期，如 2026-11-28',
  url: '应为网址',
  email: '应为电子邮件地址',
};

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Whether zod's issue is about a value that is not there (absent, or null where one is needed). */
function missing(issue: IssueLike): boolean {
  if ('input' in issue) return issue.input === undefined || issue.input === null;
  return /received (undefined|null)$/.test(issue.message);
}

/** zod's own issue, in Chinese. */
function zodIssueInChinese(issue: IssueLike): string {
  const min = String(issue.minimum);
  const max = String(issue.maximum);
  switch (issue.code) {
    case 'invalid_type':
      if (missing(issue)) return '必填';
      return EXPECTED_ZH[issue.expected ?? ''] ?? `类型无效（应为 ${issue.expected}）`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? '不能为空' : `至少 ${min} 个字符`;
      if (issue.origin === 'array' || issue.origin === 'set') return `至少 ${min} 项`;
      return issue.inclusive === false ? `应大于 ${min}` : `不能小于 ${min}`;
    case 'too_big':
      if (issue.origin === 'string') return `最多 ${max} 个字符`;
      if (issue.origin === 'array' || issue.origin === 'set') return `最多 ${max} 项`;
      return issue.inclusive === false ? `应小于 ${max}` : `不能大于 ${max}`;
    case 'invalid_value': {
      const values = issue.values ?? [];
      if (missing(issue)) return `必填，可选：${values.map(shown).join('、')}`;
      return values.length === 1 ? `应为 ${shown(values[0])}` : `应为以下之一：${values.map(shown).join('、')}`;
    }
    case 'invalid_format':
      return FORMAT_ZH[issue.format ?? ''] ?? `格式无效（${issue.format}）`;
    case 'not_multiple_of':
      return `应为 ${issue.divisor} 的倍数`;
    case 'invalid_union':
      return '输入无效';
    default:
      return '输入无效';
  }
}

/**
 * An issue's message in every language: the Chinese a custom issue carries
 * (`params.zh`), or the one said for its fixed English text, or zod's issue
 * rendered in Chinese. The English is zod's (or the schema's) own.
 */
export function issueText(issue: IssueLike): Text {
  const carried = issue.params?.zh;
  if (typeof carried === 'string') return { en: issue.message, zh: carried };
  const said = chineseOf.get(issue.message);
  return { en: issue.message, zh: said ?? zodIssueInChinese(issue) };
}

/** The nouns a refusal names ("invalid lot: …" / "停车场无效：…"). */
const NOUNS_ZH: Record<string, string> = {
  lot: '停车场',
  query: '查询参数',
  operator: '运营方',
  gateway: '网关',
  assignment: '网关分配',
  subscription: '订阅',
  import: '导入',
  webhook: 'Webhook',
  'ingest path': '上报路径',
  'the input': '输入',
};

const KINDS_ZH: Record<string, string> = { lot: '停车场', gateway: '网关', operator: '运营方', webhook: 'Webhook ', delivery: '投递' };

/** `lot "nanfeng-rd"` in both languages (停车场“nanfeng-rd”); anything else stays as it is. */
export function named(what: string): Text {
  const match = /^(\w+) "(.*)"$/s.exec(what);
  const kind = match ? KINDS_ZH[match[1]!] : undefined;
  return { en: what, zh: kind ? `${kind}“${match![2]}”` : what };
}

/** A noun (the thing refused) in both languages; an unknown one stays English in both. */
export function noun(what: string | Text): Text {
  return typeof what === 'string' ? { en: what, zh: NOUNS_ZH[what] ?? what } : what;
}
