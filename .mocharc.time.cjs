// `npm run test:time`: the suites whose results hang on the time — opening
// hours, public holidays, data ages and staleness, future timestamps, the map's
// own clock. .ci/run runs them again under faketime at moments chosen to break
// a test that reads the machine's clock (03:00 in Shanghai, a public holiday,
// a daylight-saving change). Same options as .mocharc.json, these files only.
const base = require('./.mocharc.json');

module.exports = {
  ...base,
  spec: [
    'test/domain/opening-hours.test.ts',
    'test/domain/lot.test.ts',
    'test/domain/events.test.ts',
    'test/domain/history.test.ts',
    'test/domain/forecast.test.ts',
    'test/domain/bay-kinds.test.ts',
    'test/domain/feeds.test.ts',
    'test/clock/stale-watch.test.ts',
    'test/clock/history-recorder.test.ts',
    'test/http/history.test.ts',
    'test/http/forecast.test.ts',
    'test/http/lots-kinds.test.ts',
    'test/http/feeds.test.ts',
    'test/http/ngsi-ld.test.ts',
    'test/live/feed.test.ts',
    'test/ingest/ingest.test.ts',
    'test/realtime/outputs.test.ts',
    'test/e2e/mqtt-contract.test.ts',
    'test/e2e/http-ingest.test.ts',
    'test/e2e/operators-live.test.ts',
    'test/domain/webhooks.test.ts',
    'test/e2e/webhooks.test.ts',
    'test/web/webhooks.test.ts',
    'test/web/i18n.test.ts',
    'test/web/lot-display.test.ts',
    'test/web/opening-hours.test.ts',
    'test/web/map.test.ts',
    'test/web/hours-table.test.ts',
    'test/web/offline.test.ts',
    'test/web/offline-shell.test.ts',
    'test/web/accessibility.test.ts',
    'test/web/find.test.ts',
    'test/web/kinds.test.ts',
    'test/web/charts-series.test.ts',
    'test/web/history-map.test.ts',
    'test/web/history-operator.test.ts',
  ],
};
