/** The evidence store on S3: each object sent with its SHA-256, which S3 checks on receipt. */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore, StoredObject } from '../ports';

/** Bound on ListObjectsV2 pages (1,000 keys each): an incident holds a handful of objects. */
const MAX_LIST_PAGES = 1000;

export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
}

/**
 * An ObjectStore over one S3 bucket. The bucket has Object Lock, which requires an integrity
 * checksum on every PutObject; the SHA-256 that goes into the evidence manifest is that checksum,
 * so S3 refuses the upload if the bytes it received are not the ones hashed.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer | string, contentType: string): Promise<StoredObject> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const digest = createHash('sha256').update(bytes).digest();
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType,
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: digest.toString('base64'),
      }),
    );
    return { key, sha256: digest.toString('hex'), bytes: bytes.length };
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (out.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (e) {
      if (e instanceof NoSuchKey) return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }));
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      if (out.IsTruncated !== true) return keys;
      if (out.NextContinuationToken === undefined) throw new ObjectStoreError(`s3://${this.bucket}/${prefix}: ListObjectsV2 said the list is truncated but gave no continuation token`);
      token = out.NextContinuationToken;
    }
    throw new ObjectStoreError(`s3://${this.bucket}/${prefix}: more than ${MAX_LIST_PAGES} pages of keys`);
  }
}
