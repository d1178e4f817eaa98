// `npm run forecast -- backtest [--seed N] [--every HOURS]`: replays a
// synthetic year for a set of lots, forecasting at many asOf points with every
// method, and prints the Markdown table (stdout) and which method is chosen.
// Progress goes to stderr. Deterministic for a seed. Exit 1 when the chosen
// method is not the service's default (DEFAULT_FORECAST_METHOD).
import { parseArgs } from 'node:util';
import { DEFAULT_FORECAST_METHOD } from '../domain/forecast.ts';
import { backtestMarkdown, chooseMethod, runBacktest } from '../domain/forecast/backtest.ts';

const usage = 'usage: npm run forecast -- backtest [--seed N] [--every HOURS]';

function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { seed: { type: 'string', default: '1' }, every: { type: 'string', default: '23' } },
  });
  if (positionals[0] !== 'backtest' || positionals.length !== 1) {
    console.error(usage);
    return 64;
  }
  const seed = Number(values.seed);
  const everyHours = Number(values.every);
  if (!Number.isInteger(seed) || !(everyHours >= 1 && everyHours <= 24 * 7)) {
    console.error(`--seed must be an integer and --every a number of hours from 1 to 168\n${usage}`);
    return 64;
  }
  const started = performance.now();
  const result = runBacktest({
    seed,
    everyHours,
    onProgress: (done, total, lotId) => console.error(`backtest: ${done}/${total} lots (${lotId}) · ${((performance.now() - started) / 1000).toFixed(1)} s`),
  });
  console.log(backtestMarkdown(result));
  const choice = chooseMethod(result);
  console.log('');
  console.log(`chosen: ${choice.method ?? 'none'} — ${choice.why}.`);
  if (choice.method !== DEFAULT_FORECAST_METHOD) {
    console.log(`the service's default (DEFAULT_FORECAST_METHOD) is ${DEFAULT_FORECAST_METHOD}: it should be the chosen one.`);
    return 1;
  }
  console.log(`the service's default (DEFAULT_FORECAST_METHOD) is ${DEFAULT_FORECAST_METHOD}.`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
