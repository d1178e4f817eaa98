// Kongwei's layering, checked by dependency-cruiser (`npm run check:layers`,
// part of `npm test`). README "Layout" describes the layers; this file is the
// law. Paths are relative to the repository root; every rule is "error".
//
// Ranks inside server/ — an import may go to the same or a lower rank only:
//   0 domain      server/domain/
//   1 infra       server/{config,log,metrics,bus,lifecycle}.ts
//   2 state       server/live/, server/catalog/, server/history/, server/auth/
//   3 use cases   server/manage/, server/query/
//   4 edges       inputs server/ingest/, server/clock/, server/http/;
//                 outputs server/realtime/, server/alerts/
//   5 composition server/app.ts, server/main.ts, server/cli/
//
// Parsing: TypeScript 7 (the Go compiler) has no JavaScript compiler API,
// so dependency-cruiser's "tsc" parser cannot be used, and without a parser
// that reads TypeScript it silently skips every .ts file (a green check that
// checked nothing). We parse with swc (@swc/core, a devDependency): it reads
// `.ts` specifiers, `import type`, inline `type` specifiers, `export … from`
// and `import()`, and reports them all as ordinary imports. So type-only
// imports count for every rule here — also for cycles; see `no-cycles`.
//
// Version: dependency-cruiser 17.x, the newest line that runs on Node 20
// (this project's "engines" and its machines' Node). 18.x refuses to start
// on Node < 22.
//
// In a `to` pattern, `$1` stands for what the rule's `from.path` captured
// (the module's own folder), so "^server/$1/" means "its own folder".
'use strict';

// Refuse to run rather than pass vacuously when swc is missing.
try {
  require.resolve('@swc/core');
} catch {
  throw new Error(
    '.dependency-cruiser.cjs: @swc/core is not installed. Without it dependency-cruiser ' +
      'skips every .ts file and the layer check would pass without checking anything. ' +
      'Run `npm ci`.',
  );
}

