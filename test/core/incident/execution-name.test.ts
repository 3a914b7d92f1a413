import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import { decodeExecutionName, executionName, ExecutionNameError, MAX_EXECUTION_NAME_LENGTH } from '../../../core/incident';

const VALID = /^[A-Za-z0-9_-]{1,80}$/;
const window = { start: 1763802000, end: 1763805600 };

describe('executionName', () => {
  it('is the readable id with : and . as - for an IPv4 finding', () => {
    expect(executionName('PORT_SCAN:203.0.113.50:1763805600')).toBe('PORT_SCAN-203-0-113-50-1763805600');
  });

  it('keeps IPv6 sources and ports readable', () => {
    expect(executionName('SUSPICIOUS_PORT_ACCESS:2001:db8::1:22:1763805600')).toBe('SUSPICIOUS_PORT_ACCESS-2001-db8--1-22-1763805600');
  });

  it('decodes a plain name back to its id', () => {
    for (const id of ['PORT_SCAN:203.0.113.50:1763805600', 'SUSPICIOUS_PORT_ACCESS:2001:db8::1:22:1763805600', 'HIGH_TRAFFIC_VOLUME:::1:1763805600']) {
      expect(decodeExecutionName(executionName(id))).toBe(id);
    }
  });

  it('fits the longest real finding (full IPv6 source, port) in 80 characters without a hash', () => {
    const f = makeFinding(DEFAULT_CONFIG, 'SUSPICIOUS_PORT_ACCESS', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 65535, 11, { start: 9999996400, end: 9999999999 });
    const name = executionName(f.id);
    expect(name).toBe('SUSPICIOUS_PORT_ACCESS-2001-db8-ffff-ffff-ffff-ffff-ffff-ffff-65535-9999999999');
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
  });

  it('is deterministic', () => {
    const id = 'SUSPICIOUS_PORT_ACCESS:2001:db8::1:22:1763805600';
    expect(executionName(id)).toBe(executionName(`${id}`));
  });

  it('hashes an IPv4-mapped source, whose plain form would meet a different IPv6 address', () => {
    const mapped = makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '::ffff:1.2.3.4', null, 60, window).id;
    const lookalike = makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '::ffff:1:2:3:4', null, 60, window).id;
    expect(mapped.replace(/[:.]/g, '-')).toBe(lookalike.replace(/[:.]/g, '-'));
    const a = executionName(mapped);
    const b = executionName(lookalike);
    expect(b).toBe('PORT_SCAN---ffff-1-2-3-4-1763805600');
    expect(a).toMatch(/^PORT_SCAN---ffff-1-2-3-4-1763805600_[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('hashes a non-canonical source, so it cannot take the canonical finding\'s name', () => {
    const canonical = executionName('PORT_SCAN:2001:db8::1:1763805600');
    const upper = executionName('PORT_SCAN:2001:DB8::1:1763805600');
    expect(canonical).toBe('PORT_SCAN-2001-db8--1-1763805600');
    expect(upper).toMatch(/_[0-9a-f]{12}$/);
    expect(upper).not.toBe(canonical);
  });

  it('hashes ids that are not finding ids and replaces characters Step Functions refuses', () => {
    const name = executionName('manual test: 203.0.113.50 / ssh?');
    expect(name).toMatch(VALID);
    expect(name).toMatch(/^manual-test--203-0-113-50---ssh-_[0-9a-f]{12}$/);
  });

  it('shortens long ids to 80 characters and keeps them apart by hash', () => {
    const a = executionName(`X${'a'.repeat(200)}1`);
    const b = executionName(`X${'a'.repeat(200)}2`);
    expect(a).toHaveLength(80);
    expect(b).toHaveLength(80);
    expect(a.slice(0, 67)).toBe(b.slice(0, 67));
    expect(a).not.toBe(b);
    expect(a).toMatch(VALID);
  });

  it('gives distinct valid names to many distinct ids', () => {
    const ids: string[] = [];
    const sources = ['203.0.113.50', '203.0.11.350', '2001:db8::1', '2001:db8::1:22', '::ffff:1.2.3.4', '::ffff:1:2:3:4', '::', '::1', '1::'];
    for (const s of sources) {
      for (const port of [22, 3389]) ids.push(`SUSPICIOUS_PORT_ACCESS:${s}:${port}:1763805600`);
      ids.push(`PORT_SCAN:${s}:1763805600`, `PORT_SCAN:${s}:22:1763805600`, `HIGH_TRAFFIC_VOLUME:${s}:1763805600`);
    }
    ids.push('PORT_SCAN-203-0-113-50-1763805600', 'PORT_SCAN:203.0.113.50:1763805600 ', 'a.b', 'a:b', 'a-b', 'a_b');
    const names = ids.map(executionName);
    for (const n of names) expect(n).toMatch(VALID);
    expect(new Set(names).size).toBe(new Set(ids).size);
  });

  it('refuses an empty id with a typed error', () => {
    expect(() => executionName('')).toThrow(ExecutionNameError);
  });
});
