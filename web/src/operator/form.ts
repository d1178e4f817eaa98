// The lot form: one input per field of the API's lot schema, each with its
// own error line, so the API's field errors show beside the field they name.
import type { LotStatus, LotType, LotView } from '../../../server/domain/lot.ts';
import { HoursEditor } from './hours-editor.ts';
import type { LotField, OperatorStrings } from './i18n.ts';

type Kind = 'text' | 'number' | 'type' | 'status' | 'fee';
interface FieldSpec {
  field: LotField;
  kind: Kind;
  /** Only when creating (the id never changes). */
  createOnly?: boolean;
  /** Sent even when empty (the API names it if missing). */
  required?: boolean;
}

const SPECS: FieldSpec[] = [
  { field: 'name', kind: 'text', required: true },
  { field: 'nameEn', kind: 'text' },
  { field: 'id', kind: 'text', createOnly: true },
  { field: 'address', kind: 'text' },
  { field: 'lat', kind: 'number', required: true },
  { field: 'lon', kind: 'number', required: true },
  { field: 'type', kind: 'type', required: true },
  { field: 'status', kind: 'status', required: true },
  { field: 'capacity', kind: 'number', required: true },
  { field: 'capacityDisabled', kind: 'number' },
  { field: 'capacityCharging', kind: 'number' },
  { field: 'capacityFamily', kind: 'number' },
  { field: 'capacityWomen', kind: 'number' },
  // The bays by kind, as their sensors' ids and ranges ("c001..c040, c101"): a 500-bay lot stays one short line.
  { field: 'baysCharging', kind: 'text' },
  { field: 'baysDisabled', kind: 'text' },
  { field: 'baysFamily', kind: 'text' },
  { field: 'baysWomen', kind: 'text' },
  { field: 'openingHours', kind: 'text' },
  { field: 'fee', kind: 'fee' },
  { field: 'priceInfo', kind: 'text' },
  { field: 'priceInfoEn', kind: 'text' },
  { field: 'maxHeightCm', kind: 'number' },
  { field: 'staleAfterS', kind: 'number' },
];

type Input = HTMLInputElement | HTMLSelectElement;

// The domain's lists, as records the compiler checks for completeness (type-only
// imports keep the domain's zod out of the browser bundle).
const TYPES: Record<LotType, true> = { surface: true, multi_storey: true, underground: true, on_street: true };
const STATUSES: Record<LotStatus, true> = { planned: true, under_construction: true, open: true, closed: true };

export class LotForm {
  private readonly inputs = new Map<LotField, Input>();
  private readonly errors = new Map<LotField, HTMLElement>();
  private readonly rows = new Map<LotField, HTMLElement>();
  /** The weekday-and-time table under the opening-hours text, which it writes and reads. */
  private readonly hours: HoursEditor;
  /** The values as loaded, to send only what changed. */
  private original: Record<string, unknown> = {};
  editing: string | undefined;

  constructor(private readonly container: HTMLElement) {
    for (const spec of SPECS) {
      const row = document.createElement('div');
      row.className = 'field';
      row.dataset.field = spec.field;
      const label = document.createElement('label');
      label.htmlFor = `f-${spec.field}`;
      const input = this.inputFor(spec);
      input.id = `f-${spec.field}`;
      input.name = spec.field;
      const error = document.createElement('p');
      error.className = 'field-error';
      error.id = `e-${spec.field}`;
      input.setAttribute('aria-describedby', error.id);
      row.append(label, input, error);
      container.append(row);
      this.inputs.set(spec.field, input);
      this.errors.set(spec.field, error);
      this.rows.set(spec.field, row);
    }
    this.hours = new HoursEditor(this.inputs.get('openingHours') as HTMLInputElement);
    this.rows.get('openingHours')!.append(this.hours.element);
  }

