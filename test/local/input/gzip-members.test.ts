import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GunzipMembers, GzipDamageError } from '../../../local/input/gzip-members';

interface Decoded {
  readonly text: string;
  readonly error: Error | undefined;
}

/** Decode chunks as a reader taking 'data' events does (as the scanner does). */
function decode(chunks: readonly Buffer[]): Promise<Decoded> {
  const g = new GunzipMembers();
  const parts: Buffer[] = [];
  g.on('data', (d: Buffer) => parts.push(d));
  return new Promise((resolve) => {
    g.on('end', () => resolve({ text: Buffer.concat(parts).toString(), error: undefined }));
    g.on('error', (error) => resolve({ text: Buffer.concat(parts).toString(), error }));
    Readable.from(chunks.filter((c) => c.length > 0), { objectMode: false }).pipe(g);
  });
}

const A = 'alpha 1\nalpha 2\n'.repeat(60);
const B = 'bravo\n'.repeat(40);
const C = 'charlie\n';
const gzA = gzipSync(A);
const gzB = gzipSync(B, { level: 1 });
const gzC = gzipSync(C);
const three = Buffer.concat([gzA, gzB, gzC]);

describe('GunzipMembers on good input', () => {
  it('decodes one member', async () => {
    expect(await decode([gzA])).toEqual({ text: A, error: undefined });
  });

  it('decodes concatenated members, each with its own header', async () => {
    expect(await decode([three])).toEqual({ text: A + B + C, error: undefined });
  });

  it('gives the same output however the input is cut into chunks', async () => {
    for (let cut = 0; cut <= three.length; cut++) {
      const r = await decode([three.subarray(0, cut), three.subarray(cut)]);
      if (r.text !== A + B + C || r.error) throw new Error(`wrong at cut ${cut}: ${r.error?.message ?? 'text differs'}`);
    }
    expect(await decode([...three].map((byte) => Buffer.from([byte])))).toEqual({ text: A + B + C, error: undefined });
  });

  it('accepts an empty member and zero padding after the last member', async () => {
    expect(await decode([gzipSync(''), gzA, Buffer.alloc(16)])).toEqual({ text: A, error: undefined });
  });

  it('reads headers with a file name, as gzip(1) writes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowir-gz-'));
    try {
      writeFileSync(join(dir, 'records.log'), A);
      const named = execFileSync('gzip', ['-c', join(dir, 'records.log')]);
      expect(named[3]).toBe(8); // FLG.FNAME
      expect(await decode([named])).toEqual({ text: A, error: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // FLG.FNAME with "x.log\0", FLG.FCOMMENT with "hi\0", FLG.FEXTRA with 4 bytes, FLG.FHCRC with 2 bytes
    const body = gzA.subarray(10);
    const header = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3]),
      Buffer.from([4, 0, 1, 2, 3, 4]),
      Buffer.from('x.log\0hi\0', 'latin1'),
      Buffer.from([0, 0]),
    ]);
    expect(await decode([Buffer.concat([header, body])])).toEqual({ text: A, error: undefined });
  });
});

describe('GunzipMembers on damaged input: what came before the damage is kept', () => {
  it('a truncated last member: the members before and the part decoded so far', async () => {
    const r = await decode([gzA, gzB, gzC.subarray(0, gzC.length - 12)]);
    expect(r.text.startsWith(A + B)).toBe(true);
    expect(r.text.length).toBeLessThan((A + B + C).length);
    expect(r.error).toBeInstanceOf(GzipDamageError);
    expect(r.error?.message).toBe('unexpected end of file in member 3');
  });

  it('a member cut inside its trailer', async () => {
    const r = await decode([gzA, gzB.subarray(0, gzB.length - 3)]);
    expect(r.text).toBe(A + B);
    expect(r.error?.message).toBe('unexpected end of file in member 2 (no trailer)');
  });

  it('a file cut inside the first header', async () => {
    const r = await decode([gzA.subarray(0, 5)]);
    expect(r).toEqual({ text: '', error: expect.any(GzipDamageError) });
    expect(r.error?.message).toBe('unexpected end of file in the header of the first member');
  });

  it('a corrupt second member keeps the whole first member (zlib.createGunzip loses it)', async () => {
    const bad = Buffer.from(gzB);
    bad[12] = (bad[12] as number) ^ 0xff;
    bad[13] = (bad[13] as number) ^ 0x55;
    const r = await decode([Buffer.concat([gzA, bad, gzC])]);
    expect(r.text.startsWith(A)).toBe(true);
    expect(r.error?.message).toMatch(/^member 2: /);
  });

  it('garbage after the last member keeps the members before it', async () => {
    const r = await decode([Buffer.concat([gzA, Buffer.from('not gzip at all')])]);
    expect(r.text).toBe(A);
    expect(r.error?.message).toBe('data after member 1 is not gzip (bad magic number)');
  });

  it('a wrong CRC is reported', async () => {
    const bad = Buffer.from(gzC);
    bad[bad.length - 6] = (bad[bad.length - 6] as number) ^ 1;
    const r = await decode([gzA, bad]);
    expect(r.text).toBe(A + C);
    expect(r.error?.message).toBe('member 2 fails its CRC or length check: its content may be corrupt');
  });

  it('an unknown compression method is reported', async () => {
    const bad = Buffer.from(gzA);
    bad[2] = 7;
    expect((await decode([bad])).error?.message).toBe('unknown compression method 7');
  });
});
