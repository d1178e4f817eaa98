import assert from 'node:assert/strict';
import { bayKindMap, bayKindsDigest, decodeKindCounts, encodeKindCounts, parseBayList, type KindCounts } from '../../server/domain/bay-kinds.ts';
import { applyBayKinds, applySpace, emptyLotRecord, type LiveState, type SpaceEvent } from '../../server/domain/live.ts';
import { checkLotCreate, checkLotPatch } from '../../server/domain/lot-input.ts';
import { lotMetaSchema, toLotView, type LotMeta } from '../../server/domain/lot.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
const base = { id: 'ev-lot', name: '充电站', lat: 36.09, lon: 120.37, type: 'surface', status: 'open', capacity: 500 } as const;
const meta = (extra: Record<string, unknown> = {}): LotMeta => lotMetaSchema.parse({ ...base, ...extra });
const tally = (charging: [number, number, number], disabled: [number, number, number] = [0, 0, 0]): KindCounts => ({
  charging: { bays: charging[0], reported: charging[1], occupied: charging[2] },
  disabled: { bays: disabled[0], reported: disabled[1], occupied: disabled[2] },
  family: { bays: 0, reported: 0, occupied: 0 },
  women: { bays: 0, reported: 0, occupied: 0 },
});
const live = (occupied: number, kinds: KindCounts | null, extra: Partial<LiveState> = {}): LiveState => ({
  capacity: 500, occupied, ts: NOW - 1000, seq: null, clamped: false, receivedAt: NOW - 1000, kinds, ...extra,
});

describe('domain: bay lists', () => {
  it('reads ids and ranges, keeping a range\'s zero padding, letters in lower case', () => {
    const read = parseBayList('C001..C003, d-7 e9..e11，x');
    assert.ok(read.ok);
    assert.deepEqual(read.ids, ['c001', 'c002', 'c003', 'd-7', 'e9', 'e10', 'e11', 'x']);
    assert.equal(read.canonical, 'c001..c003, d-7, e9..e11, x');
  });

  it('takes "c001-c040" as one id (ids may hold "-"), and 500 bays in a few characters', () => {
    assert.deepEqual(parseBayList('c001-c040'), { ok: true, ids: ['c001-c040'], canonical: 'c001-c040' });
    const read = parseBayList('p1-001..p1-500');
    assert.ok(read.ok && read.ids.length === 500 && read.ids[499] === 'p1-500');
  });

  it('refuses what no sensor could publish under, and ranges that do not run', () => {
    for (const bad of ['b 1!', '-a', 'c001..d003', 'c010..c001', 'c1..c', 'c01..c100', 'a..b..c', 'x'.repeat(65)]) {
      assert.equal(parseBayList(bad).ok, false, bad);
    }
    assert.equal(parseBayList('c0..c20000').ok, false);
  });

  it('stores a list canonical, and an empty one as null', () => {
    assert.equal(meta({ baysCharging: ' c1..c3 ,c9 ' }).baysCharging, 'c1..c3, c9');
    assert.equal(meta({ baysCharging: ' ' }).baysCharging, null);
  });

  it('maps each declared bay to its kind, and names the declaration by a digest', () => {
    const lot = meta({ baysCharging: 'c1..c2', baysDisabled: 'd1' });
    assert.deepEqual([...bayKindMap(lot)], [['c1', 'charging'], ['c2', 'charging'], ['d1', 'disabled']]);
    assert.equal(bayKindsDigest(meta()), '');
    assert.notEqual(bayKindsDigest(lot), bayKindsDigest(meta({ baysCharging: 'c1..c2', baysDisabled: 'd2' })));
  });

  it('encodes tallies for the Redis store and back', () => {
    const counts = tally([40, 39, 12], [5, 5, 5]);
    assert.deepEqual(decodeKindCounts(encodeKindCounts(counts)), counts);
    assert.equal(decodeKindCounts(''), null);
  });
});

describe('domain: declaring bays by kind (lot input)', () => {
  it('refuses a bay listed twice, or under two kinds, naming the field', () => {
    const checked = checkLotCreate({ ...base, baysCharging: 'c1..c3, c2', baysDisabled: 'c3' });
    assert.equal(checked.ok, false);
    if (checked.ok) return;
    assert.match(checked.fields.baysCharging![0]!.en, /"c2" is listed twice/);
    assert.match(checked.fields.baysDisabled![0]!.en, /"c3" is already in baysCharging/);
    assert.match(checked.fields.baysDisabled![0]!.zh, /一个车位只有一种类型/);
  });

  it('refuses more bays of a kind than its capacity, and more in all than the lot\'s', () => {
    const over = checkLotCreate({ ...base, capacityCharging: 2, baysCharging: 'c1..c3' });
    assert.ok(!over.ok && /declares 3 bays, more than capacityCharging \(2\)/.test(over.fields.baysCharging![0]!.en));
    const total = checkLotCreate({ ...base, capacity: 3, baysCharging: 'c1..c3', baysWomen: 'w1' });
    assert.ok(!total.ok && /4 bays, more than capacity \(3\)/.test(total.fields.baysWomen![0]!.en));
    assert.ok(checkLotCreate({ ...base, capacityCharging: 3, baysCharging: 'c1..c3' }).ok);
  });

  it('names a bad list in both languages, and checks a patch against the whole lot', () => {
    const bad = checkLotCreate({ ...base, baysFamily: 'F 1!' });
    assert.ok(!bad.ok && /"f" is not a bay id|"1!" is not a bay id/.test(bad.fields.baysFamily![0]!.en) && /不是车位编号/.test(bad.fields.baysFamily![0]!.zh));
    const patched = checkLotPatch(meta({ baysCharging: 'c1..c3' }), { capacityCharging: 2 });
    assert.ok(!patched.ok && patched.fields.baysCharging);
  });
});

