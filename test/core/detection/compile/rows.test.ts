import { findingsFromRows } from '../../../../core/detection/compile/rows';
import { CompileError } from '../../../../core/detection/compile/rule-plan';
import { DEFAULT_CONFIG } from '../../../../core/detection/config';

const window = { start: 1763802000, end: 1763805600 };
const options = { config: DEFAULT_CONFIG, window };

describe('findingsFromRows', () => {
  it('reads Logs Insights rows (text) and Athena/DuckDB rows (numbers, bigints) alike', () => {
    const [fromText] = findingsFromRows('SUSPICIOUS_PORT_ACCESS', [{ srcaddr: '203.0.113.50', dstport: '22', value: '11' }], options);
    const [fromBig] = findingsFromRows('SUSPICIOUS_PORT_ACCESS', [{ srcaddr: '203.0.113.50', dstport: 22, value: 11n }], options);
    expect(fromText).toEqual({
      id: 'SUSPICIOUS_PORT_ACCESS:203.0.113.50:22:1763805600',
      detection: 'SUSPICIOUS_PORT_ACCESS',
      severity: 'CRITICAL',
      source: '203.0.113.50',
      port: 22,
      value: 11,
      threshold: 10,
      window,
    });
    expect(fromBig).toEqual(fromText);
  });

  it('keeps sums beyond 2^53 exact and canonicalises IPv6 sources', () => {
    const [f] = findingsFromRows('HIGH_TRAFFIC_VOLUME', [{ srcaddr: '2001:DB8:0:0::1', value: '18446744073709551615' }], options);
    expect(f?.value).toBe(18446744073709551615n);
    expect(f?.source).toBe('2001:db8::1');
    expect(f?.port).toBeNull();
  });

  it('accepts an exact integer in exponent form, as Logs Insights may print a sum', () => {
    expect(findingsFromRows('HIGH_TRAFFIC_VOLUME', [{ srcaddr: '192.0.2.10', value: '1.000000001E9' }], options)[0]?.value).toBe(1000000001);
  });

  it('refuses bad rows, naming the row and column', () => {
    expect(() => findingsFromRows('PORT_SCAN', [{ srcaddr: '192.0.2.1', value: '51' }, { srcaddr: 'not-an-ip', value: '60' }], options)).toThrow(
      new CompileError('PORT_SCAN result row 2: srcaddr is not an IPv4 or IPv6 address (got "not-an-ip")'),
    );
    expect(() => findingsFromRows('PORT_SCAN', [{ srcaddr: '192.0.2.1', value: '51.5' }], options)).toThrow('PORT_SCAN result row 1: value is not a whole number (got "51.5")');
    expect(() => findingsFromRows('PORT_SCAN', [{ srcaddr: '192.0.2.1' }], options)).toThrow('PORT_SCAN result row 1: value is not a whole number (got "undefined")');
    expect(() => findingsFromRows('SUSPICIOUS_PORT_ACCESS', [{ srcaddr: '192.0.2.1', dstport: '70000', value: '12' }], options)).toThrow('result row 1: dstport is not a port number (got "70000")');
  });
});
