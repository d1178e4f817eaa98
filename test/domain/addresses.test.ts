// The address rules behind the webhooks' SSRF guard: every range a webhook
// may not reach is recognised, in every form an address can take.
import assert from 'node:assert/strict';
import { classifyAddress, formatIp, isAllowed, parseCidr, parseIp } from '../../server/domain/addresses.ts';

const classOf = (address: string) => {
  const ip = parseIp(address);
  assert.ok(ip, `${address} parses`);
  return classifyAddress(ip);
};

describe('domain: IP addresses and the ranges webhooks may not reach', () => {
  it('parses IPv4 and IPv6 in their usual forms and prints them canonically', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', '127.0.0.1'],
      ['::1', '::1'],
      ['[::1]', '::1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['::ffff:127.0.0.1', '::ffff:7f00:1'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80::', 'fe80::'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ];
    for (const [input, canonical] of cases) assert.equal(formatIp(parseIp(input)!), canonical, input);
  });

  it('refuses what is not an address (ambiguous octal-looking IPv4 included)', () => {
    for (const bad of ['', 'localhost', '256.0.0.1', '1.2.3', '010.0.0.1', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '::ffff:1.2.3.999', 'g::1']) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it('names each IPv4 special range: loopback, private, link-local, CGNAT, multicast, unspecified, reserved, broadcast', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link_local'], ['100.64.0.1', 'shared'], ['100.127.255.255', 'shared'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'],
      ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
      ['192.0.2.1', 'documentation'], ['198.18.0.1', 'benchmarking'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'broadcast'],
    ];
    for (const [address, why] of cases) assert.equal(classOf(address), why, address);
  });

  it('names the IPv6 ones, and judges IPv6 forms of an IPv4 address (mapped, NAT64, 6to4) by the IPv4 inside', () => {
    const cases: [string, string][] = [
      ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link_local'], ['febf::1', 'link_local'],
      ['fc00::1', 'unique_local'], ['fd12:3456::1', 'unique_local'], ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'],
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:169.254.169.254', 'link_local'],
      ['64:ff9b::7f00:1', 'loopback'], ['64:ff9b::a00:1', 'private'], ['2002:c0a8:101::1', 'private'], ['2002:7f00:1::', 'loopback'],
      ['::127.0.0.1', 'reserved'], ['1::', 'reserved'], ['100::1', 'reserved'], ['2001::1', 'reserved'],
    ];
    for (const [address, why] of cases) assert.equal(classOf(address), why, address);
  });

  it('lets public addresses through, in either family and as a mapped IPv6', () => {
    for (const address of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8', '2002:808:808::1']) {
      assert.equal(classOf(address), null, address);
    }
  });

  it('allows an address in a listed range, directly or through the IPv4 inside an IPv6 form, and nothing next to it', () => {
    const allow = ['127.0.0.1/32', '10.20.0.0/16', 'fd00::/8'].map((c) => parseCidr(c)!);
    assert.ok(isAllowed(parseIp('127.0.0.1')!, allow));
    assert.ok(isAllowed(parseIp('::ffff:127.0.0.1')!, allow), 'the mapped form of an allowed IPv4');
    assert.ok(isAllowed(parseIp('10.20.99.1')!, allow));
    assert.ok(isAllowed(parseIp('fd12::1')!, allow));
    assert.ok(!isAllowed(parseIp('127.0.0.2')!, allow));
    assert.ok(!isAllowed(parseIp('10.21.0.1')!, allow));
    assert.ok(!isAllowed(parseIp('::1')!, allow), 'IPv6 loopback is not IPv4 loopback');
  });

  it('reads CIDRs and bare addresses, and refuses malformed ones', () => {
    assert.deepEqual(parseCidr('10.1.2.3/8'), { version: 4, base: 0x0a000000n, prefix: 8 });
    assert.deepEqual(parseCidr('::1'), { version: 6, base: 1n, prefix: 128 });
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/8/8', 'ten/8', '10.0.0.0/x']) assert.equal(parseCidr(bad), undefined, bad);
  });
});