describe('domain: live free counts per kind (the lot view)', () => {
  const lot = meta({ baysCharging: 'c1..c3', baysDisabled: 'd1' });

  it('counts free bays of a kind once every declared bay reported; the kind\'s capacity is its declared bays', () => {
    const view = toLotView(lot, live(100, tally([3, 3, 2], [1, 1, 0])), NOW, 900);
    assert.deepEqual([view.freeCharging, view.freeDisabled, view.freeFamily, view.freeWomen], [1, 1, null, null]);
    assert.deepEqual([view.capacityCharging, view.capacityDisabled, view.capacityFamily], [3, 1, null]);
    assert.equal(view.baysCharging, 'c1..c3');
  });

  it('is null while a declared bay never reported, or before the store has this declaration', () => {
    assert.equal(toLotView(lot, live(100, tally([3, 2, 0])), NOW, 900).freeCharging, null);
    assert.equal(toLotView(lot, live(100, tally([4, 4, 0])), NOW, 900).freeCharging, null);
    assert.equal(toLotView(lot, live(100, null), NOW, 900).freeCharging, null);
  });

  it('is null when fewer bays are declared than the kind\'s capacity (the others are not known)', () => {
    const partly = meta({ baysCharging: 'c1..c3', capacityCharging: 10 });
    const view = toLotView(partly, live(100, tally([3, 3, 0])), NOW, 900);
    assert.deepEqual([view.freeCharging, view.capacityCharging], [null, 10]);
  });

  it('is null when the lot\'s own count is not live: stale, offline, closed, closed by its hours', () => {
    const counts = tally([3, 3, 0]);
    assert.equal(toLotView(lot, live(100, counts, { ts: NOW - 1_000_000, receivedAt: NOW - 1_000_000 }), NOW, 900).freeCharging, null);
    assert.equal(toLotView(lot, live(100, counts, { offline: true }), NOW, 900).freeCharging, null);
    assert.equal(toLotView({ ...lot, status: 'closed' }, live(100, counts), NOW, 900).freeCharging, null);
    assert.equal(toLotView(lot, live(100, counts), NOW, 900, { open: false, changesAt: null }).freeCharging, null);
    assert.equal(toLotView(lot, live(100, counts), NOW, 900).freeCharging, 3);
  });

  it('is never above the lot\'s free count, never below 0', () => {
    assert.equal(toLotView(lot, live(499, tally([3, 3, 0])), NOW, 900).freeCharging, 1);
    assert.equal(toLotView(lot, live(500, tally([3, 3, 0])), NOW, 900).freeCharging, 0);
    assert.equal(toLotView(lot, live(10, tally([3, 3, 5])), NOW, 900).freeCharging, 0);
  });
});

describe('domain: the apply rules tally bays by kind', () => {
  const event = (spaceId: string, occupied: boolean, ts: number): SpaceEvent => ({ lotId: 'l', spaceId, occupied, ts, seq: null, receivedAt: ts });

  it('counts a declared bay\'s first report and its changes, in the same step as its state; a re-declaration counts again', () => {
    const record = emptyLotRecord(10);
    applySpace(record, event('c1', true, NOW));
    assert.equal(record.state.kinds, null);
    const declared = applyBayKinds(record, new Map([['c1', 'charging'], ['c2', 'charging']]), 'v1');
    assert.deepEqual(declared.state.kinds!.charging, { bays: 2, reported: 1, occupied: 1 });
    assert.equal(applyBayKinds(record, new Map([['c1', 'charging']]), 'v1').outcome, 'duplicate');
    const before = applySpace(record, event('c2', false, NOW + 1)).state;
    applySpace(record, event('c1', false, NOW + 2));
    assert.deepEqual(before.kinds!.charging, { bays: 2, reported: 2, occupied: 1 }, 'a state handed out keeps its tallies');
    assert.deepEqual(record.state.kinds!.charging, { bays: 2, reported: 2, occupied: 0 });
  });
});
