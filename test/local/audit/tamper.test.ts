/**
 * Evidence verification: an intact run verifies clean; one altered byte in any evidence object, or
 * one object removed, makes `flowir audit` name it and exit 3 (a failed check); so does a forgery that rewrites the
 * records and their manifest hash together, because the recount no longer matches the history.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { fakeS3Bucket } from '../../handlers/aws/fake-s3';
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { exportedDocument, fakeStepFunctions, INCIDENT_MACHINE_ARN } from './aws-shape';
import { audit, auditJson } from './cli';
import { playScenario, tempStateDir, type PlayedScenario } from './scenario';

const OBJECTS = ['query.json', 'records.log.gz', 'recount.json', 'security-groups.json', 'summary.json'];
let original: PlayedScenario;

beforeAll(async () => {
  original = await playScenario('contained');
});

/** A fresh copy of the played run, to tamper with. */
function copy(): { dir: string; evidence: (name: string) => string } {
  const dir = tempStateDir();
  cpSync(original.stateDir, dir, { recursive: true });
  return { dir, evidence: (name) => path.join(dir, 'evidence', 'incidents', original.executionName, name) };
}

function flipOneByte(file: string): void {
  const bytes = readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  writeFileSync(file, bytes);
}

describe('evidence verification', () => {
  it('an intact run verifies clean, exit 0', async () => {
    const { dir } = copy();
    const r = await audit([original.executionName, '--state-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nAll checks passed: the history matches its anchor and agrees with the approval store and the block registry; 5 evidence objects match their manifest hashes, and the recount from the raw records matches the history\.\n\nA local audit catches an edit made alone to [^\n]*\n$/);
  });

  it.each(OBJECTS)('one altered byte in %s: named as altered, exit 3', async (name) => {
    const { dir, evidence } = copy();
    flipOneByte(evidence(name));
    const text = await audit([original.executionName, '--state-dir', dir]);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('CHECKS FAILED — the record has been altered or is incomplete:');
    expect(text.stdout).toContain(`✗ ${name}: altered — sha256 is `);
    const { code, report } = await auditJson([original.executionName, '--state-dir', dir]);
    expect(code).toBe(3);
    expect(report.ok).toBe(false);
    expect(report.evidence.verdict).toBe('failed');
    expect(report.evidence.objects.filter((o) => o.status !== 'verified').map((o) => [o.key.split('/').pop(), o.status])).toEqual([[name, 'mismatched']]);
  });

  it.each(OBJECTS)('%s removed: named as missing, exit 3', async (name) => {
    const { dir, evidence } = copy();
    rmSync(evidence(name));
    const { code, report } = await auditJson([original.executionName, '--state-dir', dir]);
    expect(code).toBe(3);
    expect(report.evidence.objects.filter((o) => o.status !== 'verified').map((o) => [o.key.split('/').pop(), o.status])).toEqual([[name, 'missing']]);
    expect(report.problems).toContainEqual(expect.stringMatching(new RegExp(`^${name.replace('.', '\\.')}: missing`)));
  });

  it('the manifest removed: said plainly, exit 3', async () => {
    const { dir, evidence } = copy();
    rmSync(evidence('manifest.json'));
    const r = await audit([original.executionName, '--state-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`✗ the manifest incidents/${original.executionName}/manifest.json is missing`);
  });

  it('records rewritten with their manifest hash updated: the recount no longer matches the history, exit 3', async () => {
    const { dir, evidence } = copy();
    const lines = gunzipSync(readFileSync(evidence('records.log.gz'))).toString('utf8').split('\n');
    // Drop one rejected record of the source: one distinct port fewer.
    const forged = gzipSync(Buffer.from(lines.filter((_line, i) => i !== 5).join('\n')));
    writeFileSync(evidence('records.log.gz'), forged);
    const manifest = JSON.parse(readFileSync(evidence('manifest.json'), 'utf8')) as { objects: Array<{ key: string; sha256: string; bytes: number }> };
    for (const o of manifest.objects) {
      if (o.key.endsWith('/records.log.gz')) Object.assign(o, { sha256: createHash('sha256').update(forged).digest('hex'), bytes: forged.length });
    }
    writeFileSync(evidence('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const { code, report } = await auditJson([original.executionName, '--state-dir', dir]);
    expect(code).toBe(3);
    expect(report.evidence.objects.every((o) => o.status === 'verified')).toBe(true);
    expect(report.problems).toEqual([
      expect.stringMatching(/^the manifest itself was altered: its sha256 is [0-9a-f]{64}, the execution history recorded [0-9a-f]{64}$/),
      'recount: the raw records in the evidence give 59, but the execution recorded 60',
      'recount: recount.json says 60, the raw records give 59',
    ]);
  });

  it('an object and its manifest entry rewritten together, recount untouched: the manifest hash in the history catches it, exit 3', async () => {
    const { dir, evidence } = copy();
    const forged = Buffer.from('{"interfaces":[],"note":"nothing to see"}\n');
    writeFileSync(evidence('security-groups.json'), forged);
    const manifest = JSON.parse(readFileSync(evidence('manifest.json'), 'utf8')) as { objects: Array<{ key: string; sha256: string; bytes: number }> };
    for (const o of manifest.objects) {
      if (o.key.endsWith('/security-groups.json')) Object.assign(o, { sha256: createHash('sha256').update(forged).digest('hex'), bytes: forged.length });
    }
    writeFileSync(evidence('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const { code, report } = await auditJson([original.executionName, '--state-dir', dir]);
    expect(code).toBe(3);
    expect(report.evidence.objects.every((o) => o.status === 'verified')).toBe(true);
    expect(report.problems).toEqual([expect.stringMatching(/^the manifest itself was altered/)]);
  });

  it('an object added under the prefix is reported, but is not part of the record and fails nothing', async () => {
    const { dir, evidence } = copy();
    writeFileSync(evidence('extra.txt'), 'added later');
    const { code, report } = await auditJson([original.executionName, '--state-dir', dir]);
    expect(code).toBe(0);
    expect(report.evidence.unlisted).toEqual([`incidents/${original.executionName}/extra.txt`]);
  });

  it('in the evidence bucket too: one altered object read through --aws --evidence-bucket, exit 3', async () => {
    const s3 = fakeS3Bucket('flowir-evidence');
    const sfn = fakeStepFunctions([{ doc: original.document, stateMachineArn: INCIDENT_MACHINE_ARN }]);
    const { evidence } = copy();
    for (const name of [...OBJECTS, 'manifest.json']) s3.objects.set(`incidents/${original.executionName}/${name}`, { body: readFileSync(evidence(name)), contentType: undefined });
    const tampered = s3.objects.get(`incidents/${original.executionName}/security-groups.json`);
    if (tampered) tampered.body = Buffer.from(tampered.body.toString().replace('"interfaces"', '"Interfaces"'));
    try {
      const r = await audit([original.executionName, '--aws', '--state-machine', INCIDENT_MACHINE_ARN, '--evidence-bucket', 'flowir-evidence']);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('✗ security-groups.json: altered — sha256 is ');
      expect(r.stdout).toContain('in s3://flowir-evidence');
    } finally {
      s3.mock.restore();
      sfn.mock.restore();
    }
  });

  it('reads each object\'s Object Lock from the bucket, and warns (without failing) about one that is not locked', async () => {
    const s3 = fakeS3Bucket('flowir-evidence');
    const { evidence } = copy();
    for (const name of [...OBJECTS, 'manifest.json']) s3.objects.set(`incidents/${original.executionName}/${name}`, { body: readFileSync(evidence(name)), contentType: undefined });
    const historyKey = `executions/flowir-dev-incident/${original.executionName}.json`;
    s3.objects.set(historyKey, { body: Buffer.from(exportedDocument(original.document, INCIDENT_MACHINE_ARN)), contentType: 'application/json' });
    s3.mock.on(HeadObjectCommand).callsFake((input: { Key?: string }) => {
      const key = input.Key ?? '';
      if (!s3.objects.has(key)) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
      // One object written without the lock (e.g. before Object Lock was turned on).
      if (key.endsWith('/summary.json')) return { VersionId: 'v1' };
      return { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date('2032-11-22T10:00:00Z'), VersionId: 'v1' };
    });
    try {
      const { code, report } = await auditJson([original.executionName, '--evidence-bucket', 'flowir-evidence']);
      expect(code).toBe(0);
      expect(report.historyRetention).toEqual({ key: historyKey, mode: 'GOVERNANCE', retainUntil: '2032-11-22T10:00:00.000Z', versionId: 'v1', locked: true });
      expect(report.evidence.retention.map((r) => [r.key.split('/').pop(), r.locked])).toEqual([
        ['manifest.json', true],
        ['query.json', true],
        ['records.log.gz', true],
        ['recount.json', true],
        ['security-groups.json', true],
        ['summary.json', false],
      ]);
      expect(report.warnings).toEqual([`incidents/${original.executionName}/summary.json is not under Object Lock: nothing kept it from being overwritten or deleted`]);
      const text = await audit([original.executionName, '--evidence-bucket', 'flowir-evidence']);
      expect(text.stdout).toContain(`History   ${historyKey} is under Object Lock (GOVERNANCE) until 2032-11-22T10:00:00.000Z`);
      expect(text.stdout).toContain(`  ! incidents/${original.executionName}/summary.json is not under Object Lock`);
    } finally {
      s3.mock.restore();
    }
  });
});
