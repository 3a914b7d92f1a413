import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { generateKeySet } from '../../../core/approval/keys';
import { signApprovalLink } from '../../../core/approval/link';
import { OutboxError, OutboxNotifier, type OutboxMessage } from '../../../local/adapters/outbox';
import { fixedClock, useTempDir } from './temp-dir';

const KEYS = generateKeySet('k1');
const linkOf = (approver: string): string =>
  `http://127.0.0.1:8787/approval?token=${signApprovalLink({ approvalId: 'apr-1', incidentId: 'PORT_SCAN:203.0.113.50:1763805600', approver, issuedAt: 1763805600, expiresAt: 1763809200 }, KEYS)}`;

describe('OutboxNotifier', () => {
  const tmp = useTempDir();
  const dir = (): string => path.join(tmp.path, 'outbox');

  it('writes each notice as <time>-<n>-<topic>.json, listed in send order even within one millisecond', async () => {
    const clock = fixedClock('2025-11-22T10:00:07.123Z');
    const outbox = new OutboxNotifier(dir(), clock);
    const topics = ['critical', 'warning', 'critical'] as const;
    const ids: string[] = [];
    for (const [i, topic] of topics.entries()) ids.push((await outbox.publish({ topic, subject: `notice ${i}`, text: `text ${i}`, data: { i } })).messageId);
    const names = await fs.readdir(dir());
    expect(names.sort()).toEqual(['20251122T100007123Z-000001-critical.json', '20251122T100007123Z-000002-warning.json', '20251122T100007123Z-000003-critical.json']);
    const messages = await Promise.all(names.sort().map(async (n) => JSON.parse(await fs.readFile(path.join(dir(), n), 'utf8')) as OutboxMessage));
    expect(messages.map((m) => m.subject)).toEqual(['notice 0', 'notice 1', 'notice 2']);
    expect(messages.map((m) => m.messageId)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });

  it('writes an approval notice as <time>-<n>-approval.json with its approver attribute, keeping its link and data', async () => {
    const outbox = new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z'));
    const link = linkOf('alice@example.com');
    await outbox.publish({ topic: 'approval', approver: 'alice@example.com', subject: 'Approve blocking 203.0.113.50?', text: `Approve: ${link}`, data: { kind: 'approval', links: [{ approver: 'alice@example.com', url: link }] } });
    const [name] = await fs.readdir(dir());
    expect(name).toBe('20251122T100000000Z-000001-approval.json');
    const message = JSON.parse(await fs.readFile(path.join(dir(), name ?? ''), 'utf8')) as OutboxMessage;
    expect(message).toMatchObject({
      topic: 'approval',
      approver: 'alice@example.com',
      // What SNS would get: the attribute the approver's subscription filters on.
      messageAttributes: { approver: { DataType: 'String', StringValue: 'alice@example.com' } },
      sentAt: '2025-11-22T10:00:00.000Z',
      text: `Approve: ${link}`,
      data: { kind: 'approval', links: [{ approver: 'alice@example.com', url: link }] },
    });
  });

  it.each([
    ['an approval notice with another approver’s link', { topic: 'approval', approver: 'alice@example.com', subject: 's', text: linkOf('bob@example.com'), data: {} }, /carries a link of bob@example.com/],
    ['a critical notice with a link', { topic: 'critical', subject: 's', text: 't', data: { links: [{ url: linkOf('alice@example.com') }] } }, /critical notice carries approval links/],
    ['an approval notice for no one', { topic: 'approval', subject: 's', text: 't', data: {} }, /names its one approver/],
    ['a notice over 256 KiB', { topic: 'approval', approver: 'alice@example.com', subject: 's', text: 'x'.repeat(262_144), data: {} }, /over the 262144 SNS accepts/],
  ])('refuses, as SNS and flowir’s addressing rule would, %s, and writes nothing', async (_what, notice, message) => {
    const outbox = new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z'));
    await expect(outbox.publish(notice as never)).rejects.toThrow(expect.objectContaining({ name: 'OutboxError', message: expect.stringMatching(message) }) as Error);
    expect(await fs.readdir(dir()).catch(() => [])).toEqual([]);
  });

  it('continues the sequence of an outbox written by an earlier run', async () => {
    await new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z')).publish({ topic: 'warning', subject: 'a', text: 'a', data: {} });
    await new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z')).publish({ topic: 'warning', subject: 'b', text: 'b', data: {} });
    expect((await fs.readdir(dir())).sort()).toEqual(['20251122T100000000Z-000001-warning.json', '20251122T100000000Z-000002-warning.json']);
  });

  it('numbers concurrent notices without gaps or repeats', async () => {
    const outbox = new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z'));
    await Promise.all(Array.from({ length: 10 }, (_, i) => outbox.publish({ topic: 'warning', subject: `s${i}`, text: '', data: {} })));
    const seqs = (await fs.readdir(dir())).map((n) => Number(n.split('-')[1])).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('refuses an unknown topic', async () => {
    const outbox = new OutboxNotifier(dir(), fixedClock('2025-11-22T10:00:00Z'));
    await expect(outbox.publish({ topic: 'info' as 'warning', subject: 's', text: '', data: {} })).rejects.toBeInstanceOf(OutboxError);
  });
});
