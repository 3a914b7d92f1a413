import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileObjectStore, ObjectKeyError } from '../../../local/adapters/object-store';
import { useTempDir } from './temp-dir';

describe('FileObjectStore', () => {
  const tmp = useTempDir();
  const store = (): FileObjectStore => new FileObjectStore(path.join(tmp.path, 'evidence'));

  it('stores an object under its key and returns its sha256 and size', async () => {
    const body = Buffer.from('{"records": 171}\n');
    const stored = await store().put('incidents/PORT_SCAN:203.0.113.50:1763805600/manifest.json', body, 'application/json');
    expect(stored).toEqual({ key: 'incidents/PORT_SCAN:203.0.113.50:1763805600/manifest.json', sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length });
    const onDisk = await fs.readFile(path.join(tmp.path, 'evidence', 'incidents', 'PORT_SCAN:203.0.113.50:1763805600', 'manifest.json'));
    expect(onDisk.equals(body)).toBe(true);
    expect((await store().get(stored.key))?.equals(body)).toBe(true);
  });

  it('counts bytes, not characters, for text bodies', async () => {
    const stored = await store().put('a/é.txt', 'é', 'text/plain');
    expect(stored.bytes).toBe(2);
  });

  it('returns undefined for a key that holds nothing (and for a folder)', async () => {
    await store().put('a/b/c', 'x', 'text/plain');
    expect(await store().get('a/b/missing')).toBeUndefined();
    expect(await store().get('a/b')).toBeUndefined();
  });

  it.each([
    ['../outside.txt', '".." segment'],
    ['incidents/../../outside.txt', '".." segment'],
    ['/etc/passwd', 'absolute'],
    ['a//b', 'empty segment'],
    ['a\\..\\b', 'backslash'],
    ['./a', '"." segment'],
    ['a/.hidden', 'starting with "."'],
    ['', 'empty'],
  ])('refuses key %j (%s) and writes nothing', async (key) => {
    await expect(store().put(key, 'x', 'text/plain')).rejects.toBeInstanceOf(ObjectKeyError);
    await expect(store().get(key)).rejects.toBeInstanceOf(ObjectKeyError);
    expect(await fs.readdir(tmp.path)).toEqual([]);
  });

  it('lists keys by string prefix, as S3 does, in byte order', async () => {
    const s = store();
    for (const key of ['incidents/B/raw.log.gz', 'incidents/A/manifest.json', 'incidents/AB/manifest.json', 'other/x', 'incidents/A/query.json']) await s.put(key, key, 'text/plain');
    expect(await s.list('incidents/A/')).toEqual(['incidents/A/manifest.json', 'incidents/A/query.json']);
    expect(await s.list('incidents/A')).toEqual(['incidents/A/manifest.json', 'incidents/A/query.json', 'incidents/AB/manifest.json']);
    expect(await s.list('')).toEqual(['incidents/A/manifest.json', 'incidents/A/query.json', 'incidents/AB/manifest.json', 'incidents/B/raw.log.gz', 'other/x']);
    expect(await s.list('nothing/')).toEqual([]);
    await expect(s.list('../')).rejects.toBeInstanceOf(ObjectKeyError);
  });

  it('replaces an object whole and leaves no temporary files behind', async () => {
    const s = store();
    await s.put('k/v.json', 'first version', 'text/plain');
    await s.put('k/v.json', 'second', 'text/plain');
    expect((await s.get('k/v.json'))?.toString()).toBe('second');
    expect(await fs.readdir(path.join(tmp.path, 'evidence', 'k'))).toEqual(['v.json']);
  });
});
