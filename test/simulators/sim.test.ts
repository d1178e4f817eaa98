// The simulator against the running service: in every mode, with duplicates,
// reordering and malformed messages, the service ends at exactly the
// occupancy the simulated gateway reported; with the offline fault, its lots
// turn stale and come back.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import { eventually, getJson, startApp, type TestApp } from '../helpers/app.ts';
import { GatewaySimulator, simModes, type SimLot } from '../../simulators/sim.ts';

const LOTS: SimLot[] = [
  { id: 'anshan-5th-rd', capacity: 24 },
  { id: 'liaocheng-rd', capacity: 60 },
  { id: 'nanfeng-rd', capacity: 150 },
];

/** A seeded random source, so a failure replays. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('simulator against the service', function () {
  this.timeout(30_000);
  let t: TestApp;
  const lot = async (id: string) => (await getJson<LotView>(t.app.httpUrl, `/api/lots/${id}`)).body;

  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t?.stop();
  });

  for (const mode of simModes) {
    it(`ends at exactly the reported occupancy in ${mode} mode, through duplicates, reordering and malformed messages`, async () => {
      const sim = new GatewaySimulator({
        url: t.app.mqtt.url, lots: LOTS, rate: 300, mode, faults: ['duplicates', 'reordering', 'malformed'], faultRate: 0.3,
        random: seeded(7), gatewayId: `sim-${mode}`,
      });
      await sim.start();
      await new Promise((r) => setTimeout(r, 1000));
      await sim.stop();
      assert.ok(sim.faultsDone.duplicates > 0 && sim.faultsDone.reordering > 0 && sim.faultsDone.malformed > 0, JSON.stringify(sim.faultsDone));
      for (const { id } of LOTS) {
        await eventually(async () => (await lot(id)).occupied === sim.occupancyOf(id), 5000, `${id}: occupied = ${sim.occupancyOf(id)}`);
      }
      const view = await lot('nanfeng-rd');
      assert.deepEqual([view.stale, view.availability], [true, 'unknown'], 'its goodbye (offline) turns its lots stale');
      const metrics = await (await fetch(`${t.app.httpUrl}/metrics`)).text();
      assert.match(metrics, /kongwei_events_rejected_total\{reason="\w+"\} [1-9]/);
    });
  }

  it('drops offline now and then with the offline fault: its lots turn stale, then fresh again', async () => {
    const sim = new GatewaySimulator({
      url: t.app.mqtt.url, lots: LOTS.slice(0, 1), rate: 20, faults: ['offline'], offline: { everyS: 0.4, forS: 0.4 },
      random: seeded(3), gatewayId: 'sim-offline',
    });
    await sim.start();
    try {
      await eventually(async () => (await lot('anshan-5th-rd')).stale, 5000, 'stale while the gateway is offline');
      await eventually(async () => !(await lot('anshan-5th-rd')).stale, 5000, 'fresh once it is back');
      assert.ok(sim.faultsDone.offline >= 1);
    } finally {
      await sim.stop();
    }
  });
});
