/**
 * Issue 14.6: every address that cannot be a source on the internet is never blocked, and an IPv4
 * address carried inside an IPv6 one (IPv4-compatible, NAT64, 6to4, Teredo) is judged as that IPv4
 * address. The documentation ranges stay public (DESIGN §5). Ranges from the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and updates).
 */
import { blockTargetFor, checkGuardrails, embeddedIpv4Of, specialRangeOf, type GuardrailDecision, type GuardrailInput } from '../../../core/containment';

const base: GuardrailInput = { source: '203.0.113.50', allowlist: [], vpcCidrs: ['10.0.0.0/16'], allowPrivate: false, blocksInLastHour: 0, maxBlocksPerHour: 20 };
const check = (patch: Partial<GuardrailInput>): GuardrailDecision => checkGuardrails({ ...base, ...patch });

/** The refusal, with its reason naming the matched range. */
function refusal(patch: Partial<GuardrailInput>): { guardrail: string; matched: string | null; reason: string } {
  const d = check(patch);
  if (d.allowed) throw new Error(`expected ${patch.source ?? base.source} to be refused, got a block of ${d.target.cidr}`);
  if (d.refusal.matched !== null) expect(d.refusal.reason).toContain(d.refusal.matched);
  return d.refusal;
}

describe('special-purpose addresses (IANA registries: not globally reachable, or not a valid source)', () => {
  it.each([
    ['192.0.0.1', '192.0.0.0/29'],
    ['192.0.0.8', '192.0.0.8/32'],
    ['192.0.0.100', '192.0.0.0/24'],
    ['192.0.0.170', '192.0.0.170/32'],
    ['198.18.0.1', '198.18.0.0/15'],
    ['198.19.255.255', '198.18.0.0/15'],
    ['192.88.99.1', '192.88.99.0/24'],
    ['192.88.99.2', '192.88.99.2/32'],
    ['100::1', '100::/64'],
    ['100:0:0:1::1', '100:0:0:1::/64'],
    ['2001:10::1', '2001:10::/28'],
    ['2001:2::1', '2001:2::/48'],
    ['2001:5::1', '2001::/23'],
    ['3fff::1', '3fff::/20'],
    ['5f00::1', '5f00::/16'],
    ['64:ff9b:1::a00:1', '64:ff9b:1::/48'],
  ])('never blocks %s (%s), even when private ranges are allowed', (source, cidr) => {
    for (const allowPrivate of [false, true]) {
      const r = refusal({ source, allowPrivate, vpcCidrs: [] });
      expect(r).toMatchObject({ guardrail: 'not-a-host', matched: cidr });
      expect(r.reason).toMatch(/Special-Purpose Address Registry/);
    }
  });

  it.each([
    // Globally reachable entries inside a non-global block ("unless allowed by a more specific allocation").
    '192.0.0.9',
    '192.0.0.10',
    '2001:1::1',
    '2001:1::2',
    '2001:1::3',
    '2001:3::1',
    '2001:4:112::1',
    '2001:20::1',
    '2001:30::1',
    // Globally reachable blocks of their own.
    '192.31.196.1',
    '192.52.193.1',
    '192.175.48.1',
    '2620:4f:8000::1',
    // Just outside the new ranges.
    '198.17.255.255',
    '198.20.0.0',
    '192.88.100.0',
    '2001:200::1',
    // Public, and the documentation ranges DESIGN §5 keeps public.
    '8.8.8.8',
    '2606:4700::1111',
    '203.0.113.50',
    '192.0.2.1',
    '198.51.100.7',
    '2001:db8::1',
  ])('still blocks %s, which the internet can send from', (source) => {
    expect(check({ source })).toMatchObject({ allowed: true });
    expect(specialRangeOf(source)).toBeUndefined();
  });
});

