/** SnapshotEvidence through the AWS adapters, with the SDK mocked at its edge (Logs Insights, EC2, S3). */
import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../core/detection/config';
import { makeFinding } from '../../core/detection/findings';
import { parseManifest, verifyManifest } from '../../core/evidence';
import { FlowLogFormat } from '../../core/flowlog/format';
import { toFindingData } from '../../core/incident';
import { generateSample } from '../../core/sample';
import { LogsInsightsRecordSource } from '../../handlers/aws/flow-record-source';
import { Ec2NetworkInventory } from '../../handlers/aws/network-inventory';
import { S3ObjectStore } from '../../handlers/aws/object-store';
import { createEvidenceHandler } from '../../handlers/evidence';
import { fakeLogsInsights } from './aws/fake-logs-insights';
import { fakeS3Bucket } from './aws/fake-s3';
import { SettableClock } from './fakes/ports';

const UNTIL = 1763805600;
const window = { start: UNTIL - 3600, end: UNTIL };
const BUCKET = 'flowir-dev-evidence';
const LOG_GROUP = '/aws/vpc/flowlogs/dev';

/** EC2 that knows every interface asked for: each in the `web` group. */
function fakeEc2() {
  const ec2 = mockClient(EC2Client);
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input: { Filters?: Array<{ Values?: string[] }> }) => ({
    NetworkInterfaces: (input.Filters?.[0]?.Values ?? []).map((id) => ({ NetworkInterfaceId: id, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.20' }], Groups: [{ GroupId: 'sg-0web', GroupName: 'web' }] })),
  }));
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-0web', GroupName: 'web', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }] });
  return ec2;
}

describe('SnapshotEvidence on the AWS adapters', () => {
  const lines = [...generateSample({ records: 2000, seed: 11, format: 'v5', until: UNTIL })].flatMap((o) => o.lines);
  let logs: ReturnType<typeof fakeLogsInsights>;
  let s3: ReturnType<typeof fakeS3Bucket>;
  let ec2: ReturnType<typeof fakeEc2>;
  beforeEach(() => {
    logs = fakeLogsInsights({ logGroup: LOG_GROUP, format: FlowLogFormat.V5, lines });
    s3 = fakeS3Bucket(BUCKET);
    ec2 = fakeEc2();
  });
  afterEach(() => {
    logs.mock.restore();
    s3.mock.restore();
    ec2.restore();
  });

  it('confirms an IPv6 port scan from the raw records and leaves a manifest that verifies in the bucket', async () => {
    const handler = createEvidenceHandler({
      records: new LogsInsightsRecordSource(logs.client, { logGroupNames: [LOG_GROUP], format: FlowLogFormat.V5, poll: { intervalMs: 0, maxPolls: 5 }, sleep: async () => undefined, clock: new SettableClock(new Date((UNTIL + 600) * 1000)) }),
      inventory: new Ec2NetworkInventory(new EC2Client({ region: 'us-east-1' })),
      store: new S3ObjectStore(s3.client, BUCKET),
      clock: new SettableClock(new Date((UNTIL + 600) * 1000)),
    });
    const finding = toFindingData(makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '2001:db8:bad::50', null, 71, window));
    const out = await handler({ finding, executionName: 'PORT_SCAN_3c9d0e1f2a3b' });

    expect(out).toMatchObject({ recount: 71, confirmed: true, summary: { records: 71, rejected: 71, securityGroups: ['sg-0web'] } });
    const store = new S3ObjectStore(s3.client, BUCKET);
    const manifest = parseManifest((await store.get(out.manifestKey))?.toString('utf8') ?? '', out.manifestKey);
    expect((await verifyManifest(manifest, (k) => store.get(k))).ok).toBe(true);
    const records = gunzipSync((await store.get(`${manifest.prefix}records.log.gz`)) as Buffer).toString('utf8');
    expect(records.trimEnd().split('\n')).toHaveLength(72);
    const snapshot = JSON.parse((await store.get(`${manifest.prefix}security-groups.json`))?.toString('utf8') ?? '');
    expect(snapshot.interfaces[0].securityGroups).toEqual([{ id: 'sg-0web', name: 'web', inboundRules: ['tcp 443 from 0.0.0.0/0'] }]);
  });
});
