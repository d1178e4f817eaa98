// The webhooks' SSRF guard and the wire: targets in private or local
// networks are refused by default however they are written or resolved;
// an allowed one is reached at the address that was checked (never by its
// name again), without following redirects, within a deadline, reading
// only the start of the answer.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postPinned, signBody } from '../../server/alerts/http-post.ts';
import { parseCidr } from '../../server/domain/addresses.ts';
import { resolveTarget, TargetRefused, type Resolver } from '../../server/manage/webhook-target.ts';

/** A resolver for made-up names, as a DNS server an attacker controls would answer. */
const fakeDns = (answers: Record<string, string[]>): Resolver => async (hostname) => {
  const found = answers[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found;
};

async function refusal(url: string, options: { allow?: string[]; resolve?: Resolver } = {}): Promise<TargetRefused> {
  const allow = (options.allow ?? []).map((c) => parseCidr(c)!);
  try {
    await resolveTarget(url, { allow, ...(options.resolve ? { resolve: options.resolve } : {}) });
  } catch (err) {
    if (err instanceof TargetRefused) return err;
    throw err;
  }
  assert.fail(`${url} was let through`);
}

interface Received {
  request: IncomingMessage;
  body: string;
}

async function receiver(answer: (request: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, res) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ request, body });
      answer(request, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

describe('webhooks: the SSRF guard', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and unspecified targets written as addresses, by default', async () => {
    for (const url of [
      'http://127.0.0.1/', 'http://127.1.2.3:8080/x', 'http://10.0.0.5/', 'http://172.20.1.1/', 'http://192.168.0.10/', 'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/', 'http://224.0.0.1/', 'http://0.0.0.0/', 'https://255.255.255.255/',
    ]) {
      assert.match((await refusal(url)).message, /webhooks may not reach private or local networks/, url);
    }
  });

  it('refuses IPv6 forms: loopback, link-local, unique-local, multicast, and IPv4-mapped / NAT64 / 6to4 addresses of local ones', async () => {
    for (const url of ['http://[::1]/', 'http://[::]/', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://[ff02::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:a00:1]/', 'http://[64:ff9b::7f00:1]/', 'http://[2002:7f00:1::1]/']) {
      const refused = await refusal(url);
      assert.match(refused.message, /is (a|an|the) [A-Za-z0-9 ()-]+ address: webhooks may not reach/, url);
    }
    assert.match((await refusal('http://[::ffff:127.0.0.1]/')).message, /a loopback address/);
  });

  it('refuses IPv4 written the odd ways URL parsers accept (decimal, hex, octal, short)', async () => {
    // The WHATWG URL parser turns each into 127.0.0.1; the guard sees what the connection would reach.
    for (const url of ['http://2130706433/', 'http://0x7f.0.0.1/', 'http://0177.0.0.1/', 'http://127.1/', 'http://0x7f000001/']) {
      assert.match((await refusal(url)).message, /^127\.0\.0\.1 is a loopback address/, url);
    }
  });

  it('refuses a name that resolves to a local address — any of its addresses — and says which', async () => {
    const dns = fakeDns({ 'hooks.evil.example': ['93.184.216.34', '10.0.0.7'], 'rebind.example': ['::ffff:169.254.169.254'], 'v6.example': ['fd12::5'] });
    assert.match((await refusal('https://hooks.evil.example/a', { resolve: dns })).message, /^10\.0\.0\.7 \(hooks\.evil\.example\) is a private address/);
    assert.match((await refusal('https://rebind.example/', { resolve: dns })).message, /a link-local address/);
    assert.match((await refusal('https://v6.example/', { resolve: dns })).message, /an IPv6 unique local address/);
    assert.match((await refusal('https://nowhere.example/', { resolve: dns })).message, /could not be resolved \(ENOTFOUND\)/);
    // The real resolver: localhost is this machine.
    assert.match((await refusal('http://localhost:3000/hook')).message, /\(localhost\) is a loopback address/);
  });

  it('says it in Chinese too', async () => {
    const refused = await refusal('http://10.0.0.5/');
    assert.equal(refused.reason.zh, '10.0.0.5是私有网络地址：除非 WEBHOOK_ALLOW_PRIVATE 允许该网段，Webhook 不能访问私有或本地网络');
  });

  it('lets public targets through, and a local one when WEBHOOK_ALLOW_PRIVATE lists its range (that range only)', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
    const target = await resolveTarget('https://hooks.example.com/in?x=1', { allow: [], resolve: dns });
    assert.deepEqual([target.address, target.family, target.port, target.hostname], ['93.184.216.34', 4, 443, 'hooks.example.com']);
    const allow = [parseCidr('127.0.0.1/32')!];
    assert.equal((await resolveTarget('http://127.0.0.1:8080/', { allow })).address, '127.0.0.1');
    assert.match((await refusal('http://127.0.0.2:8080/', { allow: ['127.0.0.1/32'] })).message, /loopback/);
    assert.match((await refusal('http://[::1]:8080/', { allow: ['127.0.0.1/32'] })).message, /loopback/, '::1 is not in 127.0.0.1/32');
  });
});

