// What a hostile or careless client sends the HTTP API: prototype keys in a
// body, text that is not text (lone surrogates, controls, bidi overrides,
// nothing visible), and what /metrics and /healthz give to whoever asks.
import assert from 'node:assert/strict';
import type { DependencyHealth } from '../../server/lifecycle.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { captureLogs, LEVELS, type LogLine } from '../helpers/logs.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('HTTP API hardening', function () {
  this.timeout(30_000);
  let t: TestApp;
  let base: string;
  let token: string;
  let lines: LogLine[];
  const lotCount = async () => Number(((await t.app.db('lots').count({ n: '*' })) as { n: number | string }[])[0]!.n);
  const errorsLogged = () => lines.filter((line) => line.level >= LEVELS.error);

  before(async () => {
    const captured = captureLogs();
    lines = captured.lines;
    t = await startApp({ ADMIN_TOKEN, METRICS_TOKEN, WRITE_RATE_LIMIT: '100000' }, { log: captured.log });
    base = t.app.httpUrl;
    ({ token } = await createOperator(base, 'Careful Operator'));
    assert.equal((await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'hardened' }) })).status, 201);
  });
  after(async () => t?.stop());

  describe('prototype keys in a body → 400 naming them, nothing stored, no error logged', () => {
    const lot = JSON.stringify(newLot()).slice(1, -1);
    const bodies: [string, string, string, string][] = [
      ['POST', '/api/lots', `{"__proto__":{"admin":true},${lot}}`, '__proto__'],
      ['POST', '/api/lots', `{"constructor":{"prototype":{"x":1}},${lot}}`, 'constructor'],
      ['POST', '/api/lots', `{"prototype":1,${lot}}`, 'prototype'],
      ['PATCH', '/api/lots/hardened', '{"__proto__":{"capacity":1}}', '__proto__'],
      ['PATCH', '/api/lots/hardened', '{"constructor":"x"}', 'constructor'],
      ['POST', '/api/operators', '{"name":"x","__proto__":{"role":"admin"}}', '__proto__'],
      ['POST', '/api/lots/hardened/gateways', '{"constructor":{}}', 'constructor'],
      ['POST', '/api/gateways/gw-none/lots', '{"__proto__":{"lotId":"hardened"}}', '__proto__'],
    ];
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      it(`POST /api/lots/import, a CSV whose header names "${key}" → 400 naming that column`, async () => {
        const before = await lotCount();
        const errors = errorsLogged().length;
        const answer = await fetch(new URL('/api/lots/import', base), {
          method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: `name,lat,lon,capacity,${key}\nCSV Lot,36.08,120.37,10,1\n`,
        });
        const body = (await answer.json()) as { error: { code: string; details: { fields: Record<string, unknown> } } };
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(body.error.code, 'validation_failed');
        assert.ok(Object.hasOwn(body.error.details.fields, `line 1.${key}`), JSON.stringify(body.error.details.fields));
        assert.equal(await lotCount(), before);
        assert.equal(errorsLogged().length, errors, JSON.stringify(errorsLogged().slice(errors)));
      });
    }
    // The import's other formats: a prototype key as a lot's field (JSON), as a GeoJSON feature's property, and beside "lots".
    const lotJson = JSON.stringify(newLot({ id: 'proto-import' }));
    const feature = (key: string) => {
      const { lat, lon, ...properties } = newLot({ id: 'proto-import' }) as Record<string, unknown>;
      return `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[${lon},${lat}]},"properties":{${JSON.stringify(key)}:{"admin":true},${JSON.stringify(properties).slice(1)}}]}`;
    };
    const imports: [string, string, string, string][] = [];
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      imports.push(
        ['application/json', 'a lot\'s field', `{"lots":[{${JSON.stringify(key)}:{"admin":true},${lotJson.slice(1)}]}`, `lots[0].${key}`],
        ['application/geo+json', 'a feature\'s property', feature(key), `features[0].${key}`],
        ['application/json', 'a GeoJSON feature\'s property sent as JSON', feature(key), `features[0].${key}`],
        ['application/json', 'a field beside "lots"', `{${JSON.stringify(key)}:1,"lots":[${lotJson}]}`, `file.${key}`],
      );
    }
    for (const [type, where, body, field] of imports) {
      it(`POST /api/lots/import (${type}), "${field.split('.').pop()}" as ${where} → 400 naming ${field}`, async () => {
        const before = await lotCount();
        const errors = errorsLogged().length;
        const answer = await fetch(new URL('/api/lots/import', base), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
        const parsed = (await answer.json()) as { error: { code: string; details: { fields: Record<string, unknown> } } };
        assert.equal(answer.status, 400, JSON.stringify(parsed));
        assert.equal(parsed.error.code, 'validation_failed');
        assert.ok(Object.hasOwn(parsed.error.details.fields, field), JSON.stringify(parsed.error.details.fields));
        assert.equal(await lotCount(), before);
        assert.equal(t.app.catalog.get('proto-import'), undefined);
        assert.equal(errorsLogged().length, errors, JSON.stringify(errorsLogged().slice(errors)));
        assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was polluted');
      });
    }
    for (const [method, path, raw, key] of bodies) {
      it(`${method} ${path} with "${key}" → 400`, async () => {
        const before = await lotCount();
        const errors = errorsLogged().length;
        const answer = await api(base, method, path, { token: path.startsWith('/api/operators') ? ADMIN_TOKEN : token, raw });
        if (path === '/api/gateways/gw-none/lots') assert.ok([400, 404].includes(answer.status), String(answer.status));
        else {
          assert.equal(answer.status, 400, JSON.stringify(answer.body));
          assert.equal(answer.body.error.code, 'validation_failed');
          assert.ok(Object.hasOwn(answer.body.error.details.fields, key), JSON.stringify(answer.body.error.details.fields));
        }
        assert.equal(await lotCount(), before);
        assert.equal(errorsLogged().length, errors, JSON.stringify(errorsLogged().slice(errors)));
        assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was polluted');
      });
    }
  });

  describe('text fields: NFC, and refused with lone surrogates, controls, bidi overrides or nothing visible', () => {
    const refused: [string, string][] = [
      ['a lone surrogate', '"Car Park \\ud800"'],
      ['a lone low surrogate', '"\\udc00 Park"'],
      ['a control character', '"Car\\u0007Park"'],
      ['a line break', '"Car\\nPark"'],
      ['a right-to-left override', '"Park \\u202egnp.exe"'],
      ['a bidi isolate', '"Park \\u2066x\\u2069"'],
      ['only zero-width characters', '"\\u200b\\u200c\\u200d\\ufeff"'],
      ['only spaces of every kind', '"\\u3000\\u00a0\\u2003 "'],
      ['only a combining mark and a Hangul filler', '"\\u0301\\u3164"'],
    ];
    for (const [what, name] of refused) {
      it(`refuses a lot name with ${what} → 400 on name, nothing stored`, async () => {
        const before = await lotCount();
        const raw = JSON.stringify(newLot()).replace('"测试停车场"', name);
        const answer = await api(base, 'POST', '/api/lots', { token, raw });
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.ok(answer.body.error.details.fields.name, JSON.stringify(answer.body.error.details.fields));
        assert.equal(await lotCount(), before);
      });
    }

    it('applies the same rule to every text field: names, address, prices, gateway and operator names', async () => {
      const bad = '"\\u202eevil"';
      for (const field of ['nameEn', 'address', 'priceInfo', 'priceInfoEn', 'openingHours']) {
        const answer = await api(base, 'PATCH', '/api/lots/hardened', { token, raw: `{"${field}":${bad}}` });
        assert.equal(answer.status, 400, field);
        assert.ok(answer.body.error.details.fields[field], field);
      }
      assert.equal((await api(base, 'POST', '/api/lots/hardened/gateways', { token, raw: `{"name":${bad}}` })).status, 400);
      assert.equal((await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, raw: `{"name":"\\u200b"}` })).status, 400);
      assert.equal((await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, raw: `{"name":"ops\\ud83d"}` })).status, 400);
    });

    it('stores names as NFC, keeps real text (Chinese, emoji, Arabic, a zero-width joiner inside a word) as it is', async () => {
      const created = await api(base, 'POST', '/api/lots', {
        token,
        body: newLot({ id: 'nfc-lot', name: 'Cafe\u0301 停车场 👨‍👩‍👧', nameEn: '  موقف سيارات  ', address: '', priceInfo: '2元/小时' }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.name, 'Café 停车场 👨‍👩‍👧');
      assert.equal(created.body.name, created.body.name.normalize('NFC'));
      assert.equal(created.body.nameEn, 'موقف سيارات');
      assert.equal(created.body.address, null, 'an empty optional text is no text');
    });

    it('keeps /api/lots readable by a strict JSON parser: every string well-formed', async () => {
      const text = await (await fetch(`${base}/api/lots`)).text();
      assert.doesNotMatch(text, /\p{Cs}/u, 'no lone surrogate in the bytes');
      assert.doesNotMatch(text, /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
    });
  });

  describe('/metrics and /healthz', () => {
    it('asks for METRICS_TOKEN on /metrics when it is set: 401 without or with a wrong one, the metrics with it', async () => {
      const none = await fetch(`${base}/metrics`);
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
      assert.equal((await none.json()).error.code, 'unauthorized');
      assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
      const good = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(good.status, 200);
      assert.match(await good.text(), /kongwei_events_total/);
    });

    it('tells /healthz only whether each dependency is ok and its kind; the reason goes to the log, once', async () => {
      const original = t.app.health.bind(t.app);
      const secretDetail = 'connect ECONNREFUSED 10.20.30.40:6379 (user kongwei)';
      t.app.health = async () => ({ ...(await original()), live: { ok: false, kind: 'redis', detail: secretDetail } satisfies DependencyHealth });
      try {
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${base}/healthz`);
          const text = await res.text();
          assert.equal(res.status, 503);
          assert.deepEqual(JSON.parse(text).dependencies.live, { ok: false, kind: 'redis' });
          assert.doesNotMatch(text, /ECONNREFUSED|10\.20|listening|detail/);
        }
        const logged = lines.filter((line) => line.detail === secretDetail);
        assert.equal(logged.length, 1, 'logged when it changed, not at every poll');
        assert.equal(logged[0]!.level, LEVELS.warn);
      } finally {
        t.app.health = original;
      }
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.ok(lines.some((line) => line.dependency === 'live' && /healthy again/.test(line.msg)));
    });
  });
});

describe('HTTP API: /metrics without METRICS_TOKEN', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(async () => t?.stop());

  it('is public, as before (for a Prometheus on a private network)', async () => {
    assert.equal((await fetch(`${t.app.httpUrl}/metrics`)).status, 200);
  });
});
