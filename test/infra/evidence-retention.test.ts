/**
 * What `flowir audit` relies on years later: the evidence bucket keeps every object, the evidence
 * of incidents and the exported execution histories alike (`executions/`), under Object Lock with a
 * default retention of 7 years, versioned, and outliving the stack with the key that decrypts it.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { build, idOf } from './synth';

const SEVEN_YEARS_IN_DAYS = 7 * 365;

const { template, stack } = build();
const bucketId = idOf(stack, stack.evidence.bucket);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
const bucket = resources[bucketId];

describe('evidence retention (what the audit needs years later)', () => {
  it('the evidence bucket has Object Lock enabled, with a default retention of 7 years on every new object', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Days: SEVEN_YEARS_IN_DAYS, Mode: Match.anyValue() } } },
    });
    const rule = (bucket?.Properties?.ObjectLockConfiguration as { Rule: { DefaultRetention: Record<string, unknown> } }).Rule.DefaultRetention;
    // A default retention in days, not years, and no prefix filter: it covers incidents/ and executions/ alike.
    expect(rule).toEqual({ Mode: 'GOVERNANCE', Days: SEVEN_YEARS_IN_DAYS });
  });

  it('is versioned, so an overwrite keeps the locked version the manifest hashed', () => {
    expect(bucket?.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('no lifecycle rule expires or deletes anything before the retention ends', () => {
    const rules = ((bucket?.Properties?.LifecycleConfiguration as { Rules?: Array<Record<string, unknown>> } | undefined)?.Rules ?? []).filter((r) => r.Status !== 'Disabled');
    for (const r of rules) {
      if (typeof r.ExpirationInDays === 'number') expect(r.ExpirationInDays).toBeGreaterThanOrEqual(SEVEN_YEARS_IN_DAYS);
      const nv = r.NoncurrentVersionExpiration as { NoncurrentDays?: number } | undefined;
      if (nv?.NoncurrentDays !== undefined) expect(nv.NoncurrentDays).toBeGreaterThanOrEqual(SEVEN_YEARS_IN_DAYS);
    }
  });

  it('outlives the stack: bucket and key are retained on delete and on replacement', () => {
    expect([bucket?.DeletionPolicy, bucket?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const key = resources[idOf(stack, stack.evidence.key)];
    expect([key?.DeletionPolicy, key?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  it('COMPLIANCE mode and a longer retention can be asked for at deploy time', () => {
    const t = build({ evidenceLockMode: 'COMPLIANCE', evidenceRetentionDays: String(10 * 365) });
    const b = (t.template.toJSON().Resources as typeof resources)[idOf(t.stack, t.stack.evidence.bucket)];
    expect((b?.Properties?.ObjectLockConfiguration as { Rule: unknown }).Rule).toEqual({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } });
  });
});
