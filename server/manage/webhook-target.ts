// Where a webhook may send (DESIGN.md §4, "Alerts"): our server must not
// be a way into the networks it sits in (SSRF). A target's host is resolved
// and every address it has must be public — not private, loopback,
// link-local, shared (CGNAT), multicast, unspecified, reserved, IPv6
// unique-local, nor an IPv6 form of one of those (mapped, NAT64, 6to4) —
// unless WEBHOOK_ALLOW_PRIVATE allows its range. Checked when a webhook is
// created or changed, and again before every attempt; the attempt then
// connects to the address checked, not to the name (no DNS rebinding between
// the check and the connection).
import { lookup } from 'node:dns/promises';
import { classifyAddress, formatIp, isAllowed, parseIp, type AddressClass, type Cidr } from '../domain/addresses.ts';
import { text, type Text } from '../domain/messages.ts';

/** A host's addresses, as the system resolver (getaddrinfo: /etc/hosts, DNS) gives them. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: ranges allowed although not public. */
  allow: readonly Cidr[];
  resolve?: Resolver;
}

/** A target that passed: the URL, and the address to connect to. */
export interface Target {
  url: URL;
  /** The host as the URL names it (for Host and TLS SNI), without IPv6 brackets. */
  hostname: string;
  address: string;
  family: 4 | 6;
  port: number;
}

/** Why a target is refused, in both languages. */
export class TargetRefused extends Error {
  constructor(readonly reason: Text) {
    super(reason.en);
    this.name = 'TargetRefused';
  }
}

const CLASS_TEXT: Record<AddressClass, Text> = {
  unspecified: text('an unspecified address', '未指定地址'),
  loopback: text('a loopback address', '本机回环地址'),
  private: text('a private address', '私有网络地址'),
  link_local: text('a link-local address', '链路本地地址'),
  shared: text('a shared (carrier-grade NAT) address', '运营商级 NAT 共享地址'),
  multicast: text('a multicast address', '组播地址'),
  unique_local: text('an IPv6 unique local address', 'IPv6 唯一本地地址'),
  documentation: text('an address reserved for documentation', '文档保留地址'),
  benchmarking: text('an address reserved for benchmarking', '基准测试保留地址'),
  reserved: text('a reserved address', '保留地址'),
  broadcast: text('the broadcast address', '广播地址'),
};

/** Resolves a webhook URL's host and checks every address, or throws TargetRefused. */
export async function resolveTarget(rawUrl: string, policy: TargetPolicy): Promise<Target> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TargetRefused(text('is not a URL', '不是网址'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused(text('must start with http:// or https://', '应以 http:// 或 https:// 开头'));
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  if (parseIp(hostname)) addresses = [hostname];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolver)(hostname);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new TargetRefused(text(`its host "${hostname}" could not be resolved (${code})`, `无法解析主机“${hostname}”（${code}）`));
    }
  }
  if (addresses.length === 0) throw new TargetRefused(text(`its host "${hostname}" has no address`, `主机“${hostname}”没有地址`));
  for (const address of addresses) {
    const ip = parseIp(address);
    if (!ip) throw new TargetRefused(text(`its host resolves to "${address}", which is not an IP address`, `主机解析为“${address}”，不是 IP 地址`));
    const why = classifyAddress(ip);
    if (why && !isAllowed(ip, policy.allow)) {
      const shown = formatIp(ip);
      const via = shown === hostname ? '' : ` (${hostname})`;
      const viaZh = shown === hostname ? '' : `（${hostname}）`;
      throw new TargetRefused(
        text(
          `${shown}${via} is ${CLASS_TEXT[why].en}: webhooks may not reach private or local networks unless WEBHOOK_ALLOW_PRIVATE allows its range`,
          `${shown}${viaZh}是${CLASS_TEXT[why].zh}：除非 WEBHOOK_ALLOW_PRIVATE 允许该网段，Webhook 不能访问私有或本地网络`,
        ),
      );
    }
  }
  const address = addresses[0]!;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, hostname, address, family: parseIp(address)!.version, port };
}
