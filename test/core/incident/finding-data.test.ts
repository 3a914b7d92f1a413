import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import { countFromData, countToData, FindingDataError, parseFinding, parseFindingId, toFindingData } from '../../../core/incident';

const window = { start: 1763802000, end: 1763805600 };
const scan = makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '203.0.113.50', null, 171, window);
const ssh = makeFinding(DEFAULT_CONFIG, 'SUSPICIOUS_PORT_ACCESS', '2001:db8::1', 22, 14, window);

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FindingDataError) return e.field;
    throw e;
  }
  throw new Error('expected a FindingDataError');
};

describe('finding data', () => {
  it('round-trips through JSON text', () => {
    for (const f of [scan, ssh]) expect(parseFinding(JSON.parse(JSON.stringify(toFindingData(f))))).toEqual(f);
  });

  it('keeps byte sums beyond 2^53 exact as decimal text', () => {
    const big = 2n ** 60n + 1n;
    const f = makeFinding(DEFAULT_CONFIG, 'HIGH_TRAFFIC_VOLUME', '203.0.113.9', null, big, window);
    const data = JSON.parse(JSON.stringify(toFindingData(f))) as { value: unknown };
    expect(data.value).toBe('1152921504606846977');
    expect(parseFinding(data).value).toBe(big);
    expect(countToData(9007199254740991n)).toBe(9007199254740991);
    expect(countFromData('9007199254740993')).toBe(9007199254740993n);
  });

  it('puts the source in canonical form and checks the id against it', () => {
    const data = { ...toFindingData(ssh), source: '2001:DB8:0::1' };
    expect(parseFinding(data).source).toBe('2001:db8::1');
    expect(fieldOf(() => parseFinding({ ...toFindingData(scan), source: '203.0.113.51' }))).toBe('finding.id');
  });

  it.each([
    ['detection', { detection: 'SCAN' }],
    ['severity', { severity: 'HIGH' }],
    ['source', { source: 'example.com' }],
    ['port', { port: 22 }],
    ['value', { value: -1 }],
    ['value', { value: '1e3' }],
    ['threshold', { threshold: 'fifty' }],
    ['window.end', { window: { start: 10, end: 10 } }],
    ['extra', { extra: true }],
  ])('names the bad field %s', (field, patch) => {
    expect(fieldOf(() => parseFinding({ ...toFindingData(scan), ...patch }, 'input'))).toBe(`input.${field}`);
  });

  it('needs a port for SUSPICIOUS_PORT_ACCESS', () => {
    expect(fieldOf(() => parseFinding({ ...toFindingData(ssh), port: null }))).toBe('finding.port');
  });

  it('names a missing field', () => {
    const data: Record<string, unknown> = { ...toFindingData(scan) };
    delete data.window;
    expect(fieldOf(() => parseFinding(data))).toBe('finding.window');
  });
});

describe('parseFindingId', () => {
  it('splits IPv6 sources from the port by detection', () => {
    expect(parseFindingId('SUSPICIOUS_PORT_ACCESS:2001:db8::1:22:1763805600')).toEqual({ detection: 'SUSPICIOUS_PORT_ACCESS', source: '2001:db8::1', port: 22, windowEnd: 1763805600 });
    expect(parseFindingId('PORT_SCAN:2001:db8::1:22:1763805600')).toEqual({ detection: 'PORT_SCAN', source: '2001:db8::1:22', port: null, windowEnd: 1763805600 });
  });

  it.each(['PORT_SCAN', 'PORT_SCAN:1.2.3.4', 'NOPE:1.2.3.4:5', 'PORT_SCAN:1.2.3.400:5', 'SUSPICIOUS_PORT_ACCESS:1.2.3.4:70000:5', 'PORT_SCAN:1.2.3.4:05'])('refuses %s', (id) => {
    expect(parseFindingId(id)).toBeUndefined();
  });
});
