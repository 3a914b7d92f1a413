import { MAX_DURATION_SECONDS, MAX_INSTANT_SECONDS, TimeArgumentError, defaultUntil, formatDuration, inWindow, parseDuration, parseInstant, windowEndingAt } from '../../../core/detection/window';

describe('parseInstant', () => {
  it.each([
    ['1763805600', 1763805600],
    [' 1763805600 ', 1763805600],
    ['0', 0],
    ['2025-11-22T10:00:00Z', 1763805600],
    ['2025-11-22T10:00:00z', 1763805600],
    ['2025-11-22T10:00:00', 1763805600], // no zone: UTC
    ['2025-11-22 10:00', 1763805600],
    ['2025-11-22T10:00', 1763805600],
    ['2025-11-22T10:00:00.999Z', 1763805600], // fractions of a second are dropped
    ['2025-11-22T11:00:00+01:00', 1763805600],
    ['2025-11-22T08:30:00-0130', 1763805600],
    ['2025-11-22', 1763769600],
    ['2024-02-29T00:00:00Z', 1709164800], // a leap day
    ['1969-12-31T23:00:00-01:00', 0], // the epoch, written in another zone
    ['253402300799', MAX_INSTANT_SECONDS],
    ['9999-12-31T23:59:59Z', MAX_INSTANT_SECONDS],
  ])('%s is %i', (text, seconds) => {
    expect(parseInstant(text)).toBe(seconds);
  });

  it.each([
    ['a negative number', '-5'],
    ['an exponent', '1e9'],
    ['NaN', 'NaN'],
    ['a fraction', '1763805600.5'],
    ['Arabic-Indic digits', '١٧٦٣٨٠٥٦٠٠'],
    ['a day that does not exist', '2025-02-30'],
    ['February 29 in a common year', '2025-02-29T00:00:00Z'],
    ['month 13', '2025-13-01'],
    ['hour 24', '2025-11-22T24:00:00Z'],
    ['minute 60', '2025-11-22T10:60:00Z'],
    ['a bad zone', '2025-11-22T10:00:00+25:00'],
    ['trailing words', '2025-11-22T10:00:00Z please'],
    ['a month name', '22 Nov 2025'],
    ['nothing', ''],
  ])('refuses %s, naming the option', (_why, text) => {
    expect(() => parseInstant(text, '--until')).toThrow(TimeArgumentError);
    expect(() => parseInstant(text, '--until')).toThrow(`--until: "${text}" is neither epoch seconds nor an ISO 8601 time`);
  });

  it.each([
    ['milliseconds', '1763805600000', '--until: "1763805600000" is after 9999-12-31T23:59:59Z (milliseconds? in seconds that is 1763805600)'],
    ['one second past 9999', '253402300800', '--until: "253402300800" is after 9999-12-31T23:59:59Z'],
    ['more digits than a double holds', '9'.repeat(400), `--until: "${'9'.repeat(400)}" is after 9999-12-31T23:59:59Z`],
    ['the end of 9999 in a zone west of UTC', '9999-12-31T23:30:00-01:00', '--until: "9999-12-31T23:30:00-01:00" is after 9999-12-31T23:59:59Z'],
    ['a second before the epoch', '1969-12-31T23:59:59Z', '--until: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z'],
    // Date.UTC would read year 70 as 1970: this must not become the epoch.
    ['year 70', '0070-01-01T00:00:00Z', '--until: "0070-01-01T00:00:00Z" is before 1970-01-01T00:00:00Z'],
    ['year 0', '0000-01-01', '--until: "0000-01-01" is before 1970-01-01T00:00:00Z'],
  ])('refuses %s as out of range', (_why, text, message) => {
    expect(() => parseInstant(text, '--until')).toThrow(TimeArgumentError);
    expect(() => parseInstant(text, '--until')).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['1H', 3600],
    ['2d', 172800],
    [' 30 m ', 1800],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['0', '0h', '-1h', '1.5h', '1w', 'h', '', 'one hour', '1e3', 'NaN', 'Infinity', '0x10', '１h', '99999999999999999999d'])('refuses %j, naming the option', (text) => {
    expect(() => parseDuration(text, '--window')).toThrow(TimeArgumentError);
    expect(() => parseDuration(text, '--window')).toThrow(/^--window: /);
  });

  it('is at most a century by default, or the given maximum, and says which', () => {
    expect(parseDuration('36500d')).toBe(MAX_DURATION_SECONDS);
    expect(() => parseDuration('36501d', '--window')).toThrow('--window: "36501d" is too long (at most 36500d)');
    expect(() => parseDuration('99999999999999', '--window')).toThrow('--window: "99999999999999" is too long (at most 36500d)');
    expect(parseDuration('7d', '--approval-timeout', 7 * 86400)).toBe(604800);
    expect(() => parseDuration('169h', '--approval-timeout', 7 * 86400)).toThrow('--approval-timeout: "169h" is too long (at most 7d)');
  });

  it.each([
    [604800, '7d'],
    [5400, '90m'],
    [3600, '1h'],
    [3601, '3601s'],
    [45, '45s'],
  ])('formatDuration(%i) is %s, which parseDuration reads back', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('windows', () => {
  it('defaultUntil is the first whole hour strictly after the latest start', () => {
    expect(defaultUntil(1763805600 - 1)).toBe(1763805600);
    expect(defaultUntil(1763805600 - 3599)).toBe(1763805600);
    expect(defaultUntil(1763805600)).toBe(1763805600 + 3600);
  });

  it('a window is [until - seconds, until)', () => {
    const w = windowEndingAt(1763805600, 3600);
    expect(w).toEqual({ start: 1763802000, end: 1763805600 });
    expect(inWindow(w, 1763802000)).toBe(true);
    expect(inWindow(w, 1763805599)).toBe(true);
    expect(inWindow(w, 1763801999)).toBe(false);
    expect(inWindow(w, 1763805600)).toBe(false);
  });
});
