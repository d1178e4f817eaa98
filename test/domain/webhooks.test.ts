// The alert rules: a lot's conditions begin and end on transitions only;
// the names that make a transition one delivery across instances; the
// retry schedule; the webhook's input rules.
import assert from 'node:assert/strict';
import { emptyLiveState, type LiveState } from '../../server/domain/live.ts';
import {
  conditionsOf, lotAlertData, lotSnapshot, lotTransitionKey, lotTransitions, retryDelayMs, webhookCreateSchema,
} from '../../server/domain/webhooks.ts';

const state = (extra: Partial<LiveState> = {}): LiveState => ({ ...emptyLiveState(10), occupied: 4, ts: 1_000, receivedAt: 1_000, aliveAt: 1_000, source: 'count', ...extra });

describe('domain: webhook alerts', () => {
  it('sees no condition in a lot without data, and each one in a state that has it', () => {
    assert.deepEqual(conditionsOf(undefined), { 'lot.full': false, 'lot.clamped': false, 'lot.stale': false });
    assert.deepEqual(conditionsOf(emptyLiveState(10)), { 'lot.full': false, 'lot.clamped': false, 'lot.stale': false });
    assert.deepEqual(conditionsOf(state({ occupied: 10 })), { 'lot.full': true, 'lot.clamped': false, 'lot.stale': false });
    assert.deepEqual(conditionsOf(state({ occupied: 10, clamped: true })), { 'lot.full': true, 'lot.clamped': true, 'lot.stale': false });
    assert.deepEqual(conditionsOf(state({ staleMarked: true })), { 'lot.full': false, 'lot.clamped': false, 'lot.stale': true });
    assert.deepEqual(conditionsOf(state({ offline: true })), { 'lot.full': false, 'lot.clamped': false, 'lot.stale': true });
    assert.equal(conditionsOf({ ...emptyLiveState(0), occupied: 0 })['lot.full'], false, 'a lot with no spaces is never "full"');
  });

  it('fires "full" when a lot fills, not again while it stays full, and resolves it when a space frees', () => {
    const states = [state({ occupied: 9 }), state({ occupied: 10, ts: 2_000 }), state({ occupied: 10, ts: 3_000 }), state({ occupied: 10, ts: 4_000, clamped: true }), state({ occupied: 7, ts: 5_000 })];
    const seen = states.slice(1).map((s, i) => lotTransitions(states[i], s));
    assert.deepEqual(seen, [
      [{ event: 'lot.full', state: 'firing' }],
      [],
      [{ event: 'lot.clamped', state: 'firing' }],
      [{ event: 'lot.full', state: 'resolved' }, { event: 'lot.clamped', state: 'resolved' }],
    ]);
  });

  it('names a transition by the state it led to: the same on every instance, different for the next time it happens', () => {
    const full = state({ occupied: 10, ts: 2_000 });
    assert.equal(lotTransitionKey('lot.full', 'a', 'firing', full), lotTransitionKey('lot.full', 'a', 'firing', { ...full }));
    assert.notEqual(lotTransitionKey('lot.full', 'a', 'firing', full), lotTransitionKey('lot.full', 'a', 'firing', { ...full, ts: 6_000, receivedAt: 6_000 }));
    assert.notEqual(lotTransitionKey('lot.full', 'a', 'firing', full), lotTransitionKey('lot.full', 'b', 'firing', full));
  });

  it('says why a lot is stale, and shows it as an operator knows it', () => {
    const snapshot = lotSnapshot('a', undefined, state({ offline: true }));
    assert.deepEqual(lotAlertData('lot.stale', 'firing', snapshot).reason, 'gateway_offline');
    assert.deepEqual(lotAlertData('lot.stale', 'firing', lotSnapshot('a', undefined, state({ staleMarked: true }))).reason, 'no_data');
    assert.equal(lotAlertData('lot.stale', 'resolved', snapshot).reason, undefined);
    assert.deepEqual([snapshot.free, snapshot.updatedAt, snapshot.heardAt], [6, '1970-01-01T00:00:01.000Z', '1970-01-01T00:00:01.000Z']);
  });

  it('waits exponentially longer after each failure, half of each step fixed and half random, up to the cap', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, policy, () => 0)), [500, 1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 1)), [1000, 2000, 4000, 8000, 10_000]);
  });

  it('takes http and https targets only, without credentials, and keeps the events in one order', () => {
    const ok = webhookCreateSchema.parse({ url: 'https://hooks.example.com/kongwei?x=1', events: ['lot.full', 'gateway.offline', 'lot.full'] });
    assert.deepEqual(ok.events, ['gateway.offline', 'lot.full']);
    assert.deepEqual([ok.enabled, ok.description], [true, null]);
    for (const url of ['ftp://example.com/', 'https://user:pass@example.com/', 'https://example.com/#x', 'example.com/hook', 'javascript:alert(1)']) {
      assert.equal(webhookCreateSchema.safeParse({ url, events: ['lot.full'] }).success, false, url);
    }
    assert.equal(webhookCreateSchema.safeParse({ url: 'https://example.com/', events: [] }).success, false, 'at least one event');
    assert.equal(webhookCreateSchema.safeParse({ url: 'https://example.com/', events: ['lot.exploded'] }).success, false);
    assert.equal(webhookCreateSchema.safeParse({ url: 'https://example.com/', events: ['lot.full'], secret: 'short' }).success, false);
    assert.equal(webhookCreateSchema.safeParse({ url: 'https://example.com/', events: ['lot.full'], owner: 'me' }).success, false, 'unknown fields');
  });
});
