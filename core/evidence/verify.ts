import { createHash } from 'node:crypto';
import type { EvidenceManifest } from './manifest';

/** An object's bytes, streamed or whole; undefined or null when the object does not exist. */
export type EvidenceContent = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined | null;

/** Reads one object by key (the S3 or local-disk adapter). Other failures than "not found" should throw. */
export type ReadEvidenceObject = (key: string) => EvidenceContent | Promise<EvidenceContent>;

export type ObjectStatus = 'verified' | 'mismatched' | 'missing';

export interface ObjectVerification {
  readonly key: string;
  readonly status: ObjectStatus;
  readonly expected: { readonly sha256: string; readonly bytes: number };
  /** What was read; null when missing. */
  readonly actual: { readonly sha256: string; readonly bytes: number } | null;
}

export interface ManifestVerification {
  /** Every object present with the recorded hash and size. */
  readonly ok: boolean;
  readonly objects: readonly ObjectVerification[];
  readonly counts: Readonly<Record<ObjectStatus, number>>;
}

export class EvidenceReadError extends Error {
  override readonly name = 'EvidenceReadError';
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`reading evidence object "${key}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

async function digest(content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  if (content instanceof Uint8Array) return { sha256: hash.update(content).digest('hex'), bytes: content.length };
  let bytes = 0;
  for await (const chunk of content) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Re-read every object a manifest lists and compare its SHA-256 and size with the recorded ones.
 * Objects are read one at a time, streamed when the reader streams, so memory stays small.
 * A read that fails (rather than finding nothing) throws {@link EvidenceReadError} naming the key.
 */
export async function verifyManifest(manifest: EvidenceManifest, readObject: ReadEvidenceObject): Promise<ManifestVerification> {
  const objects: ObjectVerification[] = [];
  const counts: Record<ObjectStatus, number> = { verified: 0, mismatched: 0, missing: 0 };
  for (const o of manifest.objects) {
    const expected = { sha256: o.sha256, bytes: o.bytes };
    let actual: { sha256: string; bytes: number } | null;
    try {
      const content = await readObject(o.key);
      actual = content == null ? null : await digest(content);
    } catch (e) {
      throw new EvidenceReadError(o.key, e);
    }
    const status: ObjectStatus = actual === null ? 'missing' : actual.sha256 === o.sha256 && actual.bytes === o.bytes ? 'verified' : 'mismatched';
    counts[status]++;
    objects.push({ key: o.key, status, expected, actual });
  }
  return { ok: counts.mismatched === 0 && counts.missing === 0, objects, counts };
}
