import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import {
  closeSuppression,
  conditionHolds,
  decideSuppression,
  maxIncidentSeconds,
  SuppressionError,
  suppressionKey,
  suppressionSettingsFor,
  type SuppressionRecord,
  type SuppressionSettings,
} from '../../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy';

const DAY = 86400;
const T0 = 1763805600;
const settings: SuppressionSettings = suppressionSettingsFor(DEFAULT_INCIDENT_CONFIG);
const at = (end: number) => makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '203.0.113.50', null, 171, { start: end - 3600, end });

function opened(now = T0): SuppressionRecord {
  const d = decideSuppression(at(T0), undefined, now, settings);
  if (d.kind !== 'new') throw new Error('expected a new incident');
  return d.record;
}

describe('suppressionSettingsFor', () => {
  it('takes the 24 h default period and bounds an open incident by approval wait, block and an hour', () => {
    expect(settings).toEqual({ suppressionSeconds: DAY, maxOpenSeconds: 3600 + DAY + 3600 });
  });
});

describe('suppressionKey', () => {
  it('is detection and canonical source, plus the port when the detection has one', () => {
    expect(suppressionKey({ detection: 'PORT_SCAN', source: '203.0.113.50', port: null })).toBe('PORT_SCAN#203.0.113.50');
    expect(suppressionKey({ detection: 'SUSPICIOUS_PORT_ACCESS', source: '2001:DB8:0::1', port: 22 })).toBe('SUSPICIOUS_PORT_ACCESS#2001:db8::1#22');
  });

  it('refuses a source that is not an address', () => {
    expect(() => suppressionKey({ detection: 'PORT_SCAN', source: 'nope', port: null })).toThrow(SuppressionError);
  });
});

describe('decideSuppression', () => {
  it('opens a new incident when nothing is stored, named after the finding', () => {
    const d = decideSuppression(at(T0), null, T0 + 30, settings);
    expect(d.kind).toBe('new');
    expect(d.record).toMatchObject({
      key: 'PORT_SCAN#203.0.113.50',
      incidentId: 'PORT_SCAN:203.0.113.50:1763805600',
      executionName: 'PORT_SCAN-203-0-113-50-1763805600',
      openedAt: T0 + 30,
      suppressUntil: T0 + 30 + DAY,
      closedAt: null,
      repeats: 0,
    });
    expect(d.condition).toEqual({ kind: 'absent-or-expired', now: T0 + 30 });
  });

  it('suppresses the same key seen again while the incident is open, and records it on that incident', () => {
    const d = decideSuppression(at(T0 + 600), opened(), T0 + 600, settings);
    expect(d.kind).toBe('suppressed');
    if (d.kind !== 'suppressed') return;
    expect(d.incidentId).toBe('PORT_SCAN:203.0.113.50:1763805600');
    expect(d.record.repeats).toBe(1);
    expect(d.record.lastFindingId).toBe('PORT_SCAN:203.0.113.50:1763806200');
    expect(d.changed).toBe(true);
  });

  it('changes nothing when the very same finding is seen again (a re-run of the window)', () => {
    const d = decideSuppression(at(T0), opened(), T0 + 60, settings);
    expect(d.kind).toBe('suppressed');
    if (d.kind === 'suppressed') {
      expect(d.changed).toBe(false);
      expect(d.record.repeats).toBe(0);
    }
  });

  it('keeps suppressing a closed incident until the suppression period ends, and not a second longer', () => {
    const closed = closeSuppression(opened(), T0 + 1800);
    expect(decideSuppression(at(T0 + DAY - 600), closed, T0 + DAY - 1, settings).kind).toBe('suppressed');
    const after = decideSuppression(at(T0 + DAY), closed, T0 + DAY, settings);
    expect(after.kind).toBe('new');
  });

  it('suppresses an open incident past the suppression period (approval wait plus a 24 h block)', () => {
    const open = opened();
    expect(decideSuppression(at(T0 + DAY + 3600), open, T0 + DAY + 3600, settings).kind).toBe('suppressed');
    // Once it closes after its block expired, the source may open a new incident straight away.
    const closed = closeSuppression(open, T0 + DAY + 2 * 3600);
    expect(decideSuppression(at(T0 + DAY + 2 * 3600), closed, T0 + DAY + 2 * 3600, settings).kind).toBe('new');
  });

  it('stops suppressing an incident that never closed once its longest possible life has passed', () => {
    const open = opened();
    const end = T0 + maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG);
    expect(decideSuppression(at(end), open, end - 1, settings).kind).toBe('suppressed');
    expect(decideSuppression(at(end), open, end, settings).kind).toBe('new');
  });

  it('with a zero suppression period, suppresses only while open', () => {
    const s = { ...settings, suppressionSeconds: 0 };
    const d = decideSuppression(at(T0), undefined, T0, s);
    const closed = closeSuppression(d.record, T0 + 10);
    expect(decideSuppression(at(T0 + 600), d.record, T0 + 600, s).kind).toBe('suppressed');
    expect(decideSuppression(at(T0 + 600), closed, T0 + 600, s).kind).toBe('new');
  });

  it('refuses a stored record of another key', () => {
    const other = makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '203.0.113.51', null, 171, { start: T0 - 3600, end: T0 });
    expect(() => decideSuppression(other, opened(), T0 + 60, settings)).toThrow(SuppressionError);
  });

  it('closing twice keeps the first close', () => {
    const once = closeSuppression(opened(), T0 + 100);
    expect(closeSuppression(once, T0 + 200)).toBe(once);
  });
});

describe('conditionHolds (the conditional write every store makes)', () => {
  it('lets exactly one of two racing writers open the incident', () => {
    const a = decideSuppression(at(T0), undefined, T0, settings);
    const b = decideSuppression(at(T0), undefined, T0, settings);
    expect(conditionHolds(a.condition, undefined)).toBe(true);
    // a's write landed first; b's write, decided on the same empty store, must now fail.
    expect(conditionHolds(b.condition, a.record)).toBe(false);
  });

  it('lets a new incident replace an expired record', () => {
    const old = closeSuppression(opened(), T0 + 60);
    const d = decideSuppression(at(T0 + DAY), old, T0 + DAY, settings);
    expect(conditionHolds(d.condition, old)).toBe(true);
  });

  it('refuses a repeat update written over a concurrent one', () => {
    const stored = opened();
    const d1 = decideSuppression(at(T0 + 600), stored, T0 + 600, settings);
    const d2 = decideSuppression(at(T0 + 1200), stored, T0 + 1200, settings);
    expect(conditionHolds(d1.condition, stored)).toBe(true);
    expect(conditionHolds(d2.condition, d1.record)).toBe(false);
  });
});
