/**
 * One S3 bucket behind aws-sdk-client-mock, keeping the rules the evidence store relies on: a
 * PutObject whose ChecksumSHA256 does not match the body fails (BadDigest) and stores nothing;
 * GetObject of a missing key raises NoSuchKey; ListObjectsV2 pages in key order with a continuation token.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

export function fakeS3Bucket(bucket: string, options: { readonly pageSize?: number } = {}) {
  const objects = new Map<string, { body: Buffer; contentType: string | undefined }>();
  const mock = mockClient(S3Client);
  const checkBucket = (name: string | undefined): void => {
    if (name !== bucket) throw new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } });
  };

  mock.on(PutObjectCommand).callsFake((input: { Bucket?: string; Key?: string; Body?: unknown; ContentType?: string; ChecksumSHA256?: string }) => {
    checkBucket(input.Bucket);
    const body = typeof input.Body === 'string' ? Buffer.from(input.Body) : Buffer.from(input.Body as Uint8Array);
    const digest = createHash('sha256').update(body).digest('base64');
    if (input.ChecksumSHA256 !== undefined && input.ChecksumSHA256 !== digest) {
      throw new S3ServiceException({ name: 'BadDigest', $fault: 'client', message: 'The SHA256 you specified did not match the calculated checksum.', $metadata: { httpStatusCode: 400 } });
    }
    objects.set(input.Key as string, { body, contentType: input.ContentType });
    return { ChecksumSHA256: digest };
  });

  mock.on(GetObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
    checkBucket(input.Bucket);
    const o = objects.get(input.Key as string);
    if (o === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    // The SDK's body stream, as far as the store uses it.
    const Body = { transformToByteArray: async () => new Uint8Array(o.body) } as unknown as GetObjectCommandOutput['Body'];
    return { Body, ContentType: o.contentType, ContentLength: o.body.length };
  });

  mock.on(ListObjectsV2Command).callsFake((input: { Bucket?: string; Prefix?: string; ContinuationToken?: string }) => {
    checkBucket(input.Bucket);
    const size = options.pageSize ?? 1000;
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const from = input.ContinuationToken === undefined ? 0 : Number(Buffer.from(input.ContinuationToken, 'base64').toString());
    const page = keys.slice(from, from + size);
    const truncated = from + size < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, Size: objects.get(Key)?.body.length })),
      KeyCount: page.length,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: Buffer.from(String(from + size)).toString('base64') } : {}),
    };
  });

  return { mock, objects, client: new S3Client({ region: 'us-east-1' }) };
}
