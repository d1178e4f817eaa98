// HTTP ingest (DESIGN.md §3, "HTTP ingest"): the MQTT input topics as paths
// under /api/ingest, for systems that cannot speak MQTT. A gateway signs in
// with HTTP Basic (its id and secret, checked as the embedded broker checks
// them), may post only where the broker would let it publish, and every
// message goes through the same ingest stage as MQTT (passed in by the
// composition root: inputs do not import one another). The answer comes only
// after every message of the request is committed; while the live store is
// down the request waits, for a bounded time, then answers 503.
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { AppError, localizedError, validationError } from '../domain/errors.ts';
import { isValidId, topicOf, type MessageKind, type ParsedTopic } from '../domain/events.ts';
import { mayPublish, type GatewayTopics } from '../domain/gateway-topics.ts';
import {
  ingestAnswerSchema, ingestBodySchemas, MAX_INGEST_BATCH, MAX_INGEST_BODY_BYTES, splitIngestBody, toItemResult,
  type IngestAnswer, type IngestItemResult, type IngestMessage, type IngestUnavailableDetails,
} from '../domain/http-ingest.ts';
import { text } from '../domain/messages.ts';
import type { Logger } from '../log.ts';
import type { RouteDoc } from './openapi/registry.ts';
import { FailedAuthentications, tooManyFailures } from './security.ts';

export interface IngestApiOptions {
  baseTopic: string;
  /** The ingest stage (Ingest.handle). */
  ingest: IngestMessage;
  /** The gateways' credentials (auth/gateway-credentials.ts). */
  credentials: { verify(gatewayId: string, secret: string): Promise<boolean>; topicsOf(gatewayId: string): GatewayTopics | undefined };
  /** Requests per minute and gateway (HTTP_INGEST_RATE_LIMIT). */
  perMinute: number;
  /** How long a message may wait for the live store before the request answers 503 (HTTP_INGEST_WAIT_MS). */
  waitMs: number;
  authFailuresPer15Minutes: number;
  log: Logger;
}

const gateways = new WeakMap<Request, string>();

/** The gateway a request was authenticated as. */
function gatewayOf(req: Request): string {
  const id = gateways.get(req);
  if (id === undefined) throw new Error('gatewayOf() used before the gateway was authenticated');
  return id;
}

const unauthorized = () =>
  localizedError(
    'unauthorized',
    text(
      "this call needs a gateway's credential: HTTP Basic with the gateway id as user name and its secret as password",
      '此调用需要网关凭据：HTTP Basic 认证，用户名为网关编号，密码为网关密钥',
    ),
  );

/** HTTP Basic: `Authorization: Basic base64(id:secret)`, checked against the gateway's stored hash. */
/**
 * HTTP Basic with the gateway's id and secret. The credentials are checked
 * first and only failures count against the caller's address (AUTH_FAILURE_LIMIT):
 * a valid gateway is never refused for others' failures from its address.
 */
function requireGateway(credentials: IngestApiOptions['credentials'], failures: FailedAuthentications): RequestHandler {
  return async (req, res, next) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get('authorization') ?? '');
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const [id, secret] = colon > 0 ? [decoded.slice(0, colon), decoded.slice(colon + 1)] : ['', ''];
    if (isValidId(id) && secret !== '' && (await credentials.verify(id, secret))) {
      gateways.set(req, id);
      return next();
    }
    res.set('WWW-Authenticate', 'Basic realm="kongwei ingest", charset="UTF-8"');
    const verdict = failures.record(FailedAuthentications.keyOf(req.ip));
    if (verdict.limited) {
      res.set('Retry-After', String(verdict.retryAfterS));
      return next(tooManyFailures(verdict.retryAfterS));
    }
    next(unauthorized());
  };
}

/** Bounds requests per gateway (not per address: one barrier vendor's server may speak for many gateways). */
function perGatewayLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => gatewayOf(req),
    handler: (req, _res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const retryAfterS = info?.resetTime ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000)) : 60;
      next(
        localizedError(
          'rate_limited',
          text(
            `too many requests from gateway ${gatewayOf(req)} (at most ${perMinute} a minute); try again in ${retryAfterS} s, or send messages in batches`,
            `网关 ${gatewayOf(req)} 请求过多（每分钟最多 ${perMinute} 次）；请 ${retryAfterS} 秒后再试，或批量发送消息`,
          ),
          undefined,
          { retryAfterS },
        ),
      );
    },
  });
}

