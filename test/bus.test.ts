// The internal bus (server/bus.ts): every listener hears each event in the
// order they subscribed, and one that throws or rejects is logged while the
// others still run.
import assert from 'node:assert/strict';
import { Bus } from '../server/bus.ts';
import type { Logger } from '../server/log.ts';

function capturingLog(): { log: Logger; errors: { event: string; err: string }[] } {
  const errors: { event: string; err: string }[] = [];
  const log = { error: (fields: { event: string; err: string }) => errors.push(fields) } as unknown as Logger;
  return { log, errors };
}

describe('bus', () => {
  it('runs every listener though one throws and another rejects, and logs both failures', async () => {
    const { log, errors } = capturingLog();
    const bus = new Bus(log);
    const heard: string[] = [];
    bus.on('stale.claimed', (ids) => void heard.push(`first ${ids.join(',')}`));
    bus.on('stale.claimed', () => {
      throw new Error('listener broke');
    });
    bus.on('stale.claimed', async () => {
      throw new Error('listener rejected');
    });
    bus.on('stale.claimed', (ids) => void heard.push(`last ${ids.join(',')}`));
    bus.emit('stale.claimed', ['a', 'b']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard, ['first a,b', 'last a,b']);
    assert.deepEqual(errors.map((e) => [e.event, e.err]).sort(), [['stale.claimed', 'listener broke'], ['stale.claimed', 'listener rejected']]);
  });

  it('stops calling a listener once it unsubscribes, and keeps events apart', () => {
    const bus = new Bus();
    const heard: string[] = [];
    const off = bus.on('hours.flipped', (ids) => void heard.push(`hours ${ids[0]}`));
    bus.on('stale.claimed', (ids) => void heard.push(`stale ${ids[0]}`));
    bus.emit('hours.flipped', ['x']);
    off();
    bus.emit('hours.flipped', ['y']);
    bus.emit('stale.claimed', ['z']);
    assert.deepEqual(heard, ['hours x', 'stale z']);
    assert.equal(bus.listenerCount('hours.flipped'), 0);
    assert.equal(bus.listenerCount('stale.claimed'), 1);
  });

  it('emitAndWait resolves once every listener\'s work is done, a failing one included', async () => {
    const { log, errors } = capturingLog();
    const bus = new Bus(log);
    const done: string[] = [];
    bus.on('gateways.changed', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done.push('slow');
    });
    bus.on('gateways.changed', async () => {
      throw new Error('reload failed');
    });
    bus.on('gateways.changed', () => void done.push('sync'));
    await bus.emitAndWait('gateways.changed');
    assert.deepEqual(done, ['sync', 'slow']);
    assert.deepEqual(errors.map((e) => e.err), ['reload failed']);
  });
});
