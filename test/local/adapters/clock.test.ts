import { ClockError, SimulatedClock } from '../../../local/adapters/clock';

describe('SimulatedClock', () => {
  const start = Date.parse('2025-11-22T10:00:00Z');

  it('runs with real time plus the advances made, and records each one', () => {
    let real = start;
    const clock = new SimulatedClock(() => real);
    expect(clock.now().toISOString()).toBe('2025-11-22T10:00:00.000Z');
    real += 5000;
    const advance = clock.advance(86_400, 'WaitForExpiry: block expiry fast-forwarded', 'WaitForExpiry');
    expect(advance).toEqual({ from: '2025-11-22T10:00:05.000Z', to: '2025-11-23T10:00:05.000Z', seconds: 86_400, reason: 'WaitForExpiry: block expiry fast-forwarded', state: 'WaitForExpiry', atRealMs: start + 5000 });
    real += 1000;
    expect(clock.now().toISOString()).toBe('2025-11-23T10:00:06.000Z');
    expect(clock.advances()).toEqual([advance]);
  });

  it('maps a real instant to simulated time: advances made after it do not count', () => {
    let real = start;
    const clock = new SimulatedClock(() => real);
    real += 1000;
    clock.advance(60, 'poll');
    expect(clock.toSimulatedMs(start + 999)).toBe(start + 999);
    expect(clock.toSimulatedMs(start + 1000)).toBe(start + 1000 + 60_000);
  });

  it('advances to a timestamp ahead, and not to one already passed', () => {
    const clock = new SimulatedClock(() => start);
    expect(clock.advanceTo(new Date('2025-11-22T09:00:00Z'), 'past')).toBeNull();
    expect(clock.advanceTo(new Date('2025-11-22T11:00:00Z'), 'wait until')?.seconds).toBe(3600);
    expect(clock.now().toISOString()).toBe('2025-11-22T11:00:00.000Z');
  });

  it('never goes back and needs a reason', () => {
    const clock = new SimulatedClock(() => start);
    expect(() => clock.advance(-1, 'back')).toThrow(ClockError);
    expect(() => clock.advance(10, ' ')).toThrow(ClockError);
    expect(clock.advance(0, 'nothing')).toBeNull();
    expect(clock.advances()).toEqual([]);
  });
});