describe('IPv4 addresses carried in IPv6 ones are judged as IPv4', () => {
  it.each([
    ['::10.0.0.1', '10.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::10.0.0.1', '10.0.0.1', 'NAT64'],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254', 'NAT64'],
    ['2002:a00:1::1', '10.0.0.1', '6to4'],
    // Teredo: server 65.54.227.120 (bits 32–63), client 10.0.0.1 (the last 32 bits, inverted).
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', '10.0.0.1', 'Teredo client'],
    // Teredo: server 10.0.0.1, client 192.0.2.45.
    ['2001:0:a00:1:8000:63bf:3fff:fdd2', '10.0.0.1', 'Teredo server'],
  ])('refuses %s, which carries the private %s, unless private ranges are allowed', (source, ipv4, form) => {
    const r = refusal({ source, vpcCidrs: [] });
    expect(r.guardrail).toBe('private-range');
    expect(r.reason).toContain(ipv4);
    expect(r.reason).toContain(form);
    expect(r.reason).toContain('allowPrivate');
    expect(specialRangeOf(ipv4)?.cidr).toBe(r.matched);
    // Allowed, it blocks what was seen: the IPv6 address, as /128.
    const allowed = check({ source, vpcCidrs: [], allowPrivate: true });
    expect(allowed).toMatchObject({ allowed: true, target: { cidr: `${blockTargetFor(source)?.address ?? '?'}/128`, ipSet: 'IPV6' } });
  });

  it.each([
    ['::0.0.0.7', '0.0.0.0/8'],
    ['64:ff9b::198.18.0.1', '198.18.0.0/15'],
    ['64:ff9b::224.0.0.1', '224.0.0.0/4'],
    ['2002:c058:6301::1', '192.88.99.0/24'],
    ['2002:c000:1::1', '192.0.0.0/29'],
    ['2001:0:4136:e378:8000:63bf:3fff:fffe', '192.0.0.0/29'],
  ])('never blocks %s, which carries a special-purpose IPv4 address (%s)', (source, cidr) => {
    expect(refusal({ source, allowPrivate: true })).toMatchObject({ guardrail: 'not-a-host', matched: cidr });
  });

  it("refuses an IPv6 form of the VPC's own or an allowlisted IPv4 address", () => {
    expect(refusal({ source: '64:ff9b::10.0.3.4', allowPrivate: true })).toMatchObject({ guardrail: 'vpc-cidr', matched: '10.0.0.0/16' });
    expect(refusal({ source: '::10.0.3.4', allowPrivate: true })).toMatchObject({ guardrail: 'vpc-cidr', matched: '10.0.0.0/16' });
    expect(refusal({ source: '2002:c633:6414::1', allowlist: ['198.51.100.0/24'] })).toMatchObject({ guardrail: 'allowlisted', matched: '198.51.100.0/24' });
  });

  it.each([
    ['2002:c633:6401::1', '198.51.100.1'],
    ['64:ff9b::808:808', '8.8.8.8'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '192.0.2.45'],
    ['::808:808', '8.8.8.8'],
  ])('blocks %s (carrying the public %s) as the IPv6 address seen, /128', (source, ipv4) => {
    expect(embeddedIpv4Of(source).map((e) => e.ipv4)).toContain(ipv4);
    expect(check({ source })).toEqual({ allowed: true, target: { address: source, cidr: `${source}/128`, ipSet: 'IPV6' } });
  });

  it('still blocks an IPv4-mapped address as its IPv4 address', () => {
    expect(check({ source: '::ffff:203.0.113.50' })).toEqual({ allowed: true, target: { address: '203.0.113.50', cidr: '203.0.113.50/32', ipSet: 'IPV4' } });
    expect(refusal({ source: '::ffff:198.18.0.1', allowPrivate: true })).toMatchObject({ guardrail: 'not-a-host', matched: '198.18.0.0/15' });
  });

  it('does not read :: and ::1 as IPv4-compatible addresses', () => {
    expect(embeddedIpv4Of('::')).toEqual([]);
    expect(embeddedIpv4Of('::1')).toEqual([]);
    expect(refusal({ source: '::', allowPrivate: true })).toMatchObject({ guardrail: 'not-a-host', matched: '::/128' });
    expect(refusal({ source: '::1' })).toMatchObject({ guardrail: 'private-range', matched: '::1/128' });
  });

  it('reads the Teredo client and server addresses (RFC 4380 §4)', () => {
    expect(embeddedIpv4Of('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toEqual([
      expect.objectContaining({ ipv4: '192.0.2.45', form: expect.stringContaining('Teredo client') }),
      expect.objectContaining({ ipv4: '65.54.227.120', form: expect.stringContaining('Teredo server') }),
    ]);
    expect(embeddedIpv4Of('2606:4700::1111')).toEqual([]);
    expect(embeddedIpv4Of('not an address')).toEqual([]);
  });
});
