// Parts with a lifecycle (after Zigbee2MQTT's extensions): a constructor only
// stores its dependencies, start() subscribes and opens, stop() releases
// everything. The composition root lists its parts in order; they start in
// that order and stop in reverse, which is also how tests start and stop them.
import type { Logger } from './log.ts';

export interface Part {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A port a part should listen on is taken: the user must choose another. */
export class PortInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortInUseError';
  }
}

/** A dependency's state, for /healthz. */
export interface DependencyHealth {
  ok: boolean;
  kind: string;
  detail?: string;
}

/** A part with the name the logs give it, and what to tell a user whose start it failed. */
export interface NamedPart {
  name: string;
  part: Part;
  /** The start error as a user should read it (which setting to check). */
  failure?: (err: Error) => string;
}

export class Parts {
  private started: NamedPart[] = [];

  constructor(
    private readonly parts: readonly NamedPart[],
    private readonly log: Logger,
  ) {}

  /**
   * Starts each part in order; a failure is thrown. A part counts as started
   * from the moment its start() is called, so stop() also releases what a
   * failed start() had opened.
   */
  async start(): Promise<void> {
    for (const named of this.parts) {
      this.started.push(named);
      try {
        await named.part.start();
      } catch (err) {
        if (!named.failure) throw err;
        throw new Error(named.failure(err as Error), { cause: err });
      }
    }
  }

  /** Stops the started parts in reverse order; one that fails is logged and the rest still stop. Safe to call twice. */
  async stop(): Promise<void> {
    const started = this.started;
    this.started = [];
    for (const { name, part } of started.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        this.log.warn({ part: name, err: (err as Error).message }, 'a part failed to stop cleanly');
      }
    }
  }
}
