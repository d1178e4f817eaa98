// What an import does to each row (DESIGN.md §4, "Bulk lots"), decided from
// the rows and the lots as they are, before anything is written: so every bad
// row is named at once and nothing is stored unless every row is good (the use
// case writes the plan in one transaction), and a dry run is the same plan,
// not written. The rules are those of POST and PATCH (lot-input.ts). Pure.
import type { FieldTexts } from './errors.ts';
import { placeIn, type ImportAction, type ImportRow, type RowProblem } from './lot-import.ts';
import { changesBetween, checkLotCreate, checkLotPatch, idCandidates, slugFromName, type FieldChange } from './lot-input.ts';
import { lotIdSchema, type LotMeta } from './lot.ts';
import { text } from './messages.ts';
import { mayManage, type Principal } from './principal.ts';

/** A lot as stored, with its owner. */
export interface OwnedLot {
  lot: LotMeta;
  ownerId: string | null;
}

export interface PlannedRow {
  at: string;
  action: ImportAction;
  lot: LotMeta;
  /** The lot before (null for a new one). */
  previous: LotMeta | null;
  /** Its owner: the current one, or, for a new lot, the importer's choice. */
  ownerId: string | null;
  changes: Record<string, FieldChange>;
}

export type ImportPlan = { ok: true; rows: PlannedRow[] } | { ok: false; problems: RowProblem[] };

const BELONGS_TO_ANOTHER = text('belongs to another operator: you may import only your own lots', '属于其他运营方：只能导入自己的停车场');

/**
 * Plans an import: a row with an id updates that lot (fields it leaves out
 * stay as they are, as with PATCH) or creates it; a row without one creates a
 * lot with the id derived from its name (as POST does) — unless a lot of that
 * derived id with the same name is already the importer's, which the row then
 * updates, so a file without ids imports twice without doubling its lots.
 * New lots get `newOwnerId`. `existing` holds every lot (the derived ids
 * must not collide with any).
 */
export function planImport(
  rows: readonly ImportRow[],
  existing: ReadonlyMap<string, OwnedLot>,
  principal: Principal,
  newOwnerId: string | null,
  randomSuffix: () => string,
): ImportPlan {
  const problems: RowProblem[] = [];
  const planned: PlannedRow[] = [];
  // Ids the file names itself, first: a derived id must not take one of them.
  const named = new Map<string, string>();
  for (const row of rows) {
    const id = row.fields.id;
    if (typeof id === 'string' && lotIdSchema.safeParse(id).success && !named.has(id)) named.set(id, row.at);
  }
  const taken = new Set<string>(named.keys());
  const fail = (row: ImportRow, fields: FieldTexts, id?: string) => problems.push({ at: row.at, fields, ...(id === undefined ? {} : { id }) });

  const update = (row: ImportRow, current: OwnedLot, fields: Record<string, unknown>) => {
    const checked = checkLotPatch(current.lot, fields);
    if (!checked.ok) return fail(row, checked.fields, current.lot.id);
    const changes = changesBetween(current.lot, checked.value);
    const action: ImportAction = Object.keys(changes).length === 0 ? 'unchanged' : 'updated';
    planned.push({ at: row.at, action, lot: checked.value, previous: current.lot, ownerId: current.ownerId, changes });
  };
  const create = (row: ImportRow, lot: LotMeta) => {
    planned.push({ at: row.at, action: 'created', lot, previous: null, ownerId: newOwnerId, changes: changesBetween(null, lot) });
  };

  for (const row of rows) {
    const { id, ...rest } = row.fields;
    if (id !== undefined) {
      const parsed = lotIdSchema.safeParse(id);
      if (!parsed.success) {
        // Checked as a new lot too, so every bad field of the row is named at once.
        const checked = checkLotCreate(row.fields);
        fail(row, checked.ok ? {} : checked.fields);
        continue;
      }
      if (named.get(parsed.data) !== row.at) {
        const first = named.get(parsed.data)!;
        fail(row, { id: [text(`appears twice in the file (first at ${first})`, `在文件中重复出现（首次在${placeIn(first, 'zh')}）`)] }, parsed.data);
        continue;
      }
      const current = existing.get(parsed.data);
      if (current && !mayManage(principal, current.ownerId)) {
        fail(row, { id: [BELONGS_TO_ANOTHER] }, parsed.data);
        continue;
      }
      if (current) update(row, current, rest);
      else {
        const checked = checkLotCreate(row.fields);
        if (!checked.ok) fail(row, checked.fields, parsed.data);
        else create(row, { ...checked.value, id: parsed.data });
      }
      continue;
    }

    const checked = checkLotCreate(rest);
    if (!checked.ok) {
      fail(row, checked.fields);
      continue;
    }
    const { id: _none, ...fields } = checked.value;
    let placed = false;
    for (const candidate of idCandidates(slugFromName(fields), randomSuffix)) {
      if (taken.has(candidate)) continue;
      const current = existing.get(candidate);
      if (current && (current.lot.name !== fields.name || !mayManage(principal, current.ownerId))) continue;
      taken.add(candidate);
      if (current) update(row, current, rest);
      else create(row, { id: candidate, ...fields });
      placed = true;
      break;
    }
    if (!placed) fail(row, { id: [text('no free id could be derived from the name; give the row an id', '无法根据名称生成未被占用的编号，请为此行填写编号')] });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows: planned };
}
