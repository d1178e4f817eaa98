// Entry point: read the configuration, start the service, stop it cleanly on
// SIGTERM/SIGINT. Everything else is in the composition root (app.ts).
import { pathToFileURL } from 'node:url';
import { Kongwei } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';

const SHUTDOWN_TIMEOUT_MS = 10_000;

export async function run(env = process.env): Promise<Kongwei> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`kongwei: ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const app = new Kongwei({ config, log, processMetrics: true });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await app.start();
  } catch (err) {
    log.fatal((err as Error).message);
    console.error(`kongwei: could not start: ${(err as Error).message}`);
    await app.stop().catch(() => {});
    process.exit(1);
  }
  return app;
}

// Run when started as a program (not imported). The URL is compared as a URL:
// a path with spaces or Chinese characters is percent-encoded in it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
