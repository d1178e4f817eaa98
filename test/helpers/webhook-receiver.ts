// A webhook receiver on loopback, as an operator would write one: it checks
// each delivery's signature the way the README tells receivers to, and
// answers what the test says (a failure, a redirect, success).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookEnvelope } from '../../server/domain/webhooks.ts';

/** The README's check: the HMAC-SHA256 of the raw body, compared in constant time, and a fresh `sentAt`. */
export function verifyWebhook(rawBody: string, signature: string | undefined, secret: string, now: number, toleranceMs = 5 * 60_000): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const { sentAt } = JSON.parse(rawBody) as WebhookEnvelope;
  return Math.abs(now - Date.parse(sentAt)) <= toleranceMs;
}

export interface Received {
  /** X-Kongwei-Delivery. */
  delivery: string;
  event: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookEnvelope<any>;
  /** The signature checked out, and sentAt was fresh by the receiver's clock. */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Each delivery id once, in the order first received, with what it carried. */
  deliveries(): Received[];
  close(): Promise<void>;
}

/**
 * A receiver at http://127.0.0.1:<port>/hook. `answer` says the status for
 * each request (the n-th attempt of its delivery id, from 1); 3xx answers
 * carry a Location to a metadata address, which must not be followed.
 */
export async function webhookReceiver(options: { secret: () => string; clock?: () => number; answer?: (attempt: number, body: WebhookEnvelope<any>) => number }): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const delivery = String(req.headers['x-kongwei-delivery']);
      const body = JSON.parse(raw) as WebhookEnvelope;
      const attempt = received.filter((r) => r.delivery === delivery).length + 1;
      const status = options.answer?.(attempt, body) ?? 200;
      const verified = verifyWebhook(raw, req.headers['x-kongwei-signature'] as string | undefined, options.secret(), (options.clock ?? Date.now)());
      received.push({ delivery, event: String(req.headers['x-kongwei-event']), headers: req.headers, raw, body, verified, status });
      if (status >= 300 && status < 400) res.writeHead(status, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver says no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    deliveries: () => received.filter((r, i) => received.findIndex((s) => s.delivery === r.delivery) === i),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
