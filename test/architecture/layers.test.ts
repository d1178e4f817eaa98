// The layer rules in .dependency-cruiser.cjs can fail: each rule is run on a
// small fixture tree that breaks it, and must name itself (and only itself);
// a tree that uses every allowed kind of import passes. A last check makes
// sure the parser really reads this code base's TypeScript.
//
// dependency-cruiser runs in a child `node`, not in this tsx process: under
// tsx, `import('@swc/core/Visitor.js')` yields the class as `default`, and
// dependency-cruiser's swc extractor then finds no Visitor and fails. All
// trees go to one child, so the whole file takes a second or two.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IConfiguration } from 'dependency-cruiser';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };

/** The folders `npm run check:layers` cruises, read from its script. */
const CHECKED = (pkg.scripts['check:layers'] ?? '')
  .split(/\s+/)
  .slice(1)
  .filter((word) => word !== '' && !word.startsWith('-') && !word.endsWith('.cjs') && !/^(err|err-long|text|json)$/.test(word));

// Stand-ins for the npm packages the rules name: resolution only needs a
// package.json and a main file.
const PACKAGES = ['zod', 'opening_hours', 'transliteration', 'ioredis', 'leaflet', 'leaflet.markercluster', 'socket.io-client'];

type Violation = { rule: string; from: string; to: string };
type Outcome = { violations: Violation[]; modules: { source: string; resolved: string[] }[] };

// Cruises each { baseDir, dirs } with the project's rules, as check:layers does.
const RUNNER = `
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';
const config = createRequire(process.cwd() + '/')('./.dependency-cruiser.cjs');
let input = '';
for await (const chunk of process.stdin) input += chunk;
const outcomes = [];
for (const { baseDir, dirs } of JSON.parse(input)) {
  const { output } = await cruise(dirs, {
    ...config.options,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    baseDir,
  });
  outcomes.push({
    violations: output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
    modules: output.modules.map((m) => ({ source: m.source, resolved: m.dependencies.map((d) => d.resolved) })),
  });
}
process.stdout.write(JSON.stringify(outcomes));
`;

