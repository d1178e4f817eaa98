// `npm start` as a process: bad configuration, start-up, graceful shutdown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the service as a process', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kongwei-proc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a bad setting at start, naming the variable', async () => {
    const p = startProcess({ DATA_DIR: dir, PORT: 'eighty' });
    assert.equal(await p.exited, 78);
    assert.match(p.output(), /PORT="eighty"/);
  });

  it('starts, serves, and exits 0 on SIGTERM', async () => {
    const p = startProcess({ DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line in:\n${p.output()}`)), 20_000);
      p.child.stdout.on('data', () => {
        const match = /the map is at (http:\/\/localhost:\d+)/.exec(p.output());
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.output(), /Kongwei stopped/);
  });
});