/** Rejects once the signal aborts: the caller stops waiting (the work itself may still finish). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new Error('aborted'));
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

export function ingestRouter(options: IngestApiOptions): Router {
  const { baseTopic, log } = options;
  const router = Router();
  router.use(
    requireGateway(options.credentials, new FailedAuthentications(options.authFailuresPer15Minutes)),
    perGatewayLimit(options.perMinute),
    // The body is the MQTT payload, byte for byte, whatever its content type (JSON, a bare word, nothing).
    express.raw({ type: () => true, limit: MAX_INGEST_BODY_BYTES }),
  );

  /** The path's ids, or a 400 naming the bad one (they are topic levels: the id pattern). */
  const checkIds = (ids: Record<string, string>) => {
    const bad = Object.entries(ids).filter(([, value]) => !isValidId(value));
    if (bad.length === 0) return;
    const message = text('must be 1-64 characters of a-z, 0-9 and "-", starting with a letter or digit', '应为 1-64 个字符，只含 a-z、0-9 和 "-"，以字母或数字开头');
    throw validationError('ingest path', Object.fromEntries(bad.map(([name]) => [name, [message]])));
  };

  const handle = async (req: Request, res: Response, topic: ParsedTopic) => {
    const gatewayId = gatewayOf(req);
    const mqttTopic = topicOf(baseTopic, topic);
    if (!mayPublish(options.credentials.topicsOf(gatewayId) ?? { publish: [], subscribe: [] }, mqttTopic)) {
      throw topic.kind === 'status'
        ? localizedError('forbidden', text(`gateway ${gatewayId} may post only its own status`, `网关 ${gatewayId} 只能上报自己的状态`))
        : localizedError('forbidden', text(`lot "${topic.lotId}" is not assigned to gateway ${gatewayId}`, `停车场“${topic.lotId}”未分配给网关 ${gatewayId}`));
    }
    const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : new Uint8Array();
    const split = splitIngestBody(body);
    if (!split.ok && split.problem === 'too_many') {
      throw localizedError(
        'payload_too_large',
        text(`a batch holds at most ${MAX_INGEST_BATCH} messages; this one has ${split.count}: send it in parts`, `一批最多 ${MAX_INGEST_BATCH} 条消息，这批有 ${split.count} 条：请分批发送`),
        undefined,
        { maxBatch: MAX_INGEST_BATCH, count: split.count },
      );
    }
    if (!split.ok) throw validationError('batch', { '': [text('is empty: send at least one message', '为空：请至少发送一条消息')] });

    const results: IngestItemResult[] = [];
    for (const payload of split.payloads) {
      // Each message may wait `waitMs` for the live store; after that nothing more is tried for this request.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.waitMs);
      try {
        results.push(toItemResult(await untilAborted(options.ingest(mqttTopic, payload, gatewayId, controller.signal), controller.signal)));
      } catch (err) {
        controller.abort();
        res.set('Retry-After', String(Math.max(1, Math.ceil(options.waitMs / 1000))));
        log.warn({ gateway: gatewayId, topic: mqttTopic, committed: results.length, of: split.payloads.length, err: (err as Error).message }, 'HTTP ingest: not committed, answering 503');
        throw notCommitted(results, split.payloads.length);
      } finally {
        clearTimeout(timer);
      }
    }
    const answer: IngestAnswer = { results };
    res.json(answer);
  };

  const notCommitted = (results: IngestItemResult[], of: number) => {
    const retryAfterS = Math.max(1, Math.ceil(options.waitMs / 1000));
    const details: IngestUnavailableDetails = { results, committed: results.length, retryAfterS };
    return localizedError(
        'unavailable',
        text(
          `the live store is unavailable: ${results.length} of ${of} messages were committed (details.results), nothing is known of the others; send the whole request again (a resent seq is recognised as a duplicate)`,
          `实时存储暂不可用：${of} 条消息中已提交 ${results.length} 条（见 details.results），其余未知；请重新发送整个请求（带 seq 的重复消息会被识别）`,
        ),
      undefined,
      { ...details },
    );
  };

  router.post('/lots/:lot/count', (req, res) => {
    checkIds({ lot: req.params.lot });
    return handle(req, res, { kind: 'count', lotId: req.params.lot });
  });
  router.post('/lots/:lot/gate', (req, res) => {
    checkIds({ lot: req.params.lot });
    return handle(req, res, { kind: 'gate', lotId: req.params.lot });
  });
  router.post('/lots/:lot/heartbeat', (req, res) => {
    checkIds({ lot: req.params.lot });
    return handle(req, res, { kind: 'heartbeat', lotId: req.params.lot });
  });
  router.post('/lots/:lot/spaces/:space', (req, res) => {
    checkIds({ lot: req.params.lot, space: req.params.space });
    return handle(req, res, { kind: 'space', lotId: req.params.lot, spaceId: req.params.space });
  });
  router.post('/gateways/:id/status', (req, res) => {
    checkIds({ id: req.params.id });
    return handle(req, res, { kind: 'status', gatewayId: req.params.id });
  });
  // A body over the limit, named as such (the service's own handler answers the rest).
  router.use(((err, _req, _res, next) => {
    const tooLarge = (err as { type?: string } | null)?.type === 'entity.too.large';
    const megabytes = MAX_INGEST_BODY_BYTES / (1024 * 1024);
    next(tooLarge ? localizedError('payload_too_large', text(`a request holds at most ${megabytes} MB (and ${MAX_INGEST_BATCH} messages): send it in parts`, `一个请求最多 ${megabytes} MB（${MAX_INGEST_BATCH} 条消息）：请分批发送`)) : err);
  }) as ErrorRequestHandler);
  router.use((req, _res, next) => {
    next(
      new AppError(
        'not_found',
        `no ingest path ${req.method} ${req.baseUrl}${req.path}: POST to /api/ingest/lots/{lot}/count|gate|heartbeat, /api/ingest/lots/{lot}/spaces/{space} or /api/ingest/gateways/{id}/status`,
      ),
    );
  });
  return router;
}