function cruiseAll(jobs: { baseDir: string; dirs: string[] }[]): Outcome[] {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const stdout = execFileSync(process.execPath, ['--input-type=module', '--eval', RUNNER], {
    cwd: ROOT,
    env,
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Outcome[];
}

/** Writes `files` (path → source) and the package stand-ins into a fresh tree under `baseDir`. */
function writeTree(baseDir: string, files: Record<string, string>): string[] {
  const all: Record<string, string> = { ...files };
  for (const name of PACKAGES) {
    all[`node_modules/${name}/package.json`] = JSON.stringify({ name, version: '1.0.0', main: 'index.js' });
    all[`node_modules/${name}/index.js`] = 'module.exports = {};\n';
  }
  for (const [path, source] of Object.entries(all)) {
    mkdirSync(dirname(join(baseDir, path)), { recursive: true });
    writeFileSync(join(baseDir, path), source);
  }
  return CHECKED.filter((dir) => Object.keys(files).some((path) => path.startsWith(`${dir}/`)));
}

function rulesOf(violations: Violation[]): string[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}

const EMPTY = 'export {};\n';

/** A tree that uses every kind of import the rules allow. */
const ALLOWED: Record<string, string> = {
  'server/domain/a.ts':
    "import { z } from 'zod';\nimport { inspect } from 'node:util';\nimport oh from 'opening_hours';\n" +
    "import { slugify } from 'transliteration';\nimport type { B } from './b.ts';\nexport const a = [z, inspect, oh, slugify];\nexport type A = B;\n",
  'server/domain/b.ts': 'export type B = number;\n',
  'server/config.ts': "import { z } from 'zod';\nimport type { A } from './domain/a.ts';\nexport const config = z;\nexport type C = A;\n",
  'server/log.ts': "import { config } from './config.ts';\nexport const log = config;\n",
  'server/metrics.ts': "import { log } from './log.ts';\nexport const metrics = log;\n",
  'server/bus.ts': "import { metrics } from './metrics.ts';\nexport const bus = metrics;\n",
  'server/lifecycle.ts': "import { bus } from './bus.ts';\nexport const lifecycle = bus;\n",
  'server/live/store.ts': "import Redis from 'ioredis';\nimport { a } from '../domain/a.ts';\nimport { lifecycle } from '../lifecycle.ts';\nexport const store = [Redis, a, lifecycle];\n",
  'server/live/watch.ts': "import { store } from './store.ts';\nexport const watch = store;\n",
  'server/catalog/catalog.ts': "import { log } from '../log.ts';\nexport const catalog = log;\n",
  'server/auth/operators.ts': "import { catalog } from '../catalog/catalog.ts';\nexport const operators = catalog;\n",
  'server/manage/lots.ts':
    "import { store } from '../live/store.ts';\nimport { operators } from '../auth/operators.ts';\nexport const manage = [store, operators];\n",
  'server/query/views.ts': "import { catalog } from '../catalog/catalog.ts';\nimport { watch } from '../live/watch.ts';\nexport const views = [catalog, watch];\n",
  'server/ingest/ingest.ts': "import { bus } from '../bus.ts';\nimport { views } from '../query/views.ts';\nexport const ingest = [bus, views];\n",
  'server/clock/tick.ts': "import { bus } from '../bus.ts';\nexport const tick = bus;\n",
  'server/http/routes.ts': "import { manage } from '../manage/lots.ts';\nimport { views } from '../query/views.ts';\nexport const routes = [manage, views];\n",
  'server/realtime/push.ts': "import { views } from '../query/views.ts';\nimport { bus } from '../bus.ts';\nexport const push = [views, bus];\n",
  'server/app.ts':
    "import { ingest } from './ingest/ingest.ts';\nimport { tick } from './clock/tick.ts';\nimport { routes } from './http/routes.ts';\n" +
    "import { push } from './realtime/push.ts';\nexport const app = [ingest, tick, routes, push];\n",
  'server/main.ts': "import { app } from './app.ts';\nexport const main = app;\n",
  'server/cli/operators.ts': "import { app } from '../app.ts';\nimport { operators } from '../auth/operators.ts';\nexport const cli = [app, operators];\n",
  'web/src/main.ts':
    "import L from 'leaflet';\nimport 'leaflet.markercluster';\nimport { io } from 'socket.io-client';\nimport { a } from '../../server/domain/a.ts';\n" +
    "import { dom } from './dom.ts';\nexport const main = [L, io, a, dom];\n",
  'web/src/dom.ts': 'export const dom = 1;\n',
  'simulators/sim.ts':
    "import { app } from '../server/app.ts';\nimport { config } from '../server/config.ts';\nimport { log } from '../server/log.ts';\n" +
    "import { a } from '../server/domain/a.ts';\nexport const sim = [app, config, log, a];\n",
  'bench/lots.ts': "import { catalog } from '../server/catalog/catalog.ts';\nimport { a } from '../server/domain/a.ts';\nexport const lots = [catalog, a];\n",
  'test/live.test.ts': "import { watch } from '../server/live/watch.ts';\nimport { ingest } from '../server/ingest/ingest.ts';\nexport const t = [watch, ingest];\n",
  'db/seed.ts': "import { a } from '../server/domain/a.ts';\nexport const seed = a;\n",
};

/** Trees that each break one rule. */
const cases: { rule: string; what: string; files: Record<string, string>; count?: number }[] = [
  {
    rule: 'domain-is-pure',
    what: 'server/domain importing server/live',
    files: {
      'server/domain/x.ts': "import { y } from '../live/y.ts';\nexport const x = y;\n",
      'server/live/y.ts': 'export const y = 1;\n',
    },
  },
  {
    rule: 'domain-is-pure',
    what: 'server/domain importing ioredis, node:fs and node:crypto',
    count: 3,
    files: {
      'server/domain/x.ts':
        "import Redis from 'ioredis';\nimport { readFileSync } from 'node:fs';\nimport { randomUUID } from 'node:crypto';\nexport const x = [Redis, readFileSync, randomUUID];\n",
    },
  },
  {
    rule: 'domain-is-pure',
    what: 'server/domain importing an infra file, type only',
    files: {
      'server/domain/x.ts': "import type { Logger } from '../log.ts';\nexport type X = Logger;\n",
      'server/log.ts': 'export type Logger = { info(message: string): void };\n',
    },
  },
  {
    rule: 'infra-layer',
    what: 'server/log.ts importing server/live',
    files: {
      'server/log.ts': "import { store } from './live/store.ts';\nexport const log = store;\n",
      'server/live/store.ts': EMPTY,
    },
  },
  {
    rule: 'state-layer',
    what: 'server/live importing server/catalog (type only)',
    files: {
      'server/live/watch.ts': "import type { Catalog } from '../catalog/catalog.ts';\nexport type W = Catalog;\n",
      'server/catalog/catalog.ts': 'export type Catalog = string;\n',
    },
  },
  {
    rule: 'state-layer',
    what: 'server/catalog importing server/auth (inline type specifier)',
    files: {
      'server/catalog/audit.ts': "import { type Principal } from '../auth/operators.ts';\nexport type A = Principal;\n",
      'server/auth/operators.ts': 'export type Principal = string;\n',
    },
  },
  {
    rule: 'state-layer',
    what: 'server/live importing a use case',
    files: {
      'server/live/store.ts': "import { views } from '../query/views.ts';\nexport const store = views;\n",
      'server/query/views.ts': 'export const views = 1;\n',
    },
  },
  {
    rule: 'state-layer-auth',
    what: 'server/auth importing server/live',
    files: {
      'server/auth/operators.ts': "import { store } from '../live/store.ts';\nexport const operators = store;\n",
      'server/live/store.ts': 'export const store = 1;\n',
    },
  },
  {
    rule: 'use-case-layer',
    what: 'server/manage importing server/query',
    files: {
      'server/manage/lots.ts': "import { views } from '../query/views.ts';\nexport const lots = views;\n",
      'server/query/views.ts': 'export const views = 1;\n',
    },
  },
  {
    rule: 'use-case-layer',
    what: 'server/query importing server/http (re-export)',
    files: {
      'server/query/views.ts': "export { routes } from '../http/routes.ts';\n",
      'server/http/routes.ts': 'export const routes = 1;\n',
    },
  },
  {
    rule: 'edge-layer',
    what: 'server/ingest importing server/realtime',
    files: {
      'server/ingest/ingest.ts': "import { push } from '../realtime/push.ts';\nexport const ingest = push;\n",
      'server/realtime/push.ts': 'export const push = 1;\n',
    },
  },
  {
    rule: 'edge-layer',
    what: 'server/http importing the composition (dynamic import)',
    files: {
      'server/http/routes.ts': "export const routes = () => import('../app.ts');\n",
      'server/app.ts': 'export const app = 1;\n',
    },
  },
  {
    rule: 'server-file-in-a-layer',
    what: 'a file in server/cluster/, a folder of no layer',
    files: {
      'server/cluster/sync.ts': "import { log } from '../log.ts';\nexport const sync = log;\n",
      'server/log.ts': 'export const log = 1;\n',
    },
  },
  {
    rule: 'web-is-browser-code',
    what: 'web/src importing server/live',
    files: {
      'web/src/main.ts': "import { store } from '../../server/live/store.ts';\nexport const main = store;\n",
      'server/live/store.ts': 'export const store = 1;\n',
    },
  },
  {
    rule: 'web-is-browser-code',
    what: 'web/src importing ioredis and node:fs',
    count: 2,
    files: {
      'web/src/main.ts': "import Redis from 'ioredis';\nimport { readFileSync } from 'node:fs';\nexport const main = [Redis, readFileSync];\n",
    },
  },
  {
    rule: 'tools-use-public-surface',
    what: 'simulators importing server/live',
    files: {
      'simulators/sim.ts': "import { store } from '../server/live/store.ts';\nexport const sim = store;\n",
      'server/live/store.ts': 'export const store = 1;\n',
    },
  },
  {
    rule: 'tools-use-public-surface',
    what: 'bench importing server/main.ts',
    files: {
      'bench/run.ts': "import { main } from '../server/main.ts';\nexport const run = main;\n",
      'server/main.ts': 'export const main = 1;\n',
    },
  },
  {
    rule: 'no-cycles',
    what: 'a cycle inside server/domain (one side type only)',
    files: {
      'server/domain/a.ts': "import { b } from './b.ts';\nexport const a = b;\nexport type A = number;\n",
      'server/domain/b.ts': "import type { A } from './a.ts';\nexport const b: A = 1;\n",
    },
  },
  {
    rule: 'no-cycles',
    what: 'a three-module cycle in test/',
    files: {
      'test/helpers/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'test/helpers/b.ts': "import { c } from './c.ts';\nexport const b = c;\n",
      'test/helpers/c.ts': "import { a } from './a.ts';\nexport const c = () => a;\n",
    },
  },
  {
    rule: 'server-not-importing-tools',
    what: 'server/app.ts importing a test helper',
    files: {
      'server/app.ts': "import { helper } from '../test/helpers/h.ts';\nexport const app = helper;\n",
      'test/helpers/h.ts': 'export const helper = 1;\n',
    },
  },
  {
    rule: 'server-not-importing-tools',
    what: 'server/main.ts importing simulators/ and bench/',
    count: 2,
    files: {
      'server/main.ts': "import { sim } from '../simulators/sim.ts';\nimport { run } from '../bench/run.ts';\nexport const main = [sim, run];\n",
      'simulators/sim.ts': 'export const sim = 1;\n',
      'bench/run.ts': 'export const run = 1;\n',
    },
  },
  {
    rule: 'imports-resolve',
    what: 'an import of a file that does not exist',
    files: {
      'test/helpers/x.ts': "import { y } from './missing.ts';\nexport const x = y;\n",
    },
  },
];

describe('layer rules (.dependency-cruiser.cjs)', function () {
  this.timeout(10_000);

  let scratch = '';
  let allowed: Outcome;
  let broken: Outcome[] = [];
  let real: Outcome;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'kongwei-layers-'));
    const jobs = [ALLOWED, ...cases.map((c) => c.files)].map((files, i) => {
      const baseDir = join(scratch, String(i));
      return { baseDir, dirs: writeTree(baseDir, files) };
    });
    [allowed, ...broken] = cruiseAll([...jobs, { baseDir: ROOT, dirs: CHECKED }]) as [Outcome, ...Outcome[]];
    real = broken.pop() as Outcome;
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('check:layers cruises every folder that tsconfig.json type-checks', () => {
    assert.match(pkg.scripts['check:layers'] ?? '', /--config \.dependency-cruiser\.cjs/);
    assert.match(pkg.scripts['test'] ?? '', /npm run check:layers/);
    assert.deepEqual([...CHECKED].sort(), [...tsconfig.include].sort());
  });

  it('passes a tree that uses every allowed kind of import', () => {
    assert.deepEqual(allowed.violations, []);
    assert.ok(allowed.modules.length > Object.keys(ALLOWED).length, 'the allowed tree was not read');
  });

  cases.forEach(({ rule, what, count }, i) => {
    it(`${rule}: fails on ${what}`, () => {
      const { violations } = broken[i] as Outcome;
      assert.ok(violations.length > 0, `no violation for ${what}`);
      assert.deepEqual(rulesOf(violations), [rule], JSON.stringify(violations, null, 1));
      if (count !== undefined) assert.equal(violations.length, count, JSON.stringify(violations, null, 1));
    });
  });

  it('has a failing fixture for every rule, and every rule explains itself', () => {
    const rules = config.forbidden ?? [];
    assert.deepEqual([...new Set(cases.map((c) => c.rule))].sort(), rules.map((r) => r.name ?? '').sort());
    for (const r of rules) {
      assert.equal(r.severity, 'error', `${r.name} must fail the build`);
      assert.ok((r.comment ?? '').length > 80, `${r.name} needs a comment that explains it`);
    }
  });

  it('reads this code base: every .ts file is cruised and type-only imports are seen', () => {
    const cruised = new Set(real.modules.map((m) => m.source));
    const onDisk = CHECKED.flatMap((dir) =>
      (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.ts'))
        .map((file) => `${dir}/${file}`),
    );
    assert.ok(onDisk.length > 50, `only ${onDisk.length} .ts files found`);
    assert.deepEqual(onDisk.filter((file) => !cruised.has(file)), [], 'files the parser did not read');
    const main = real.modules.find((m) => m.source === 'server/main.ts');
    assert.ok(main?.resolved.includes('server/app.ts'), 'server/main.ts → server/app.ts not found');
    // every `import type … from './x.ts'` in the tree is an edge of the graph
    const edges = new Set(real.modules.flatMap((m) => m.resolved.map((to) => `${m.source} → ${to}`)));
    let typeOnly = 0;
    for (const file of onDisk) {
      for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(/^import type [^;]*? from '(\.{1,2}\/[^']+)'/gm)) {
        const target = join(dirname(file), match[1] ?? '');
        assert.ok(edges.has(`${file} → ${target}`), `type-only import ${file} → ${target} not seen`);
        typeOnly++;
      }
    }
    assert.ok(typeOnly > 10, `only ${typeOnly} type-only imports checked`);
  });
});
