// One webhook attempt on the wire: a POST to the address the SSRF check
// passed (never the name again: no DNS rebinding between check and
// connection), with the URL's host in Host and, for https, in TLS SNI and the
// certificate check. No redirect is followed (Node's http client follows
// none); the whole attempt — connection, request, answer — has one deadline;
// at most `maxAnswerBytes` of the answer are read, then the connection closes.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Target } from '../manage/webhook-target.ts';

export interface PostResult {
  status: number;
  /** The start of the answer's body, as text. */
  excerpt: string;
}

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  maxAnswerBytes?: number;
}

export type PostFunction = (target: Target, headers: Record<string, string>, body: string, options: PostOptions) => Promise<PostResult>;

/** `sha256=<hex>`: the HMAC-SHA256 of the raw body under the webhook's secret (as GitHub's X-Hub-Signature-256). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export const postPinned: PostFunction = (target, headers, body, options) =>
  new Promise<PostResult>((resolve, reject) => {
    const maxAnswerBytes = options.maxAnswerBytes ?? 4096;
    const secure = target.url.protocol === 'https:';
    const request = (secure ? https : http).request({
      host: target.address,
      family: target.family,
      port: target.port,
      method: 'POST',
      path: `${target.url.pathname}${target.url.search}`,
      headers: { ...headers, host: target.url.host, 'content-length': String(Buffer.byteLength(body)), connection: 'close' },
      agent: false,
      ...(secure && !isIP(target.hostname) ? { servername: target.hostname } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(deadline);
      settle();
    };
    request.on('error', (err) => done(() => reject(err)));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let read = 0;
      const finish = () => done(() => resolve({ status: response.statusCode ?? 0, excerpt: Buffer.concat(chunks).toString('utf8') }));
      response.on('data', (chunk: Buffer) => {
        if (read >= maxAnswerBytes) return;
        chunks.push(chunk.subarray(0, maxAnswerBytes - read));
        read += chunk.length;
        // Enough of the answer: the rest is not read (a receiver cannot make us download a film).
        if (read >= maxAnswerBytes) {
          response.destroy();
          finish();
        }
      });
      response.on('end', finish);
      response.on('error', finish);
      response.on('close', finish);
    });
    request.end(body);
  });
