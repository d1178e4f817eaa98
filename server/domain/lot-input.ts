// What an operator may send to create or change a lot, checked by one schema
// (the catalog's own, lotMetaSchema) plus the rules that span fields. Every
// problem is named by its field, so a form can show each one beside its input.
// Pure: no I/O.
import { transliterate } from 'transliteration';
import { z } from 'zod';
import { fieldTextsOf, mergeFieldTexts, type FieldErrors, type FieldTexts } from './errors.ts';
import { text } from './messages.ts';
import { openingHoursProblem } from './opening-hours.ts';
import { bayKinds, baysFieldOf, capacityFieldOf, parseBayList } from './bay-kinds.ts';
import { LOT_ID_PATTERN, lotIdSchema, lotMetaSchema, type LotMeta } from './lot.ts';

export type { FieldErrors, FieldTexts };

/** The special capacities, each a share of `capacity`. */
export const specialCapacityFields = ['capacityDisabled', 'capacityCharging', 'capacityFamily', 'capacityWomen'] as const;


/** `openingHours` as the catalog keeps it, and checked by a library that knows the syntax. */
const openingHoursField = lotMetaSchema.shape.openingHours.superRefine((value, ctx) => {
  const problem = value === null ? undefined : openingHoursProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.en, params: { zh: problem.zh } });
});

/** A whole lot as stored, unknown fields refused. */
const fullLotSchema = lotMetaSchema.extend({ openingHours: openingHoursField }).strict();

/** A new lot: the same schema, the id optional (derived from the name when absent). */
export const lotCreateSchema = fullLotSchema.extend({ id: lotIdSchema.optional() });
export type LotCreateInput = z.output<typeof lotCreateSchema>;


/**
 * The rules across fields, on the raw input, so they are reported along with
 * every other bad field (a schema's object-level refinements would only run
 * once every field is valid).
 */
function crossFieldErrors(lot: Record<string, unknown>): FieldTexts {
  const fields: FieldTexts = {};
  const capacity = lot.capacity;
  if (typeof capacity !== 'number') return fields;
  for (const field of specialCapacityFields) {
    const value = lot[field];
    if (typeof value === 'number' && value > capacity) fields[field] = [text(`must not exceed capacity (${capacity})`, `不能超过总车位数（${capacity}）`)];
  }
  Object.assign(fields, bayErrors(lot, capacity));
  return fields;
}

/**
 * The declared bays: no bay twice (in one list or in two: a bay has one
 * kind), no more of a kind than its `capacityX`, and no more in all than `capacity`.
 */
function bayErrors(lot: Record<string, unknown>, capacity: number): FieldTexts {
  const fields: FieldTexts = {};
  const kindOf = new Map<string, string>();
  let total = 0;
  for (const kind of bayKinds) {
    const field = baysFieldOf[kind];
    const list = lot[field];
    if (typeof list !== 'string') continue;
    const read = parseBayList(list);
    if (!read.ok) continue; // the schema names it
    const twice = new Set<string>();
    for (const id of read.ids) {
      const other = kindOf.get(id);
      if (other === undefined) kindOf.set(id, field);
      else if (!twice.has(id)) {
        twice.add(id);
        (fields[field] ??= []).push(other === field
          ? text(`bay "${id}" is listed twice`, `车位“${id}”重复列出`)
          : text(`bay "${id}" is already in ${other} (a bay has one kind)`, `车位“${id}”已列在 ${other} 中（一个车位只有一种类型）`));
      }
    }
    const count = read.ids.length;
    total += count;
    const kindCapacity = lot[capacityFieldOf[kind]];
    if (typeof kindCapacity === 'number' && count > kindCapacity) {
      (fields[field] ??= []).push(text(`declares ${count} bays, more than ${capacityFieldOf[kind]} (${kindCapacity})`, `列出了 ${count} 个车位，多于 ${capacityFieldOf[kind]}（${kindCapacity}）`));
    }
  }
  if (total > 0 && total > capacity) {
    const field = bayKinds.map((kind) => baysFieldOf[kind]).filter((f) => typeof lot[f] === 'string').at(-1)!;
    (fields[field] ??= []).push(text(`the lists declare ${total} bays, more than capacity (${capacity})`, `各类车位共列出 ${total} 个，多于总车位数（${capacity}）`));
  }
  return fields;
}

function withCrossFieldErrors<T>(parsed: z.ZodSafeParseResult<T>, raw: Record<string, unknown>): Checked<T> {
  const fields = mergeFieldTexts(parsed.success ? {} : fieldTextsOf(parsed.error, 'lot'), crossFieldErrors(raw));
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fields };
}
/** A checked input: the value, or every problem by field, in both languages. */
export type Checked<T> = { ok: true; value: T } | { ok: false; fields: FieldTexts };

/** Reported with each issue: what was sent, so a missing field can be told from a wrong one (never echoed). */
const REPORT_INPUT = { reportInput: true } as const;

const notAnObject = { ok: false as const, fields: { '': [text('the body must be a JSON object', '请求内容必须是 JSON 对象')] } };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkLotCreate(input: unknown): Checked<LotCreateInput> {
  if (!isObject(input)) return notAnObject;
  return withCrossFieldErrors(lotCreateSchema.safeParse(input, REPORT_INPUT), input);
}

/**
 * A change to an existing lot: the fields sent replace the current ones
 * (null clears an optional one) and the result must be a valid lot, so a
 * rule across fields (a special capacity above a lowered capacity) is
 * caught whichever side changed.
 */
export function checkLotPatch(current: LotMeta, patch: unknown): Checked<LotMeta> {
  if (!isObject(patch)) return notAnObject;
  if ('id' in patch && patch.id !== current.id) {
    return {
      ok: false,
      fields: { id: [text("cannot be changed (it names the lot's MQTT topics); create a new lot instead", '不能修改（编号是停车场 MQTT 主题的一部分）；请新建停车场')] },
    };
  }
  const merged = { ...current, ...patch };
  return withCrossFieldErrors(fullLotSchema.safeParse(merged, REPORT_INPUT), merged);
}

const MAX_SLUG_LENGTH = 56; // room for a "-NN" suffix within the 64 characters of an id

/**
 * A lot id from its name: the English name when there is one, else the
 * Chinese name in pinyin (transliterated character by character:
 * 杭州路停车场 → hang-zhou-lu-ting-che-chang). Empty when nothing usable
 * remains (a name of symbols only); the caller then picks a random id.
 */
export function slugFromName(lot: Pick<LotMeta, 'name' | 'nameEn'>): string {
  const source = lot.nameEn?.trim() || lot.name;
  return transliterate(source)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, '');
}

/** Candidate ids for a lot without one: the slug, then slug-2, slug-3, … */
export function* idCandidates(slug: string, randomSuffix: () => string): Generator<string> {
  const base = slug || `lot-${randomSuffix()}`;
  if (LOT_ID_PATTERN.test(base)) yield base;
  for (let n = 2; n < 100; n++) yield `${base}-${n}`;
  yield `${base.slice(0, 48)}-${randomSuffix()}`;
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** Which fields differ between two versions of a record, from what to what. */
export function changesBetween(before: Record<string, unknown> | null, after: Record<string, unknown> | null): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const from = before?.[key] ?? null;
    const to = after?.[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}