const gatewayStatusWordSchema = z.enum(['online', 'offline']).describe('the bare word, as MQTT gateways send it');
const lotParams = z.object({ lot: z.string().describe('the lot id (a topic level: 1-64 of a-z, 0-9 and "-")') });
const ingestErrors = {
  400: 'a path id that is not an id, or an empty batch (`validation_failed`); each bad message of a batch is named in its own result instead',
  403: 'the lot (or the status) is not this gateway\'s (`forbidden`), the same rule as the broker\'s',
  413: `more than ${MAX_INGEST_BATCH} messages, or a body over ${MAX_INGEST_BODY_BYTES / (1024 * 1024)} MB (\`payload_too_large\`, \`details.maxBatch\`)`,
  503: 'the live store is down: the request waited HTTP_INGEST_WAIT_MS; `details.results` are the messages committed, send the whole request again (`unavailable`, `Retry-After`)',
};
const ingestAnswer = { 200: { description: 'one result per message, in order, answered only after every message of the request is committed or refused', schema: ingestAnswerSchema } };
const ingestDescription =
  'The body is the MQTT payload of the topic (DESIGN.md §3), or a JSON array of them (a batch, at most 1,000). ' +
  'The same rules and exactly-once as MQTT: a resent `seq` is a duplicate, so a client that saw no answer sends again.';

/** The description of HTTP ingest (mounted at /api/ingest). */
export const ingestRouteDocs: RouteDoc[] = [
  { kind: 'count', path: '/lots/{lot}/count', id: 'ingestCount', summary: 'Post an absolute count for a lot, as on {base}/lots/{lot}/count' },
  { kind: 'gate', path: '/lots/{lot}/gate', id: 'ingestGate', summary: 'Post gate entries and exits, as on {base}/lots/{lot}/gate' },
  { kind: 'heartbeat', path: '/lots/{lot}/heartbeat', id: 'ingestHeartbeat', summary: 'Post a heartbeat, as on {base}/lots/{lot}/heartbeat' },
  { kind: 'space', path: '/lots/{lot}/spaces/{space}', id: 'ingestSpace', summary: 'Post a bay sensor\'s state, as on {base}/lots/{lot}/spaces/{space}' },
  { kind: 'status', path: '/gateways/{id}/status', id: 'ingestStatus', summary: 'Post the gateway\'s own status, as on {base}/gateways/{gateway}/status' },
].map(({ kind, path, id, summary }): RouteDoc => ({
  method: 'post', path, operationId: id, tags: ['ingest'], auth: 'gateway', summary, description: ingestDescription,
  params:
    kind === 'space'
      ? lotParams.extend({ space: z.string().describe('the bay id') })
      : kind === 'status'
        ? z.object({ id: z.string().describe('the gateway id (its own)') })
        : lotParams,
  body: {
    schema: ingestBodySchemas[kind as MessageKind],
    // As over MQTT, a gateway's status may be the bare word (its retained `online` and its Last Will's `offline`).
    ...(kind === 'status' ? { alternatives: [{ contentType: 'text/plain', schema: gatewayStatusWordSchema }] } : {}),
  },
  responses: ingestAnswer,
  errors: ingestErrors,
}));
