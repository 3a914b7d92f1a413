import { IpSetError, planAdd, planRemove, WAF_IP_SET_LIMIT } from '../../../core/containment';

/** `n` distinct IPv4 /32 entries from 198.18.0.0/15 (benchmarking space, far from the test sources). */
function fullSet(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `198.18.${Math.floor(i / 256)}.${i % 256}/32`);
}

describe('planAdd', () => {
  it('adds a /32 to an empty set', () => {
    expect(planAdd([], '203.0.113.50/32')).toEqual({ ok: true, addresses: ['203.0.113.50/32'], changed: true, coveredBy: null });
  });

  it('is idempotent: adding what is there changes nothing and keeps the list as read', () => {
    const current = ['198.51.100.1/32', '203.0.113.50/32'];
    expect(planAdd(current, '203.0.113.50/32')).toEqual({ ok: true, addresses: current, changed: false, coveredBy: null });
  });

  it('compares IPv6 by value, whatever text WAF returns', () => {
    const current = ['2001:0DB8:0000:0000:0000:0000:0000:0001/128'];
    expect(planAdd(current, '2001:db8::1/128')).toMatchObject({ ok: true, changed: false, addresses: current });
    expect(planAdd(current, '2001:db8::2/128')).toEqual({ ok: true, changed: true, coveredBy: null, addresses: ['2001:db8::1/128', '2001:db8::2/128'] });
  });

  it('writes canonical text and drops duplicate values when it changes the list', () => {
    const plan = planAdd(['203.0.113.7/32', '203.0.113.7/32', '198.51.100.9/24'], '192.0.2.1/32');
    expect(plan).toEqual({ ok: true, changed: true, coveredBy: null, addresses: ['203.0.113.7/32', '198.51.100.0/24', '192.0.2.1/32'] });
  });

  it('changes nothing when a broader entry already covers the address', () => {
    expect(planAdd(['203.0.113.0/24'], '203.0.113.50/32')).toEqual({ ok: true, addresses: ['203.0.113.0/24'], changed: false, coveredBy: '203.0.113.0/24' });
  });

  it(`refuses at the WAF limit of ${WAF_IP_SET_LIMIT} entries, and accepts the last free place`, () => {
    expect(WAF_IP_SET_LIMIT).toBe(10_000);
    const refused = planAdd(fullSet(10_000), '203.0.113.50/32');
    expect(refused).toMatchObject({ ok: false, refusal: { guardrail: 'ip-set-limit', matched: '10000' } });
    const accepted = planAdd(fullSet(9_999), '203.0.113.50/32');
    expect(accepted.ok).toBe(true);
    if (accepted.ok) expect(accepted.addresses).toHaveLength(10_000);
  });

  it('still accepts an address already present in a full set', () => {
    const full = fullSet(10_000);
    expect(planAdd(full, '198.18.0.7/32')).toMatchObject({ ok: true, changed: false });
  });

  it('counts duplicate values once toward the limit', () => {
    const set = fullSet(9_999);
    set.push(set[0] as string);
    expect(planAdd(set, '203.0.113.50/32').ok).toBe(true);
  });

  it('honours a smaller limit', () => {
    expect(planAdd(['203.0.113.1/32'], '203.0.113.2/32', 1)).toMatchObject({ ok: false, refusal: { guardrail: 'ip-set-limit' } });
  });

  it('refuses mixing IP versions and bad entries with errors naming the entry', () => {
    expect(() => planAdd(['2001:db8::1/128'], '203.0.113.50/32')).toThrow(new IpSetError('current[0]: "2001:db8::1/128" is IPv6, but the set holds IPv4 addresses'));
    expect(() => planAdd(['203.0.113.1/32', 'nope'], '203.0.113.50/32')).toThrow(/^current\[1\]: /);
    expect(() => planAdd([], '203.0.113.50/40')).toThrow(IpSetError);
  });
});

describe('planRemove', () => {
  it('removes the CIDR and keeps the rest', () => {
    expect(planRemove(['198.51.100.1/32', '203.0.113.50/32'], '203.0.113.50/32')).toEqual({ addresses: ['198.51.100.1/32'], changed: true });
  });

  it('is idempotent: removing an absent CIDR changes nothing', () => {
    const current = ['198.51.100.1/32'];
    expect(planRemove(current, '203.0.113.50/32')).toEqual({ addresses: current, changed: false });
    expect(planRemove([], '2001:db8::1/128')).toEqual({ addresses: [], changed: false });
  });

  it('removes every spelling of the value, and leaves broader entries someone else added', () => {
    const current = ['2001:DB8::1/128', '2001:0db8:0:0:0:0:0:1/128', '2001:db8::/32'];
    expect(planRemove(current, '2001:db8::1/128')).toEqual({ addresses: ['2001:db8::/32'], changed: true });
  });

  it('add then remove gives back the original set', () => {
    const start = ['198.51.100.1/32'];
    const added = planAdd(start, '203.0.113.50/32');
    if (!added.ok) throw new Error('expected ok');
    expect(planRemove(added.addresses, '203.0.113.50/32').addresses).toEqual(start);
  });
});
