// IP addresses and the ranges a webhook may not reach (DESIGN.md §4,
// "Alerts"): our server must not be a way into the networks it sits in
// (SSRF). Pure: parsing and matching only; the DNS lookups are the caller's.
//
// Ranges from the IANA special-purpose registries (RFC 6890 and updates).
// IPv6 forms that carry an IPv4 address — mapped (::ffff:a.b.c.d), NAT64
// (64:ff9b::/96) and 6to4 (2002::/16) — are judged by the IPv4 address inside,
// since that is where a packet to them ends up.

/** An address as a number: 32 bits (IPv4) or 128 bits (IPv6). */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  base: bigint;
  prefix: number;
}

/** Why an address is not one of the public internet's, or null when it is. */
export type AddressClass =
  | 'unspecified' | 'loopback' | 'private' | 'link_local' | 'shared' | 'multicast'
  | 'unique_local' | 'documentation' | 'benchmarking' | 'reserved' | 'broadcast';

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Dotted decimal only: "010" is octal to some parsers and decimal to others, so neither.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.includes('%')) return undefined; // a zone (fe80::1%eth0): link-local, and not for us to route
  // A dotted IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

/** An IPv4 or IPv6 address in its usual text forms (an IPv6 one with or without brackets), or undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!bare.includes(':')) return undefined;
  const v6 = parseIpv6(bare);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128);

/** `10.0.0.0/8`, `::1/128`, or a bare address (a /32 or /128); undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const bits = bitsOf(ip.version);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { version: ip.version, base: ip.value & mask, prefix };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.version !== ip.version) return false;
  const shift = BigInt(bitsOf(ip.version) - cidr.prefix);
  return ip.value >> shift === cidr.base >> shift;
}

const table = (entries: [string, AddressClass][]) => entries.map(([cidr, why]) => ({ cidr: parseCidr(cidr)!, why }));

const IPV4_SPECIAL = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'], // also the cloud metadata services (169.254.169.254)
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_SPECIAL = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'reserved'], // IETF protocol assignments, Teredo among them
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique_local'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
]);

/** IPv6 global unicast: every public IPv6 address is in it. */
const GLOBAL_UNICAST = parseCidr('2000::/3')!;
const MAPPED = parseCidr('::ffff:0:0/96')!;
const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;

/** The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any. */
export function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.version !== 6) return undefined;
  if (cidrContains(MAPPED, ip) || cidrContains(NAT64, ip)) return { version: 4, value: ip.value & 0xffffffffn };
  if (cidrContains(SIX_TO_FOUR, ip)) return { version: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return undefined;
}

/** Why an address is not a public one (the most specific range first), or null when it is public. */
export function classifyAddress(ip: IpAddress): AddressClass | null {
  const inside = embeddedIpv4(ip);
  if (inside) return classifyAddress(inside);
  for (const { cidr, why } of ip.version === 4 ? IPV4_SPECIAL : IPV6_SPECIAL) if (cidrContains(cidr, ip)) return why;
  // Outside 2000::/3 nothing is assigned for the public internet (IPv4-compatible ::a.b.c.d, 1::, discard 100::/64…).
  return ip.version === 6 && !cidrContains(GLOBAL_UNICAST, ip) ? 'reserved' : null;
}

/** Whether an address is in one of the ranges allowed despite its class (WEBHOOK_ALLOW_PRIVATE), directly or by the IPv4 address inside it. */
export function isAllowed(ip: IpAddress, allowed: readonly Cidr[]): boolean {
  const inside = embeddedIpv4(ip);
  return allowed.some((cidr) => cidrContains(cidr, ip) || (inside !== undefined && cidrContains(cidr, inside)));
}

/** The address in its canonical text (IPv4 dotted, IPv6 compressed lower-case). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
