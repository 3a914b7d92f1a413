import { CidrError, CidrSet, canonicalAddress, parseAddress, parseCidr } from '../../../core/flowlog/address';

describe('IPv4 addresses', () => {
  it.each(['0.0.0.0', '172.31.16.139', '203.0.113.50', '255.255.255.255'])('keeps canonical %s as it is', (text) => {
    expect(canonicalAddress(text)).toBe(text);
    expect(parseAddress(text)).toMatchObject({ version: 4, text });
  });

  it('gives the 32-bit value', () => {
    expect(parseAddress('10.0.0.1')?.value).toBe(0x0a000001n);
    expect(parseAddress('255.255.255.255')?.value).toBe(0xffffffffn);
  });

  it.each([
    ['leading zero', '010.0.0.1'],
    ['leading zero in the last octet', '10.0.0.01'],
    ['octet above 255', '10.0.0.256'],
    ['four-digit octet', '1000.0.0.1'],
    ['three octets', '10.0.1'],
    ['five octets', '10.0.0.1.5'],
    ['empty octet', '10..0.1'],
    ['trailing dot', '10.0.0.1.'],
    ['sign', '+10.0.0.1'],
    ['hex octet', '0x0a.0.0.1'],
    ['space inside', '10.0.0. 1'],
    ['letters', 'a.b.c.d'],
    ['empty', ''],
    ['dash (a missing value)', '-'],
  ])('rejects %s: "%s"', (_why, text) => {
    expect(canonicalAddress(text)).toBeUndefined();
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('IPv6 addresses (RFC 5952 canonical text)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs is compressed
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // the longest run wins over an earlier shorter one
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is never "::"
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1::', '1::'],
    ['fe80::0001', 'fe80::1'],
    ['FE80:0:0:0:ABCD:0:0:0', 'fe80::abcd:0:0:0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3:8d3:1319:8a2e:370:7348'],
    ['::ffff:192.0.2.128', '::ffff:192.0.2.128'], // IPv4-mapped keeps the dotted quad
    ['::FFFF:c000:0280', '::ffff:192.0.2.128'],
    ['0:0:0:0:0:ffff:203.0.113.50', '::ffff:203.0.113.50'],
    ['::192.0.2.1', '::c000:201'], // deprecated IPv4-compatible form: plain hex
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['2001:db8:1:2:3:4:192.0.2.1', '2001:db8:1:2:3:4:c000:201'],
  ])('%s is %s', (input, canonical) => {
    expect(canonicalAddress(input)).toBe(canonical);
    expect(parseAddress(input)?.version).toBe(6);
  });

  it('gives the 128-bit value', () => {
    expect(parseAddress('::1')?.value).toBe(1n);
    expect(parseAddress('2001:db8::')?.value).toBe(0x20010db8n << 96n);
    expect(parseAddress('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')?.value).toBe((1n << 128n) - 1n);
  });

  it.each([
    ['two "::"', '2001::db8::1'],
    ['":::"', '2001:::1'],
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups without "::"', '1:2:3:4:5:6:7'],
    ['"::" standing for no group', '1:2:3:4::5:6:7:8'],
    ['five hex digits', '2001:0db80::1'],
    ['non-hex digit', '2001:db8::g'],
    ['leading single colon', ':1:2:3:4:5:6:7'],
    ['trailing single colon', '1:2:3:4:5:6:7:'],
    ['single colon', ':'],
    ['zone id', 'fe80::1%eth0'],
    ['prefix length', '2001:db8::/32'],
    ['embedded IPv4 not last', '::1.2.3.4:1'],
    ['embedded IPv4 with leading zero', '::ffff:192.0.2.01'],
    ['embedded IPv4 out of range', '::ffff:192.0.2.300'],
    ['too many groups with embedded IPv4', '1:2:3:4:5:6:7:1.2.3.4'],
    ['IPv4 and a port', '10.0.0.1:443'],
    ['brackets', '[::1]'],
    ['far too long', `${'1:'.repeat(30)}1`],
  ])('rejects %s: "%s"', (_why, text) => {
    expect(canonicalAddress(text)).toBeUndefined();
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('CIDRs', () => {
  it('normalises the network address and keeps the prefix', () => {
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ text: '10.0.0.0/8', version: 4, prefix: 8, network: 0x0a000000n });
    expect(parseCidr('2001:DB8:0:0:1::/32').text).toBe('2001:db8::/32');
    expect(parseCidr('203.0.113.50').text).toBe('203.0.113.50/32'); // a bare address is a host route
    expect(parseCidr('2001:db8::1').text).toBe('2001:db8::1/128');
    expect(parseCidr('0.0.0.0/0').text).toBe('0.0.0.0/0');
    expect(parseCidr('::/0').text).toBe('::/0');
  });

  it.each([
    ['prefix above 32', '10.0.0.0/33'],
    ['prefix above 128', '2001:db8::/129'],
    ['negative prefix', '10.0.0.0/-1'],
    ['empty prefix', '10.0.0.0/'],
    ['non-numeric prefix', '10.0.0.0/eight'],
    ['bad address', '10.0.0.256/24'],
    ['empty', ''],
  ])('rejects %s with a CidrError naming the input', (_why, text) => {
    expect(() => parseCidr(text)).toThrow(CidrError);
    expect(() => parseCidr(text)).toThrow(`"${text}"`);
  });

  it('matches addresses by prefix, on both sides of each boundary', () => {
    const set = new CidrSet(['10.0.0.0/8', '192.0.2.0/25', '2001:db8::/32', '198.51.100.7']);
    expect(set.size).toBe(4);
    expect(set.has('10.0.0.0')).toBe(true);
    expect(set.has('10.255.255.255')).toBe(true);
    expect(set.has('11.0.0.0')).toBe(false);
    expect(set.has('9.255.255.255')).toBe(false);
    expect(set.has('192.0.2.127')).toBe(true);
    expect(set.has('192.0.2.128')).toBe(false);
    expect(set.has('198.51.100.7')).toBe(true);
    expect(set.has('198.51.100.8')).toBe(false);
    expect(set.has('2001:db8:ffff::1')).toBe(true);
    expect(set.has('2001:0DB8::1')).toBe(true); // matching does not depend on how the address is written
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.match('10.20.30.40')?.text).toBe('10.0.0.0/8');
  });

  it('never matches across IP versions', () => {
    const v4all = new CidrSet(['0.0.0.0/0']);
    expect(v4all.has('203.0.113.9')).toBe(true);
    expect(v4all.has('::ffff:203.0.113.9')).toBe(false);
    expect(v4all.has('::')).toBe(false);
    const v6all = new CidrSet(['::/0']);
    expect(v6all.has('2001:db8::1')).toBe(true);
    expect(v6all.has('203.0.113.9')).toBe(false);
  });

  it('does not match text that is not an address', () => {
    const set = new CidrSet(['0.0.0.0/0', '::/0']);
    expect(set.has('-')).toBe(false);
    expect(set.has('not-an-ip')).toBe(false);
  });

  it('an empty set matches nothing', () => {
    expect(new CidrSet([]).has('10.0.0.1')).toBe(false);
  });
});
