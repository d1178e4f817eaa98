// The errors topic: tells a gateway why its message was rejected, on
// `{base}/gateways/{gateway}/errors` when the broker told us who published it
// (the embedded broker: its client id), else on `{base}/errors`. QoS 0, not
// retained, and rate-limited per errors topic and overall, so a broken gateway
// cannot flood the broker with its own errors.
import type { Bus } from '../bus.ts';
import type { RejectedMessage } from '../domain/changes.ts';
import { ERROR_PAYLOAD_EXCERPT, errorsTopic, payloadText, type ErrorFeedback } from '../domain/events.ts';
import type { Metrics } from '../metrics.ts';
import type { Publish } from './availability-output.ts';

export interface ErrorFeedbackOptions {
  baseTopic: string;
  /** Where refusals are heard of ('message.rejected'); without one, report() is called directly. */
  bus?: Bus;
  publish: Publish;
  metrics: Metrics;
  clock?: () => number;
  /** Per errors topic: sustained messages per second, and the burst allowed. */
  perTopic?: { ratePerS: number; burst: number };
  /** Across every errors topic. */
  overall?: { ratePerS: number; burst: number };
}

/** A token bucket: `burst` messages at once, refilled at `ratePerS`. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly limit: { ratePerS: number; burst: number }, now: number) {
    this.tokens = limit.burst;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1000) * this.limit.ratePerS);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Buckets kept per errors topic before the oldest are forgotten. */
const MAX_BUCKETS = 10_000;

export class ErrorFeedbackPublisher {
  private readonly clock: () => number;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly overall: TokenBucket;
  private readonly perTopic: { ratePerS: number; burst: number };
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ErrorFeedbackOptions) {
    this.clock = options.clock ?? Date.now;
    this.perTopic = options.perTopic ?? { ratePerS: 5, burst: 20 };
    this.overall = new TokenBucket(options.overall ?? { ratePerS: 50, burst: 200 }, this.clock());
  }

  start(): void {
    this.unsubscribe = this.options.bus?.on('message.rejected', (rejected, payload, publisher) => this.report(rejected, payload, publisher));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  report(rejected: RejectedMessage, payload: Uint8Array, publisher: string | undefined): void {
    const topic = errorsTopic(this.options.baseTopic, publisher);
    const now = this.clock();
    let bucket = this.buckets.get(topic);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = new TokenBucket(this.perTopic, now);
      this.buckets.set(topic, bucket);
    }
    if (!bucket.take(now) || !this.overall.take(now)) {
      this.options.metrics.errorFeedbackDropped.inc();
      return;
    }
    const feedback: ErrorFeedback = {
      topic: rejected.topic.slice(0, ERROR_PAYLOAD_EXCERPT),
      reason: rejected.reason,
      error: rejected.message,
      payload: payloadText(payload.subarray(0, ERROR_PAYLOAD_EXCERPT)),
    };
    // Fire and forget: feedback never holds up (or fails) ingestion.
    this.options.publish(topic, JSON.stringify(feedback), { qos: 0, retain: false }).catch(() => {});
  }
}