describe('webhooks: one attempt on the wire', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('connects to the address that was checked, with the name in Host — a second lookup could be a DNS rebinding', async () => {
    const rx = await receiver((_req, _body, res) => res.end('ok'));
    servers.push(rx.server);
    let lookups = 0;
    // The first answer is what the guard checks (allowed by the test's range); the name itself resolves nowhere for anyone else.
    const dns: Resolver = async () => (lookups++ === 0 ? ['127.0.0.1'] : ['10.9.9.9']);
    const target = await resolveTarget(`http://hooks.rebind.example:${rx.port}/in?a=1`, { allow: [parseCidr('127.0.0.1/32')!], resolve: dns });
    const answer = await postPinned(target, { 'content-type': 'application/json' }, '{"x":1}', { timeoutMs: 5000 });
    assert.deepEqual([answer.status, answer.excerpt, lookups], [200, 'ok', 1]);
    assert.equal(rx.received[0]!.request.headers.host, `hooks.rebind.example:${rx.port}`);
    assert.equal(rx.received[0]!.request.url, '/in?a=1');
    assert.equal(rx.received[0]!.body, '{"x":1}');
  });

  it('does not follow a redirect: the answer is the 3xx itself', async () => {
    const rx = await receiver((_req, _body, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    servers.push(rx.server);
    const target = await resolveTarget(`http://127.0.0.1:${rx.port}/`, { allow: [parseCidr('127.0.0.1/32')!] });
    const answer = await postPinned(target, {}, '{}', { timeoutMs: 5000 });
    assert.equal(answer.status, 302);
    assert.equal(rx.received.length, 1);
  });

  it('gives up on a receiver that does not answer within the deadline', async () => {
    const rx = await receiver(() => {}); // never answers
    servers.push(rx.server);
    const target = await resolveTarget(`http://127.0.0.1:${rx.port}/`, { allow: [parseCidr('127.0.0.1/32')!] });
    await assert.rejects(postPinned(target, {}, '{}', { timeoutMs: 200 }), /no answer within 200 ms/);
    rx.server.closeAllConnections();
  });

  it('reads only the start of a long answer', async () => {
    const rx = await receiver((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 200 && res.write(chunk)) sent++; // 12.8 MB if read in full
        if (sent < 200) res.once('drain', more);
        else res.end();
      };
      more();
    });
    servers.push(rx.server);
    const target = await resolveTarget(`http://127.0.0.1:${rx.port}/`, { allow: [parseCidr('127.0.0.1/32')!] });
    const answer = await postPinned(target, {}, '{}', { timeoutMs: 5000, maxAnswerBytes: 1000 });
    assert.equal(answer.status, 200);
    assert.equal(answer.excerpt.length, 1000);
  });

  it('signs as GitHub does: sha256= and the hex HMAC-SHA256 of the raw body', () => {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert.equal(signBody('Jefe', 'what do ya want for nothing?'), 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});