  private inputFor(spec: FieldSpec): Input {
    if (spec.kind === 'text' || spec.kind === 'number') {
      const input = document.createElement('input');
      input.type = 'text';
      input.autocomplete = 'off';
      // Text, not type=number: a browser empties a number input it cannot parse,
      // and the API should see (and name) what was typed.
      if (spec.kind === 'number') input.inputMode = 'decimal';
      if (spec.field.startsWith('bays')) {
        input.placeholder = 'c001..c040, c101';
        input.spellcheck = false;
      }
      return input;
    }
    const select = document.createElement('select');
    const values: readonly string[] = spec.kind === 'type' ? Object.keys(TYPES) : spec.kind === 'status' ? Object.keys(STATUSES) : ['', 'true', 'false'];
    for (const value of values) {
      const option = document.createElement('option');
      option.value = value;
      select.append(option);
    }
    return select;
  }

  /** Sets labels and option texts in the page's language. */
  translate(s: OperatorStrings): void {
    for (const spec of SPECS) {
      const row = this.rows.get(spec.field)!;
      row.querySelector('label')!.textContent = s.fields[spec.field];
      const input = this.inputs.get(spec.field)!;
      if (input instanceof HTMLSelectElement) {
        for (const option of input.options) {
          option.textContent =
            spec.kind === 'type' ? s.type[option.value as LotView['type']]
            : spec.kind === 'status' ? s.status[option.value as LotView['status']]
            : option.value === '' ? s.unknownValue : option.value === 'true' ? s.yes : s.no;
        }
      }
    }
    this.hours.translate(s);
  }

  /** Empty for a new lot (optionally at a point), or filled with a lot to edit. */
  load(lot: Partial<LotView> | undefined, editing?: string): void {
    this.editing = editing;
    const defaults: Partial<LotView> = { type: 'surface', status: 'open' };
    const source = { ...defaults, ...lot } as Record<string, unknown>;
    for (const spec of SPECS) {
      this.rows.get(spec.field)!.hidden = Boolean(spec.createOnly && editing);
      const value = source[spec.field];
      this.inputs.get(spec.field)!.value = value === null || value === undefined ? '' : String(value);
    }
    this.hours.read();
    this.original = editing ? this.values() : {};
    this.clearErrors();
  }

  setPoint(lat: number, lon: number): void {
    this.inputs.get('lat')!.value = lat.toFixed(6);
    this.inputs.get('lon')!.value = lon.toFixed(6);
  }

  /** The form's values as the API takes them: numbers where they parse, null for an empty optional field. */
  values(): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const spec of SPECS) {
      if (spec.createOnly && this.editing) continue;
      const raw = this.inputs.get(spec.field)!.value.trim();
      if (raw === '') {
        if (spec.createOnly) continue;
        values[spec.field] = spec.required && spec.kind === 'text' ? '' : null;
        continue;
      }
      if (spec.kind === 'number') {
        const n = Number(raw);
        values[spec.field] = Number.isFinite(n) ? n : raw;
      } else if (spec.kind === 'fee') values[spec.field] = raw === 'true';
      else values[spec.field] = raw;
    }
    return values;
  }

  /** What to send: everything for a new lot, only the changed fields for an edit. */
  payload(): Record<string, unknown> {
    const values = this.values();
    if (!this.editing) {
      for (const [key, value] of Object.entries(values)) if (value === null) delete values[key];
      return values;
    }
    return Object.fromEntries(Object.entries(values).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(this.original[key])));
  }

  clearErrors(): void {
    for (const [field, error] of this.errors) {
      error.textContent = '';
      this.inputs.get(field)!.removeAttribute('aria-invalid');
    }
  }

  /** Shows each field's errors beside it; returns the messages for fields the form has no input for. */
  showErrors(fields: Record<string, string[]>): string[] {
    this.clearErrors();
    const elsewhere: string[] = [];
    let first: Input | undefined;
    for (const [field, messages] of Object.entries(fields)) {
      const error = this.errors.get(field as LotField);
      const input = this.inputs.get(field as LotField);
      if (!error || !input || this.rows.get(field as LotField)!.hidden) {
        elsewhere.push(`${field || 'body'}: ${messages.join('; ')}`);
        continue;
      }
      error.textContent = messages.join('; ');
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
    first?.focus();
    return elsewhere;
  }
}
