import { createHash } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import 'aws-sdk-client-mock-jest';
import { ObjectStoreError, S3ObjectStore } from '../../../handlers/aws/object-store';
import { fakeS3Bucket } from './fake-s3';

const BUCKET = 'flowir-dev-evidence-123456789012';

describe('S3ObjectStore', () => {
  let fake: ReturnType<typeof fakeS3Bucket>;
  afterEach(() => fake.mock.restore());

  it('puts an object with its SHA-256 as the integrity checksum and returns the hex digest', async () => {
    fake = fakeS3Bucket(BUCKET);
    const store = new S3ObjectStore(fake.client, BUCKET);
    const body = Buffer.from('2 123456789012 eni-0a 198.51.100.23 10.0.1.20 40000 1000 6 1 40 1763802120 1763802180 REJECT OK\n');
    const stored = await store.put('incidents/x/records.log', body, 'text/plain');
    const digest = createHash('sha256').update(body).digest();
    expect(stored).toEqual({ key: 'incidents/x/records.log', sha256: digest.toString('hex'), bytes: body.length });
    expect(fake.mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: 'incidents/x/records.log', ContentType: 'text/plain', ChecksumAlgorithm: 'SHA256', ChecksumSHA256: digest.toString('base64') });
    expect(await store.get('incidents/x/records.log')).toEqual(body);
  });

  it('hashes text as UTF-8, as the manifest records it', async () => {
    fake = fakeS3Bucket(BUCKET);
    const store = new S3ObjectStore(fake.client, BUCKET);
    const stored = await store.put('incidents/x/query.json', '{"note":"café"}', 'application/json');
    expect(stored.sha256).toBe(createHash('sha256').update(Buffer.from('{"note":"café"}', 'utf8')).digest('hex'));
    expect(stored.bytes).toBe(16);
  });

  it('reads a missing key as undefined, and passes other failures on', async () => {
    fake = fakeS3Bucket(BUCKET);
    expect(await new S3ObjectStore(fake.client, BUCKET).get('incidents/none/manifest.json')).toBeUndefined();
    await expect(new S3ObjectStore(fake.client, 'another-bucket').get('k')).rejects.toBeInstanceOf(S3ServiceException);
  });

  it('lists every page of keys under a prefix', async () => {
    fake = fakeS3Bucket(BUCKET, { pageSize: 2 });
    const store = new S3ObjectStore(fake.client, BUCKET);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await store.put(`incidents/one/${name}.json`, '{}', 'application/json');
    await store.put('incidents/two/a.json', '{}', 'application/json');
    expect(await store.list('incidents/one/')).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `incidents/one/${n}.json`));
    expect(fake.mock).toHaveReceivedCommandTimes(ListObjectsV2Command, 3);
  });

  it('refuses a truncated listing without a continuation token rather than loop or stop short', async () => {
    fake = fakeS3Bucket(BUCKET);
    fake.mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'incidents/a' }], IsTruncated: true });
    await expect(new S3ObjectStore(fake.client, BUCKET).list('incidents/')).rejects.toBeInstanceOf(ObjectStoreError);
  });
});
