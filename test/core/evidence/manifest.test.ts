import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import {
  buildManifest,
  describeEvidenceObject,
  EvidenceKeyError,
  evidenceKey,
  evidencePrefix,
  EvidenceReadError,
  ManifestError,
  manifestKey,
  parseManifest,
  serializeManifest,
  verifyManifest,
  type EvidenceManifest,
} from '../../../core/evidence';

const window = { start: 1763802000, end: 1763805600 };
const finding = makeFinding(DEFAULT_CONFIG, 'SUSPICIOUS_PORT_ACCESS', '2001:db8::1', 22, 14, window);
const records = Array.from({ length: 14 }, (_, i) => `2 123456789012 eni-0a1b 2001:db8::1 2001:db8:1::10 ${40000 + i} 22 6 1 60 ${window.start + i * 60} ${window.start + i * 60 + 5} REJECT OK`).join('\n');

/** The stored objects of an incident, as an S3 or disk adapter would hold them. */
function store(): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  m.set(evidenceKey(finding.id, 'records.log.gz'), gzipSync(Buffer.from(`${records}\n`)));
  m.set(evidenceKey(finding.id, 'query.json'), Buffer.from(JSON.stringify({ engine: 'logs-insights', query: 'filter action = "REJECT" | stats count(*) by srcaddr, dstport' })));
  m.set(evidenceKey(finding.id, 'security-groups.json'), Buffer.from('{"SecurityGroups":[]}'));
  return m;
}

function manifestOf(objects: Map<string, Uint8Array>): EvidenceManifest {
  const types: Record<string, string> = { gz: 'application/gzip', json: 'application/json' };
  return buildManifest({
    finding,
    createdAt: window.end + 42,
    objects: [...objects].map(([key, bytes]) => describeEvidenceObject(key, bytes, types[key.split('.').pop() ?? ''] ?? 'application/octet-stream')),
  });
}

describe('evidence layout', () => {
  it('puts evidence under incidents/<execution name>/, safe for S3 keys and file systems', () => {
    expect(evidencePrefix('PORT_SCAN:203.0.113.50:1763805600')).toBe('incidents/PORT_SCAN-203-0-113-50-1763805600/');
    expect(evidencePrefix(finding.id)).toBe('incidents/SUSPICIOUS_PORT_ACCESS-2001-db8--1-22-1763805600/');
    expect(manifestKey(finding.id)).toBe('incidents/SUSPICIOUS_PORT_ACCESS-2001-db8--1-22-1763805600/manifest.json');
    expect(evidencePrefix('../../etc/passwd')).toMatch(/^incidents\/[A-Za-z0-9_-]+\/$/);
  });

  it.each(['../x', 'a/b', '.hidden', 'manifest.json', '', 'a b'])('refuses the object name %j', (name) => {
    expect(() => evidenceKey(finding.id, name)).toThrow(EvidenceKeyError);
  });
});

