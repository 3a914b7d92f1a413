import * as path from 'node:path';
import type { SuppressionEntry } from '../../../handlers/ports';
import { FileSuppressionStore, SuppressionStoreError } from '../../../local/adapters/suppression-store';
import { useTempDir } from './temp-dir';

const KEY = 'PORT_SCAN#203.0.113.50';
const entry = (findingId: string, openedAt = '2025-11-22T10:00:00Z', expiresAt = '2025-11-23T10:00:00Z'): SuppressionEntry => ({
  key: KEY,
  findingId,
  executionName: findingId.replace(/[:.]/g, '-'),
  openedAt,
  expiresAt,
  repeats: 0,
});

describe('FileSuppressionStore', () => {
  const tmp = useTempDir();
  const store = (): FileSuppressionStore => new FileSuppressionStore(path.join(tmp.path, 'suppression.json'));

  it('lets exactly one of many concurrent claims win; the others get the winner', async () => {
    const s = store();
    const ids = Array.from({ length: 12 }, (_, i) => `PORT_SCAN:203.0.113.50:${1763805600 + i * 600}`);
    const results = await Promise.all(ids.map((id) => s.claim(entry(id), '2025-11-22T10:00:00Z')));
    const winners = results.filter((r) => r.claimed);
    expect(winners).toHaveLength(1);
    const stored = await s.get(KEY);
    for (const r of results) if (!r.claimed) expect(r.existing).toEqual(stored);
    expect(ids).toContain(stored?.findingId);
  });

  it('lets a new claim win once the live entry has expired (at expiresAt exactly)', async () => {
    const s = store();
    await s.claim(entry('PORT_SCAN:203.0.113.50:1763805600'), '2025-11-22T10:00:00Z');
    const during = await s.claim(entry('PORT_SCAN:203.0.113.50:1763892000', '2025-11-23T09:59:59Z', '2025-11-24T09:59:59Z'), '2025-11-23T09:59:59Z');
    expect(during.claimed).toBe(false);
    const after = await s.claim(entry('PORT_SCAN:203.0.113.50:1763892600', '2025-11-23T10:00:00Z', '2025-11-24T10:00:00Z'), '2025-11-23T10:00:00Z');
    expect(after.claimed).toBe(true);
    expect((await s.get(KEY))?.findingId).toBe('PORT_SCAN:203.0.113.50:1763892600');
  });

  it('lets the winner claim again (a retried step) without handing the key to anyone else', async () => {
    const s = store();
    const mine = entry('PORT_SCAN:203.0.113.50:1763805600');
    expect((await s.claim(mine, '2025-11-22T10:00:00Z')).claimed).toBe(true);
    expect((await s.claim(mine, '2025-11-22T10:05:00Z')).claimed).toBe(true);
    expect((await s.claim(entry('PORT_SCAN:203.0.113.50:1763806200'), '2025-11-22T10:05:00Z')).claimed).toBe(false);
  });

  it('records each repeat once per finding', async () => {
    const s = store();
    await s.claim(entry('PORT_SCAN:203.0.113.50:1763805600'), '2025-11-22T10:00:00Z');
    await s.recordRepeat(KEY, 'PORT_SCAN:203.0.113.50:1763806200');
    await s.recordRepeat(KEY, 'PORT_SCAN:203.0.113.50:1763806200');
    await s.recordRepeat(KEY, 'PORT_SCAN:203.0.113.50:1763806800');
    await s.recordRepeat(KEY, 'PORT_SCAN:203.0.113.50:1763805600');
    expect((await s.get(KEY))?.repeats).toBe(2);
  });

  it('refuses a repeat on a key nobody claimed, and bad times', async () => {
    await expect(store().recordRepeat('PORT_SCAN#192.0.2.1', 'x')).rejects.toBeInstanceOf(SuppressionStoreError);
    await expect(store().claim(entry('PORT_SCAN:203.0.113.50:1763805600'), 'now')).rejects.toBeInstanceOf(SuppressionStoreError);
  });
});
