/**
 * The Lambda entry modules, loaded as Lambda loads them (environment first, then the module), with
 * the SDK mocked at its edge. Each load is isolated, so each cold start reads its own environment.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import 'aws-sdk-client-mock-jest';
import { CloudWatchLogsClient, GetQueryResultsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { ConditionalCheckFailedException, DeleteItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ExecutionAlreadyExists, ExecutionLimitExceeded, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { toFindingData } from '../../../core/incident';
import { generateSample } from '../../../core/sample';
import { ENV } from '../../../handlers/lambda/environment';
import type { EvidenceInput } from '../../../handlers/evidence';
import type { ExecutionStatusChangeEvent } from '../../../handlers/export-history';
import type { DetectionInput, EvidenceOutput, FindingsBatch, FindingsRecord, PlanOutput, StartIncidentsInput, StartIncidentsOutput, ToFindingsInput, ToFindingsOutput } from '../../../workflows/contract';
import type { fakeAthenaResults as FakeAthenaResults } from '../aws/fake-athena';
import { fakeDynamoTable } from '../aws/fake-dynamo';
import { fakeLogsInsights } from '../aws/fake-logs-insights';
import type { fakeS3Bucket as FakeS3Bucket } from '../aws/fake-s3';
import { fakeS3Bucket } from '../aws/fake-s3';
import { fakeStepFunctionsHistory, incidentHistory } from '../aws/fake-sfn';

type Entry<I, O> = { handler: (event: I, context: Context) => Promise<O> };

const context = (functionName: string): Context =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/11/22/[$LATEST]abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

/**
 * Load an entry module with exactly these variables set, as a cold start. A successful load shares
 * the test's module registry, so the SDK clients it creates are the mocked classes; each module is
 * loaded that way once. A load expected to fail is isolated, so it leaves nothing behind.
 */
async function coldStart<I, O>(module: string, env: Record<string, string>, options: { readonly isolated?: boolean } = {}): Promise<Entry<I, O>> {
  const saved = { ...process.env };
  for (const k of Object.values(ENV)) delete process.env[k];
  // Lambda always sets the region; the SDK clients read it when they are created.
  Object.assign(process.env, { AWS_REGION: 'us-east-1' }, env);
  try {
    if (options.isolated !== true) return (await import(module)) as Entry<I, O>;
    let loaded: Entry<I, O> | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = (await import(module)) as Entry<I, O>;
    });
    return loaded as Entry<I, O>;
  } finally {
    process.env = saved;
  }
}

