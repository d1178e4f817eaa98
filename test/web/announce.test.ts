// What the map says to screen readers (web/src/announce.ts), and the strings
// of its offline, legend and announcement parts in both languages
// (web/src/i18n-pwa.ts): pure, run in Node with a hand-driven clock.
import assert from 'node:assert/strict';
import { LotAnnouncer, Throttle, type Timers } from '../../web/src/announce.ts';
import { LANGS } from '../../web/src/i18n.ts';
import { pwaStrings } from '../../web/src/i18n-pwa.ts';

/** Timers driven by the test: `advance(ms)` runs what falls due. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 1000;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let next = 0;
  return {
    now: () => now,
    setTimeout: (run, ms) => {
      const id = ++next;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimeout: (id) => (timers = timers.filter((t) => t.id !== id)),
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
      }
      now = until;
    },
  };
}

describe('web: polite announcements, rate-limited', () => {
  it('says the first text at once, then at most one per gap — the newest — and never the same text twice running', () => {
    const timers = manualTimers();
    const said: string[] = [];
    const throttle = new Throttle((text) => said.push(text), 4000, timers);
    throttle.push('a');
    assert.deepEqual(said, ['a']);
    for (const text of ['b', 'c', 'd']) throttle.push(text);
    timers.advance(3999);
    assert.deepEqual(said, ['a'], 'nothing more within the gap');
    timers.advance(1);
    assert.deepEqual(said, ['a', 'd'], 'the newest, when the gap is over');
    timers.advance(10_000);
    throttle.push('d');
    assert.deepEqual(said, ['a', 'd'], 'the same text is not said again');
    throttle.push('e');
    throttle.push('f');
    throttle.cancel();
    timers.advance(10_000);
    assert.deepEqual(said, ['a', 'd', 'e'], 'a cancelled text is dropped');
  });

  it('announces only the lot looked at (the popup’s, else the focused entry’s), and only when it reads differently', () => {
    const timers = manualTimers();
    const region = { textContent: '' as string | null };
    const states = new Map([['a', 'A: 10 free'], ['b', 'B: 3 free']]);
    const announcer = new LotAnnouncer((id) => states.get(id), region as unknown as HTMLElement, 4000, timers);
    const said: string[] = [];
    const change = (id: string, text: string) => {
      states.set(id, text);
      announcer.changed(['x', id, 'y']);
      if (region.textContent && region.textContent !== said.at(-1)) said.push(region.textContent);
    };
    change('a', 'A: 9 free');
    assert.deepEqual(said, [], 'nothing looked at: nothing said');
    announcer.popup('a');
    announcer.changed(['a']);
    assert.deepEqual(said, [], 'what is on screen is not said again');
    change('b', 'B: 2 free');
    assert.deepEqual(said, [], 'another lot is not said');
    change('a', 'A: 8 free');
    assert.deepEqual(said, ['A: 8 free']);
    announcer.popup(undefined);
    announcer.focus('b');
    timers.advance(5000);
    change('b', 'B: 1 free');
    assert.deepEqual(said, ['A: 8 free', 'B: 1 free'], 'the focused list entry’s lot, with no popup open');
    announcer.popup('a');
    change('b', 'B: 0 free');
    assert.deepEqual(said, ['A: 8 free', 'B: 1 free'], 'the popup’s lot comes first');
  });

  it('has every offline, legend and announcement string in both languages', () => {
    const keys = (lang: (typeof LANGS)[number]) => {
      const s = pwaStrings(lang);
      return Object.keys(s).concat(Object.keys(s.legend).map((k) => `legend.${k}`)).sort();
    };
    assert.deepEqual(keys('zh'), keys('en'));
    for (const lang of LANGS) {
      const s = pwaStrings(lang);
      for (const text of [s.offlineBefore, s.offlineAfter, s.legendTitle, s.legendShow, s.legendHide, s.announce('X', 'Y')]) assert.ok(text.trim(), lang);
      for (const { sample, meaning } of Object.values(s.legend)) assert.ok(sample && meaning, lang);
    }
  });
});
