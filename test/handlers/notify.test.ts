import type { Notice, NotifierPort } from '../../handlers/ports';
import { createNotifyHandler } from '../../handlers/notify';
import { evidence, executionFor, finding } from './mocks/fixtures';

class RecordingNotifier implements NotifierPort {
  readonly notices: Notice[] = [];
  async publish(notice: Notice): Promise<{ messageId: string }> {
    this.notices.push(notice);
    return { messageId: `m-${this.notices.length}` };
  }
}

describe('notify handler', () => {
  it('sends a warning finding to the warning topic with the facts in plain words', async () => {
    const notifier = new RecordingNotifier();
    const f = finding('203.0.113.50', 'HIGH_TRAFFIC_VOLUME');
    const out = await createNotifyHandler({ notifier })({ kind: 'finding', finding: f, executionName: executionFor(f), evidence: evidence() });
    expect(out).toEqual({ topic: 'warning', messageId: 'm-1' });
    const [n] = notifier.notices;
    expect(n?.subject).toBe('[flowir] WARNING High traffic volume from 203.0.113.50');
    expect(n?.text).toContain('Measured:   2,500,000,000 bytes (threshold 1,000,000,000)');
    expect(n?.text).toContain('Window:     2025-11-22T09:00:00Z to 2025-11-22T10:00:00Z');
    expect(n?.text).toContain('Top destinations: 10.0.1.15 (200), 10.0.1.16 (142)');
    expect(n?.text).toContain('Top ports: 22 (SSH) (12), 3389 (RDP) (9)');
    expect(n?.data).toMatchObject({ kind: 'finding', finding: f });
  });

  it('sends critical findings, escalations and failures to the critical topic', async () => {
    const notifier = new RecordingNotifier();
    const notify = createNotifyHandler({ notifier });
    const warning = finding('203.0.113.50', 'HIGH_CONNECTION_COUNT');
    const critical = finding('203.0.113.50', 'SUSPICIOUS_PORT_ACCESS');
    expect((await notify({ kind: 'finding', finding: critical, executionName: executionFor(critical) })).topic).toBe('critical');
    expect((await notify({ kind: 'escalation', finding: warning, executionName: executionFor(warning) })).topic).toBe('critical');
    expect((await notify({ kind: 'failure', finding: warning, executionName: executionFor(warning), error: { Error: 'States.Timeout', Cause: 'BlockSource timed out' } })).topic).toBe('critical');
    expect(notifier.notices[0]?.subject).toBe('[flowir] CRITICAL Suspicious port access from 203.0.113.50 to port 22 (SSH)');
    expect(notifier.notices[1]?.text).toMatch(/^Nobody approved or rejected .*\nNothing was blocked\./);
    expect(notifier.notices[2]?.text).toContain('Error: States.Timeout\nCause: BlockSource timed out');
  });

  it('shortens a long failure cause', async () => {
    const notifier = new RecordingNotifier();
    const f = finding('203.0.113.50');
    await createNotifyHandler({ notifier })({ kind: 'failure', finding: f, executionName: executionFor(f), error: { Error: 'Lambda.Unknown', Cause: 'x'.repeat(10_000) } });
    expect(notifier.notices[0]?.text).toContain(`${'x'.repeat(2000)}... (10000 characters)`);
    expect(notifier.notices[0]?.text).not.toContain('x'.repeat(2001));
  });

  it('refuses a failure notice without the error, and an unknown kind, naming the field', async () => {
    const notify = createNotifyHandler({ notifier: new RecordingNotifier() });
    const f = finding('203.0.113.50');
    await expect(notify({ kind: 'failure', finding: f, executionName: executionFor(f) })).rejects.toThrow(/^error: a failure notice needs the error/);
    await expect(notify({ kind: 'other' as 'finding', finding: f, executionName: executionFor(f) })).rejects.toThrow(/^kind: expected one of finding, escalation, failure/);
  });
});
