// The history recorder against the reference (DESIGN.md §7): whatever the
// events, their arrival order and duplicates, and wherever the recorder runs,
// crashes (after writing SQL, before trimming the log; or failing to write),
// restarts or hands over to another instance, the buckets in SQL plus the
// provisional tail equal what the accumulator gives for the applied changes,
// and that equals the second-by-second reference.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HistoryRecorder } from '../../server/clock/history-recorder.ts';
import { mergeBuckets, type Bucket } from '../../server/domain/history.ts';
import type { LiveStore } from '../../server/live/store.ts';
import { HistoryRepository } from '../../server/history/repository.ts';
import { createLogger } from '../../server/log.ts';
import { HistoryViews } from '../../server/query/history-views.ts';
import { seededCatalog } from '../helpers/catalog.ts';
import { HistoryHarness, type LotInput } from '../helpers/history-harness.ts';
import { referenceBuckets } from '../helpers/history-reference.ts';
import { storesUnderTest } from '../live/stores.ts';

const SECOND = 1000;
const LOT = 'nanfeng-rd'; // capacity 150, no opening hours, in the seeded catalog
const CAPACITY = 150;
const STALE_S = 600;
const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const log = createLogger('silent');

type Generated = { t: number } & (
  | { kind: 'count'; occupied: number } | { kind: 'gate'; delta: number; seq: number } | { kind: 'heartbeat' }
  | { kind: 'offline'; online: boolean } | { kind: 'capacity'; capacity: number } | { kind: 'status'; open: boolean });