/** JSON lines written to stdout and stderr (Powertools logs, errors on stderr, and EMF) while `run` runs. */
async function stdoutOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: Array<Record<string, unknown>> }> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  try {
    const result = await run();
    const lines = written.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const UNTIL = 1763805600;
const window = { start: UNTIL - 3600, end: UNTIL };
const EXEC = 'security-20251122T102500Z';
const INCIDENT_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-prod-incident';

/** An object of a fake bucket, parsed, as the state that names it would read it. */
const objectOf = <T>(s3: { objects: ReadonlyMap<string, { body: Buffer }> }, key: string): T => {
  const o = s3.objects.get(key);
  if (o === undefined) throw new Error(`${key}: not in the bucket`);
  return JSON.parse(o.body.toString('utf8')) as T;
};

describe('Lambda entry points', () => {
  it('PlanWindow plans from the schedule with the configured engine', async () => {
    const entry = await coldStart<DetectionInput, PlanOutput>('../../../handlers/lambda/plan-window', { [ENV.engine]: 'athena', [ENV.athenaTable]: 'flowir_prod.vpc_flow_logs' });
    // The athena engine's default lag: 600 s aggregation + 600 s S3 delivery + 300 s margin (core/detection/config).
    const { result } = await stdoutOf(() => entry.handler({ group: 'security', scheduledTime: '2025-11-22T10:25:00Z' }, context('flowir-prod-plan-window')));
    expect(result.window).toEqual(window);
    expect(result.rules.map((r) => r.detection)).toEqual(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS']);
    expect(result.rules[0]?.queryString).toContain('FROM "flowir_prod"."vpc_flow_logs"');
  });

  it('a missing variable fails the cold start, naming it', async () => {
    const isolated = { isolated: true };
    await expect(coldStart('../../../handlers/lambda/to-findings', { [ENV.envName]: 'prod' }, isolated)).rejects.toThrow('environment variable FLOWIR_SUPPRESSION_TABLE: is not set');
    // ToFindings files the findings in the evidence bucket.
    await expect(coldStart('../../../handlers/lambda/to-findings', { [ENV.envName]: 'prod', [ENV.suppressionTable]: 'flowir-prod-suppression' }, isolated)).rejects.toThrow('environment variable FLOWIR_EVIDENCE_BUCKET: is not set');
    await expect(coldStart('../../../handlers/lambda/start-incidents', {}, isolated)).rejects.toThrow('environment variable FLOWIR_INCIDENT_STATE_MACHINE_ARN: is not set');
    await expect(coldStart('../../../handlers/lambda/start-incidents', { [ENV.incidentStateMachineArn]: 'flowir-prod-incident' }, isolated)).rejects.toThrow(
      'environment variable FLOWIR_INCIDENT_STATE_MACHINE_ARN: expected a state machine ARN, got "flowir-prod-incident"',
    );
    await expect(coldStart('../../../handlers/lambda/start-incidents', { [ENV.incidentStateMachineArn]: INCIDENT_MACHINE }, isolated)).rejects.toThrow('environment variable FLOWIR_SUPPRESSION_TABLE: is not set');
    await expect(coldStart('../../../handlers/lambda/start-incidents', { [ENV.incidentStateMachineArn]: INCIDENT_MACHINE, [ENV.suppressionTable]: 'flowir-prod-suppression' }, isolated)).rejects.toThrow(
      'environment variable FLOWIR_EVIDENCE_BUCKET: is not set',
    );
    await expect(coldStart('../../../handlers/lambda/evidence', { [ENV.flowLogGroup]: '/aws/vpc/flowlogs/prod' }, isolated)).rejects.toThrow('environment variable FLOWIR_EVIDENCE_BUCKET: is not set');
    await expect(coldStart('../../../handlers/lambda/export-history', {}, isolated)).rejects.toThrow('environment variable FLOWIR_EVIDENCE_BUCKET: is not set');
    await expect(coldStart('../../../handlers/lambda/plan-window', { [ENV.engine]: 'athena' }, isolated)).rejects.toThrow('environment variable FLOWIR_ATHENA_TABLE: is not set');
  });

  it('ToFindings reads Logs Insights, claims in DynamoDB, files in the evidence bucket, publishes EMF for the alarm, and logs with the request id', async () => {
    const table = fakeDynamoTable('flowir-prod-suppression');
    const s3 = fakeS3Bucket('flowir-prod-evidence');
    // GetQueryResults in the SDK's shape: rows of {field, value} with the @ptr the service adds.
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(GetQueryResultsCommand).callsFake((input: { queryId?: string }) => {
      if (input.queryId !== 'li-1') throw new ResourceNotFoundException({ message: `Query ${String(input.queryId)} does not exist`, $metadata: { httpStatusCode: 400 } });
      return {
        status: 'Complete',
        results: [
          [
            { field: 'srcaddr', value: '203.0.113.50' },
            { field: 'value', value: '171' },
            { field: '@ptr', value: 'CmAKJwoj' },
          ],
        ],
        statistics: { recordsMatched: 1, recordsScanned: 5000, bytesScanned: 750000 },
      };
    });
    try {
      const entry = await coldStart<ToFindingsInput, ToFindingsOutput>('../../../handlers/lambda/to-findings', { [ENV.envName]: 'prod', [ENV.suppressionTable]: 'flowir-prod-suppression', [ENV.evidenceBucket]: 'flowir-prod-evidence' });
      const input: ToFindingsInput = { rule: { detection: 'PORT_SCAN', window, queryString: 'q', queryStart: window.start - 60, queryEnd: window.end + 60 }, execution: EXEC, logsInsightsQueryId: 'li-1' };
      const { result, lines } = await stdoutOf(() => entry.handler(input, context('flowir-prod-to-findings')));
      expect(logs).toHaveReceivedCommandWith(GetQueryResultsCommand, { queryId: 'li-1' });
      expect(result).toMatchObject({ status: 'Complete', rows: 1, limitReached: false, statistics: { recordsMatched: 1, recordsScanned: 5000, bytesScanned: 750000 }, counts: { new: 1 } });
      const [batch] = result.batches;
      expect(batch).toEqual({ key: `detections/${EXEC}/PORT_SCAN/batch-0001.json`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), count: 1 });
      expect(objectOf<FindingsBatch>(s3, batch?.key ?? '').findings.map((n) => n.executionName)).toEqual(['PORT_SCAN-203-0-113-50-1763805600']);
      expect(objectOf<FindingsRecord>(s3, `detections/${EXEC}/PORT_SCAN/findings.json`).findings).toEqual([expect.objectContaining({ disposition: 'new', executionName: 'PORT_SCAN-203-0-113-50-1763805600' })]);
      expect(table.items.get('PORT_SCAN#203.0.113.50')?.findingId).toEqual({ S: 'PORT_SCAN:203.0.113.50:1763805600' });
      expect(lines).toContainEqual(expect.objectContaining({ Environment: 'prod', Detection: 'PORT_SCAN', SecurityEvents: 1 }));
      expect(lines).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'ToFindings done', function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678' }));
    } finally {
      table.mock.restore();
      s3.mock.restore();
      logs.restore();
    }
  });

  it('ToFindings on the athena engine reads every page of the query result through GetQueryResults', async () => {
    // A module registry of its own, so that this cold start creates its Athena client, mocked in the same registry.
    await jest.isolateModulesAsync(async () => {
      // Module names as strings: loaded at run time, in this registry (as coldStart loads entries).
      const load = async <T>(name: string): Promise<T> => (await import(name)) as T;
      const { fakeAthenaResults } = await load<{ fakeAthenaResults: typeof FakeAthenaResults }>('../aws/fake-athena');
      const { fakeDynamoTable: isolatedTable } = await load<{ fakeDynamoTable: typeof fakeDynamoTable }>('../aws/fake-dynamo');
      const { fakeS3Bucket: isolatedBucket } = await load<{ fakeS3Bucket: typeof FakeS3Bucket }>('../aws/fake-s3');
      // 1,499 allowlisted sources, then one that is not: only a reader of every page finds it.
      const sources = [...Array.from({ length: 1499 }, (_, i) => `198.51.${100 + (i >> 8)}.${i & 255}`), '203.0.113.50'];
      const athena = fakeAthenaResults(new Map([['qe-1', { columns: ['srcaddr', 'value'], rows: sources.map((src) => [src, '171']) }]]));
      const table = isolatedTable('flowir-prod-suppression');
      const s3 = isolatedBucket('flowir-prod-evidence');
      const saved = { ...process.env };
      try {
        for (const k of Object.values(ENV)) delete process.env[k];
        Object.assign(process.env, {
          AWS_REGION: 'us-east-1',
          [ENV.envName]: 'prod',
          [ENV.suppressionTable]: 'flowir-prod-suppression',
          [ENV.evidenceBucket]: 'flowir-prod-evidence',
          [ENV.engine]: 'athena',
          [ENV.detectionConfig]: JSON.stringify({ allowlist: ['198.51.0.0/16'] }),
        });
        const entry = await load<Entry<ToFindingsInput, ToFindingsOutput>>('../../../handlers/lambda/to-findings');
        process.env = saved;
        const rule = { detection: 'PORT_SCAN' as const, window, queryString: 'q', queryStart: window.start - 60, queryEnd: window.end + 60 };
        const { result } = await stdoutOf(() => entry.handler({ rule, execution: EXEC, athenaQueryExecutionId: 'qe-1' }, context('flowir-prod-to-findings')));
        expect(result).toMatchObject({ rows: 1500, limitReached: false, statistics: null, counts: { overThreshold: 1500, allowlisted: 1499, suppressed: 0, new: 1 } });
        const batch = objectOf<FindingsBatch>(s3, result.batches[0]?.key ?? '');
        expect(batch.findings.map((n) => n.finding.source)).toEqual(['203.0.113.50']);
        const record = objectOf<FindingsRecord>(s3, result.record.key);
        expect(record.query).toEqual({ engine: 'athena', id: 'qe-1', rows: 1500, limitReached: false });
        expect(record.findings.filter((f) => f.disposition === 'allowlisted')).toHaveLength(1499);
        expect(athena.mock.calls()).toHaveLength(2);
      } finally {
        process.env = saved;
        athena.mock.restore();
        table.mock.restore();
        s3.mock.restore();
      }
    });
  });

  it('logs a failure with its error name and rethrows it for the state machine', async () => {
    const table = fakeDynamoTable('flowir-prod-suppression');
    try {
      const entry = await coldStart<ToFindingsInput, ToFindingsOutput>('../../../handlers/lambda/to-findings', { [ENV.envName]: 'prod', [ENV.suppressionTable]: 'flowir-prod-suppression', [ENV.evidenceBucket]: 'flowir-prod-evidence' });
      const { result, lines } = await stdoutOf(() => entry.handler({ rule: { detection: 'PORT_SCAN', window }, execution: EXEC } as ToFindingsInput, context('flowir-prod-to-findings')).catch((e: unknown) => e));
      expect(result).toMatchObject({ name: 'TaskInputError', message: expect.stringContaining('input: needs the query') });
      expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'ToFindings failed: TaskInputError', error: expect.objectContaining({ name: 'TaskInputError' }) }));
    } finally {
      table.mock.restore();
    }
  });

  it('StartIncidents reads a batch from the evidence bucket, starts its incidents on the incident state machine, and releases the claim of one that cannot start', async () => {
    const table = fakeDynamoTable('flowir-prod-suppression');
    // DeleteItem as DynamoDB evaluates `executionName = :name` (fake-dynamo has no DeleteItem).
    table.mock.on(DeleteItemCommand).callsFake((input: { TableName?: string; Key?: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
      const k = input.Key?.pk?.S ?? '';
      if (input.TableName !== 'flowir-prod-suppression' || input.ConditionExpression !== 'executionName = :name') throw new Error(`fake DynamoDB does not know ${String(input.TableName)} / ${String(input.ConditionExpression)}`);
      if (table.items.get(k)?.executionName?.S !== input.ExpressionAttributeValues?.[':name']?.S) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
      table.items.delete(k);
      return {};
    });
    const s3 = fakeS3Bucket('flowir-prod-evidence');
    const sfn = mockClient(SFNClient);
    // StartExecution (API_StartExecution): a name once per state machine; the same name and input
    // while that execution runs returns it again, other input is ExecutionAlreadyExists. The
    // running-executions limit refuses one here.
    const names = new Map<string, string>();
    sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn?: string; name?: string; input?: string }) => {
      if (input.stateMachineArn !== INCIDENT_MACHINE) throw new Error(`StateMachineDoesNotExist: ${String(input.stateMachineArn)}`);
      JSON.parse(input.input ?? '{}');
      if (input.name === 'PORT_SCAN-198-51-100-23-1763805600') throw new ExecutionLimitExceeded({ message: 'Maximum number of running executions reached', $metadata: { httpStatusCode: 400 } });
      const taken = names.get(input.name ?? '');
      if (taken !== undefined && taken !== input.input) throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${String(input.name)}'`, $metadata: { httpStatusCode: 400 } });
      names.set(input.name ?? '', input.input ?? '{}');
      return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:flowir-prod-incident:${String(input.name)}`, startDate: new Date('2025-11-22T10:01:05Z') };
    });
    const findings = (['203.0.113.50', '198.51.100.23'] as const).map((source) => {
      const finding = toFindingData(makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', source, null, 171, window));
      const name = `PORT_SCAN-${source.replaceAll('.', '-')}-${UNTIL}`;
      table.items.set(`PORT_SCAN#${source}`, { pk: { S: `PORT_SCAN#${source}` }, findingId: { S: finding.id }, executionName: { S: name }, openedAt: { S: '2025-11-22T10:01:00.000Z' }, expiresAt: { N: '1763899260' }, repeats: { N: '0' } });
      return { finding, executionName: name, suppressionKey: `PORT_SCAN#${source}` };
    });
    const key = `detections/${EXEC}/PORT_SCAN/batch-0001.json`;
    const body = Buffer.from(JSON.stringify({ detection: 'PORT_SCAN', window, findings }));
    s3.objects.set(key, { body, contentType: 'application/json' });
    try {
      const entry = await coldStart<StartIncidentsInput, StartIncidentsOutput>('../../../handlers/lambda/start-incidents', {
        [ENV.incidentStateMachineArn]: INCIDENT_MACHINE,
        [ENV.suppressionTable]: 'flowir-prod-suppression',
        [ENV.evidenceBucket]: 'flowir-prod-evidence',
      });
      const batch = { key, sha256: createHash('sha256').update(body).digest('hex'), count: 2 };
      const { result, lines } = await stdoutOf(() => entry.handler({ batch }, context('flowir-prod-start-incidents')));
      expect(result).toEqual({
        batch: key,
        started: [{ executionName: 'PORT_SCAN-203-0-113-50-1763805600', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flowir-prod-incident:PORT_SCAN-203-0-113-50-1763805600' }],
        alreadyStarted: [],
        notStarted: [{ executionName: 'PORT_SCAN-198-51-100-23-1763805600', error: 'ExecutionLimitExceeded: Maximum number of running executions reached', claimReleased: true }],
        counts: { started: 1, alreadyStarted: 0, notStarted: 1 },
        failed: true,
      });
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: INCIDENT_MACHINE, name: 'PORT_SCAN-203-0-113-50-1763805600', input: JSON.stringify({ finding: findings[0]?.finding }) });
      expect(table.items.has('PORT_SCAN#198.51.100.23')).toBe(false);
      expect(table.items.has('PORT_SCAN#203.0.113.50')).toBe(true);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'StartIncidents done' }));

      // A retry of the batch starts nothing twice: the running execution is answered again; the claim
      // released before is gone, so this time there is none to release.
      const { result: retried } = await stdoutOf(() => entry.handler({ batch }, context('flowir-prod-start-incidents')));
      expect(retried).toMatchObject({ started: result.started, notStarted: [{ executionName: 'PORT_SCAN-198-51-100-23-1763805600', claimReleased: false }] });
      expect(names.size).toBe(1);
    } finally {
      table.mock.restore();
      s3.mock.restore();
      sfn.restore();
    }
  });

  it('SnapshotEvidence reads Logs Insights and EC2 and writes to the evidence bucket', async () => {
    const lines = [...generateSample({ records: 1500, seed: 5, format: 'v5', until: UNTIL })].flatMap((o) => o.lines);
    const logs = fakeLogsInsights({ logGroup: '/aws/vpc/flowlogs/prod', format: FlowLogFormat.V5, lines, runningPolls: 0 });
    const s3 = fakeS3Bucket('flowir-prod-evidence');
    const ec2 = mockClient(EC2Client);
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    try {
      const entry = await coldStart<EvidenceInput, EvidenceOutput>('../../../handlers/lambda/evidence', {
        [ENV.evidenceBucket]: 'flowir-prod-evidence',
        [ENV.flowLogGroup]: '/aws/vpc/flowlogs/prod',
        [ENV.detectionConfig]: '{"format": "v5"}',
      });
      const finding = toFindingData(makeFinding(DEFAULT_CONFIG, 'SUSPICIOUS_PORT_ACCESS', '203.0.113.50', 22, 11, window));
      const { result } = await stdoutOf(() => entry.handler({ finding, executionName: 'SUSPICIOUS_PORT_ACCESS-203-0-113-50-22-1763805600' }, context('flowir-prod-evidence')));
      expect(result).toMatchObject({ manifestKey: 'incidents/SUSPICIOUS_PORT_ACCESS-203-0-113-50-22-1763805600/manifest.json', recount: 11, confirmed: true });
      expect([...s3.objects.keys()].filter((k) => k.startsWith('incidents/SUSPICIOUS_PORT_ACCESS-203-0-113-50-22-1763805600/'))).toHaveLength(6);
    } finally {
      logs.mock.restore();
      s3.mock.restore();
      ec2.restore();
    }
  });

  it('ExportHistory copies a finished execution’s history into the evidence bucket', async () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:flowir-prod-incident:PORT_SCAN-203-0-113-50-1763805600';
    const sfn = fakeStepFunctionsHistory(new Map([[arn, incidentHistory(Date.parse('2025-11-22T10:01:00Z'))]]));
    const s3 = fakeS3Bucket('flowir-prod-evidence');
    try {
      const entry = await coldStart<ExecutionStatusChangeEvent, unknown>('../../../handlers/lambda/export-history', { [ENV.evidenceBucket]: 'flowir-prod-evidence' });
      const event: ExecutionStatusChangeEvent = {
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: { executionArn: arn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-prod-incident', name: 'PORT_SCAN-203-0-113-50-1763805600', status: 'SUCCEEDED', startDate: 1763805660000, stopDate: 1763892300000 },
      };
      const { result } = await stdoutOf(() => entry.handler(event, context('flowir-prod-export-history')));
      expect(result).toMatchObject({ exported: true, key: 'executions/flowir-prod-incident/PORT_SCAN-203-0-113-50-1763805600.json', events: 5 });
      expect(s3.objects.has('executions/flowir-prod-incident/PORT_SCAN-203-0-113-50-1763805600.json')).toBe(true);
    } finally {
      sfn.mock.restore();
      s3.mock.restore();
    }
  });
});
