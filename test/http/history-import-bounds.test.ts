// A history file's values at and past their bounds (POST /api/lots/{id}/history):
// a time before 2000 (year 1, the epoch, the earliest Date) and a capacity past
// a lot's (10^20) are bad lines, named, on SQLite and on PostgreSQL alike. On
// PostgreSQL both were 500s: no month partition could hold year 1, and
// capacity × milliseconds overflowed a bigint. SQLite stored them.
import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { captureLogs, LEVELS, type LogLine } from '../helpers/logs.ts';
import { createTestDatabase, requireService } from '../helpers/services.ts';

const engines = [
  { name: 'SQLite', env: async () => ({ env: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    env: async (ctx: Mocha.Context) => {
      await requireService(ctx, 'postgresql');
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url }, drop: db.drop };
    },
  },
];

for (const engine of engines) {
  describe(`history import: times and capacities past their bounds → bad lines, not a 500 (${engine.name})`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let lines: LogLine[];
    let drop = async () => {};
    const NOW = Date.parse('2026-11-25T10:00:00+08:00');
    const post = async (line: string) => {
      const res = await fetch(`${t.app.httpUrl}/api/lots/hangzhou-rd-7/history`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: `lot,at,occupied,capacity\nhangzhou-rd-7,${line}\n`,
      });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; details: { lines: { line: number; message: string }[] } } } };
    };

    before(async function () {
      const setup = await engine.env(this);
      drop = setup.drop;
      const captured = captureLogs('warn');
      lines = captured.lines;
      t = await startApp({ ...setup.env, ADMIN_TOKEN }, { log: captured.log, clock: () => NOW });
    });
    after(async () => {
      await t?.stop();
      await drop();
    });

    const hourAgo = new Date(NOW - 3_600_000).toISOString();
    for (const [line, says] of [
      [`${hourAgo},5,100000000000000000000`, /capacity "1000000000\d*" is not a whole number from 0 to 100000/],
      [`${hourAgo},5,100001`, /capacity "100001" is not a whole number from 0 to 100000/],
      ['0001-01-01T00:00:00Z,5,', /is before 2000/],
      ['1970-01-01T00:00:00Z,5,', /is before 2000/],
      ['-271821-04-20T00:00:00.000Z,5,', /is before 2000/],
    ] as const) {
      it(`refuses "${line}" → 400 naming line 2, nothing written, no error logged`, async () => {
        const before = await t.app.db('history_5m').count({ n: '*' });
        const answer = await post(line);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body.error?.code, 'validation_failed');
        assert.equal(answer.body.error?.details.lines[0]?.line, 2);
        assert.match(answer.body.error!.details.lines[0]!.message, says);
        assert.deepEqual(await t.app.db('history_5m').count({ n: '*' }), before);
        assert.deepEqual(lines.filter((l) => l.level >= LEVELS.error), []);
      });
    }

    it('takes a capacity of 100000 and a time of 2000 or later', async () => {
      assert.equal((await post(`${hourAgo},5,100000`)).status, 200);
      assert.equal((await post('2000-01-01T00:00:00Z,5,')).status, 200);
      assert.deepEqual(lines.filter((l) => l.level >= LEVELS.error), []);
    });
  });
}