const generatedInput = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('count' as const), t: fc.integer({ min: 0, max: 7200 }), occupied: fc.integer({ min: 0, max: 160 }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('gate' as const), t: fc.integer({ min: 0, max: 7200 }), delta: fc.integer({ min: -3, max: 3 }), seq: fc.integer({ min: 1, max: 40 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), t: fc.integer({ min: 0, max: 7200 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('offline' as const), t: fc.integer({ min: 0, max: 7200 }), online: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('capacity' as const), t: fc.integer({ min: 0, max: 7200 }), capacity: fc.integer({ min: 100, max: 160 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('status' as const), t: fc.integer({ min: 0, max: 7200 }), open: fc.boolean() }), weight: 1 },
);
/** What happens to the recorder after a message: nothing, a round, a crash after its SQL write, a failed write, a handover to another instance. */
const recorderAction = fc.constantFrom('none', 'none', 'none', 'round', 'crash-before-trim', 'sql-fails', 'handover');

function toInput(g: Generated): LotInput {
  const ts = T0 + g.t * SECOND;
  switch (g.kind) {
    case 'count': return { kind: 'count', ts, occupied: g.occupied };
    case 'gate': return { kind: 'gate', ts, delta: g.delta, seq: g.seq };
    case 'heartbeat': return { kind: 'heartbeat', ts };
    case 'offline': return { kind: 'offline', online: g.online };
    case 'capacity': return { kind: 'capacity', capacity: g.capacity };
    default: return { kind: 'status', open: g.open };
  }
}

/** The same input, to the store under test. */
async function applyTo(store: LiveStore, input: LotInput, receivedAt: number, statusOpen: { value: boolean }): Promise<void> {
  switch (input.kind) {
    case 'count': await store.applyCount({ lotId: LOT, ts: input.ts, seq: null, occupied: input.occupied, free: null, capacity: null, receivedAt }, CAPACITY); break;
    case 'gate': await store.applyGate({ lotId: LOT, gate: 'g', delta: input.delta, ts: input.ts, sensorTs: true, seq: input.seq ?? null, receivedAt }, CAPACITY); break;
    case 'heartbeat': await store.applyHeartbeat({ lotId: LOT, ts: input.ts, receivedAt }, CAPACITY); break;
    case 'offline': await store.setLotOffline(LOT, !input.online, receivedAt, CAPACITY); break;
    case 'capacity': await store.setCapacity(LOT, input.capacity, receivedAt); break;
    case 'status':
      // As the recorder part does: a status record when the catalog's status changed.
      if (statusOpen.value !== input.open) await store.noteStatus(LOT, input.open, receivedAt);
      statusOpen.value = input.open;
      break;
  }
}

for (const target of storesUnderTest.filter((s) => s.name !== 'redis-cluster')) {
  describe(`history recorder property: ${target.name}`, function () {
    this.timeout(180_000);
    before(async function () {
      await target.require(this);
    });
    after(() => target.cleanup());

    it('SQL buckets + tail = the accumulator = the reference, under duplicates, reordering, crashes, restarts and a handover', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(generatedInput, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), fc.array(recorderAction, { minLength: 40, maxLength: 40 }),
          async (generated, arrivalKeys, actions) => {
            const { catalog, db, bus, close } = await seededCatalog();
            const store = await target.create();
            const history = new HistoryRepository(db);
            let now = T0;
            const clock = () => now;
            let instance = 0;
            const recorderOver = (storeSeen: LiveStore, repository: HistoryRepository) =>
              new HistoryRecorder({ store: storeSeen, catalog, history: repository, bus, log, staleAfterS: STALE_S, timeZone: 'Asia/Shanghai', instanceId: `i${++instance}`, clock, intervalMs: 3_600_000 });
            let recorder = recorderOver(store, history);
            try {
              // The lot's first event comes first (a status or capacity before any live state has nothing to act on).
              const messages = [{ g: { kind: 'count', t: 0, occupied: 10 } as Generated, key: -1 }, ...generated.map((g, i) => ({ g: g as Generated, key: g.t + ((arrivalKeys[i] ?? 0) % 1200) }))];
              for (const [i, k] of arrivalKeys.entries()) if (k % 4 === 0 && messages[i + 1]) messages.push({ ...messages[i + 1]!, key: messages[i + 1]!.key + (k % 97) });
              messages.sort((a, b) => a.key - b.key);
              const h = new HistoryHarness(CAPACITY, { staleAfterMs: STALE_S * SECOND });
              const statusOpen = { value: true };
              for (const [i, m] of messages.entries()) {
                const receivedAt = T0 + Math.max(0, m.key + i) * SECOND;
                now = receivedAt;
                const input = toInput(m.g);
                h.apply(input, receivedAt);
                await applyTo(store, input, receivedAt, statusOpen);
                const action = actions[i % actions.length];
                if (action === 'round') await recorder.flush();
                else if (action === 'crash-before-trim') {
                  // Buckets and place written, then the process dies before the log is trimmed: another recorder reads the records again.
                  const noTrim = new Proxy(store, { get: (s, p) => (p === 'trimHistory' ? async () => { throw new Error('crashed'); } : Reflect.get(s, p, s)) }) as LiveStore;
                  await recorderOver(noTrim, history).flush();
                  await store.releaseLease('history-recorder', `i${instance}`);
                } else if (action === 'sql-fails') {
                  const failing = new Proxy(history, { get: (r, p) => (p === 'saveFolds' ? async () => { throw new Error('database away'); } : Reflect.get(r, p, r)) }) as HistoryRepository;
                  await recorderOver(store, failing).flush();
                  await store.releaseLease('history-recorder', `i${instance}`);
                } else if (action === 'handover') {
                  await recorder.stop();
                  recorder = recorderOver(store, history);
                }
              }
              const end = T0 + 3 * 3_600_000;
              now = end;
              await recorder.flush();
              const views = new HistoryViews({ history, catalog, staleAfterS: STALE_S, timeZone: 'Asia/Shanghai', retentionDays: 90, clock });
              const state = (await history.states([LOT])).get(LOT);
              const recorded: Bucket[] = await views.buckets(catalog.get(LOT)!, T0 - 3_600_000, end, state);
              const expected = mergeBuckets(h.buckets(end));
              assert.deepEqual(recorded, expected);
              assert.deepEqual(expected, referenceBuckets(h.observations, { staleAfterMs: STALE_S * SECOND }, end));
              assert.deepEqual(await store.readHistory(LOT, 10), [], 'the log was taken and trimmed');
            } finally {
              await recorder.stop();
              await store.stop();
              await close();
            }
          },
        ),
        { numRuns: target.name === 'memory' ? 40 : 25 },
      );
    });
  });
}