const DOMAIN = '^server/domain/';
const INFRA = '^server/(config|log|metrics|bus|lifecycle|redis)[.]ts$';
const STATE = '^server/(live|catalog|history|auth)/';
const USE_CASES = '^server/(manage|query)/';
const EDGES = '^server/(ingest|clock|http|realtime|alerts)/';
const COMPOSITION = '^server/(app[.]ts|main[.]ts|cli/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'rank 0: server/domain/ is the pure core. It may import only other server/domain/ files, ' +
        'the npm packages zod, opening_hours, transliteration and pinyin-pro, and node:util. No I/O ' +
        '(ioredis, mqtt, knex, pg, sqlite3, express, socket.io, aedes, pino, node:fs/net/http/crypto…) ' +
        'and nothing else under server/, so the rules can be tested without services and the ' +
        'browser (web/src) can share them. Move the I/O into a higher layer and pass the result in.',
      from: { path: DOMAIN },
      to: {
        pathNot: [
          DOMAIN,
          '^node_modules/(zod|opening_hours|transliteration|pinyin-pro)/',
          // core modules resolve to their bare name ("util" for node:util)
          '^(node:)?util$',
        ],
      },
    },
    {
      name: 'infra-layer',
      severity: 'error',
      comment:
        'rank 1: the infra files server/config.ts, log.ts, metrics.ts, bus.ts and lifecycle.ts may ' +
        'import from server/ only server/domain/ and each other. Everything above builds on them; ' +
        'if infra imported state, use cases, edges or composition, the ranks would collapse. ' +
        'Pass the higher-level thing in as a parameter, or move the code up a rank.',
      from: { path: INFRA },
      to: { path: '^server/', pathNot: [DOMAIN, INFRA] },
    },
    {
      name: 'state-layer',
      severity: 'error',
      comment:
        'rank 2: server/live/, server/catalog/ and server/history/ may import from server/ only server/domain/, the ' +
        'infra files (config, log, metrics, bus, lifecycle) and their own folder. State folders do ' +
        'not import one another (only server/auth/ may use server/catalog/, see state-layer-auth) ' +
        'nor anything of rank 3 and up (manage, query, ingest, clock, http, realtime, app, main, cli).',
      from: { path: '^server/(live|catalog|history)/' },
      to: { path: '^server/', pathNot: [DOMAIN, INFRA, '^server/$1/'] },
    },
    {
      name: 'state-layer-auth',
      severity: 'error',
      comment:
        'rank 2: server/auth/ may import from server/ only server/domain/, the infra files ' +
        '(config, log, metrics, bus, lifecycle), server/catalog/ (operators and gateways are ' +
        'catalog rows) and its own folder — not server/live/ and nothing of rank 3 and up ' +
        '(manage, query, ingest, clock, http, realtime, app, main, cli).',
      from: { path: '^server/auth/' },
      to: { path: '^server/', pathNot: [DOMAIN, INFRA, '^server/(auth|catalog)/'] },
    },
    {
      name: 'use-case-layer',
      severity: 'error',
      comment:
        'rank 3: the use cases server/manage/ and server/query/ may import from server/ only ' +
        'server/domain/, infra, the state folders (live, catalog, auth) and their own folder. ' +
        'manage and query do not import each other (share through domain or state), and neither ' +
        'imports an input/output (ingest, clock, http, realtime) or the composition (app, main, cli).',
      from: { path: USE_CASES },
      to: { path: '^server/', pathNot: [DOMAIN, INFRA, STATE, '^server/$1/'] },
    },
    {
      name: 'edge-layer',
      severity: 'error',
      comment:
        'rank 4: the inputs server/ingest/, server/clock/, server/http/ and the outputs ' +
        'server/realtime/, server/alerts/ may import from server/ only domain, infra, state, the use cases ' +
        '(manage, query) and their own folder. None of the five imports another: inputs and ' +
        'outputs talk only through the bus (server/bus.ts), so each can be started, tested and ' +
        'replaced on its own. Wiring them together is the job of server/app.ts.',
      from: { path: EDGES },
      to: { path: '^server/', pathNot: [DOMAIN, INFRA, STATE, USE_CASES, '^server/$1/'] },
    },
    // rank 5, the composition (server/app.ts, main.ts, cli/), may import
    // anything, so it needs no rule of its own: the rules above keep every
    // lower rank from importing it, and server-file-in-a-layer below makes
    // sure every file of server/ is in one of the ranks.
    {
      name: 'server-file-in-a-layer',
      severity: 'error',
      comment:
        'every file under server/ must be in one of the layers (domain/, the infra files, live/, ' +
        'catalog/, history/, auth/, manage/, query/, ingest/, clock/, http/, realtime/, alerts/, app.ts, main.ts, cli/). ' +
        'A file in any other place is checked by no layer rule, so it could import anything. Move ' +
        'it into the layer it belongs to, or add the new place to .dependency-cruiser.cjs and the ' +
        'README "Layout" section.',
      from: { path: '^server/', pathNot: [DOMAIN, INFRA, STATE, USE_CASES, EDGES, COMPOSITION] },
      to: {},
    },
    {
      name: 'web-is-browser-code',
      severity: 'error',
      comment:
        'web/src/ runs in the browser: it may import only web/, server/domain/ (the pure shared ' +
        'rules) and the npm packages leaflet, leaflet.markercluster, socket.io-client, gcoord and uplot. Anything ' +
        'else under server/ pulls Redis, SQL, MQTT or Node built-ins into the browser bundle.',
      from: { path: '^web/src/' },
      to: {
        pathNot: [
          '^web/',
          DOMAIN,
          '^node_modules/(leaflet|leaflet[.]markercluster|socket[.]io-client|gcoord|uplot)/',
        ],
      },
    },
    {
      name: 'tools-use-public-surface',
      severity: 'error',
      comment:
        'simulators/ and bench/ drive the service from outside. From server/ they may import only ' +
        'server/domain/, the composition and its settings (server/app.ts, server/config.ts, ' +
        'server/log.ts), server/catalog/ and server/history/ (the bench seeds a database). Reaching into other ' +
        'internals ties the tools to code that is free to change; add what they need to app.ts.',
      from: { path: '^(simulators|bench)/' },
      to: {
        path: '^server/',
        pathNot: [DOMAIN, '^server/(app|config|log)[.]ts$', '^server/(catalog|history)/'],
      },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'no import cycles, anywhere. Type-only imports count: swc, our parser, reports `import ' +
        'type` like any import, and a type cycle still means neither module can be understood, ' +
        'tested or moved to its layer alone — and turning the type import into a value import ' +
        '(one keyword) makes it a run-time cycle, with half-initialised modules. Break the cycle ' +
        'by moving the shared part (often a type) down into the lower of the two modules, or into ' +
        'server/domain/.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'server-not-importing-tools',
      severity: 'error',
      comment:
        'nothing under server/ imports test/, bench/ or simulators/: those are not shipped, and ' +
        'production code that needs a test helper means the helper belongs in server/ (or the ' +
        'code takes the thing as a parameter).',
      from: { path: '^server/' },
      to: { path: '^(test|bench|simulators)/' },
    },
    {
      name: 'imports-resolve',
      severity: 'error',
      comment:
        'every import must resolve to a file or package: an import the checker cannot resolve is ' +
        'invisible to all the rules above. Fix the path, install the package, or (when it resolves ' +
        'for TypeScript but not here) teach enhancedResolveOptions in .dependency-cruiser.cjs.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // see the top of this file
    parser: 'swc',
    // A worktree whose node_modules is a link to another checkout's still sees packages as packages.
    preserveSymlinks: true,
    // Record imports of packages (the rules name them) but do not cruise into
    // them. Not `exclude`: that would drop the edges to packages too, and
    // domain-is-pure could no longer see `import … from 'ioredis'`.
    doNotFollow: { path: '(^|/)node_modules/' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      // packages such as aedes resolve only through "exports"
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
