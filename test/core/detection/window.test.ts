import { TimeArgumentError, defaultUntil, inWindow, parseDuration, parseInstant, windowEndingAt } from '../../../core/detection/window';

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
  ])('%s is %i', (text, seconds) => {
    expect(parseInstant(text)).toBe(seconds);
  });

  it.each([
    ['milliseconds', '1763805600000'],
    ['a negative number', '-5'],
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

  it.each(['0', '0h', '-1h', '1.5h', '1w', 'h', '', 'one hour', '99999999999999999999d'])('refuses %j, naming the option', (text) => {
    expect(() => parseDuration(text, '--window')).toThrow(TimeArgumentError);
    expect(() => parseDuration(text, '--window')).toThrow(/^--window: /);
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