describe('manifest', () => {
  it('records each object with the SHA-256 and size of its exact bytes, sorted by key', () => {
    const objects = store();
    const m = manifestOf(objects);
    expect(m.version).toBe(1);
    expect(m.findingId).toBe(finding.id);
    expect(m.createdAt).toBe('2025-11-22T10:00:42Z');
    expect(m.objects.map((o) => o.key.slice(m.prefix.length))).toEqual(['query.json', 'records.log.gz', 'security-groups.json']);
    const gz = m.objects.find((o) => o.key.endsWith('.gz'));
    expect(gz?.bytes).toBe(objects.get(gz?.key ?? '')?.length);
    expect(describeEvidenceObject('k', 'abc', 'text/plain').sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('round-trips through its stored text', () => {
    const m = manifestOf(store());
    expect(parseManifest(serializeManifest(m))).toEqual(m);
  });

  it('keeps a byte sum beyond 2^53 exact', () => {
    const big = makeFinding(DEFAULT_CONFIG, 'HIGH_TRAFFIC_VOLUME', '203.0.113.9', null, 2n ** 60n, window);
    const m = buildManifest({ finding: big, createdAt: window.end, objects: [] });
    expect(serializeManifest(m)).toContain('"value": "1152921504606846976"');
    expect(parseManifest(serializeManifest(m)).finding.value).toBe('1152921504606846976');
  });

  it.each([
    ['outside the prefix', { key: 'incidents/other/records.log.gz' }, 'objects[0].key'],
    ['in a sub-folder', { key: `${evidencePrefix(finding.id)}a/b` }, 'objects[0].key'],
    ['the manifest itself', { key: manifestKey(finding.id) }, 'objects[0].key'],
    ['a bad hash', { sha256: 'ABC' }, 'objects[0].sha256'],
    ['a negative size', { bytes: -1 }, 'objects[0].bytes'],
  ])('refuses an object %s', (_what, patch, field) => {
    const o = { ...describeEvidenceObject(evidenceKey(finding.id, 'x.json'), '{}', 'application/json'), ...patch };
    try {
      buildManifest({ finding, createdAt: window.end, objects: [o] });
      throw new Error('expected a ManifestError');
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError);
      expect((e as ManifestError).field).toBe(field);
    }
  });

  it('refuses an object listed twice', () => {
    const o = describeEvidenceObject(evidenceKey(finding.id, 'x.json'), '{}', 'application/json');
    expect(() => buildManifest({ finding, createdAt: window.end, objects: [o, o] })).toThrow(/listed twice/);
  });

  it.each([
    ['not JSON', (t: string) => t.slice(0, -3), /manifest.json: not valid JSON/],
    ['another version', (t: string) => t.replace('"version": 1', '"version": 2'), /manifest.json: version: expected 1/],
    ['a finding id that does not match the finding', (t: string) => t.replace('"findingId": "SUSPICIOUS_PORT_ACCESS:2001:db8::1:22', '"findingId": "SUSPICIOUS_PORT_ACCESS:2001:db8::2:22'), /findingId/],
    ['an altered finding source', (t: string) => t.replace('"source": "2001:db8::1"', '"source": "2001:db8::2"'), /finding\.id/],
    ['an altered hash', (t: string) => t.replace(/"sha256": "[0-9a-f]/, '"sha256": "X'), /objects\[\d\]\.sha256/],
  ])('names what is wrong in a stored manifest with %s', (_what, edit, message) => {
    const text = edit(serializeManifest(manifestOf(store())));
    expect(() => parseManifest(text, 'manifest.json')).toThrow(message);
  });
});

describe('verifyManifest', () => {
  it('verifies every object read back unchanged', async () => {
    const objects = store();
    const v = await verifyManifest(manifestOf(objects), (key) => objects.get(key));
    expect(v.ok).toBe(true);
    expect(v.counts).toEqual({ verified: 3, mismatched: 0, missing: 0 });
  });

  it('finds a changed byte, a truncated object and a missing one', async () => {
    const objects = store();
    const m = manifestOf(objects);
    const gzKey = evidenceKey(finding.id, 'records.log.gz');
    const gz = Buffer.from(objects.get(gzKey) as Uint8Array);
    gz[gz.length - 5] = (gz[gz.length - 5] as number) ^ 0xff;
    objects.set(gzKey, gz);
    const qKey = evidenceKey(finding.id, 'query.json');
    objects.set(qKey, (objects.get(qKey) as Uint8Array).subarray(1));
    objects.delete(evidenceKey(finding.id, 'security-groups.json'));

    const v = await verifyManifest(m, async (key) => objects.get(key));
    expect(v.ok).toBe(false);
    expect(Object.fromEntries(v.objects.map((o) => [o.key.slice(m.prefix.length), o.status]))).toEqual({ 'records.log.gz': 'mismatched', 'query.json': 'mismatched', 'security-groups.json': 'missing' });
    const q = v.objects.find((o) => o.key === qKey);
    expect(q?.actual?.bytes).toBe((q?.expected.bytes ?? 0) - 1);
    expect(v.objects.find((o) => o.status === 'missing')?.actual).toBeNull();
  });

  it('hashes streamed objects chunk by chunk', async () => {
    const objects = store();
    async function* chunks(bytes: Uint8Array) {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const v = await verifyManifest(manifestOf(objects), (key) => {
      const b = objects.get(key);
      return b === undefined ? undefined : chunks(b);
    });
    expect(v.counts.verified).toBe(3);
  });

  it('reports a failed read as a typed error naming the key, with the cause', async () => {
    const m = manifestOf(store());
    const denied = new Error('AccessDenied');
    const err = await verifyManifest(m, () => Promise.reject(denied)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvidenceReadError);
    expect((err as EvidenceReadError).key).toBe(m.objects[0]?.key);
    expect((err as EvidenceReadError).cause).toBe(denied);
  });
});
