/**
 * StartIncidents on the batches ToFindings files: each test makes its findings through ToFindings, so
 * the batch objects and the claims behind them are the ones the workflow hands on.
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG } from '../../core/detection/config';
import { maxIncidentSeconds } from '../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../core/policy';
import { IncidentAlreadyStartedError } from '../../handlers/ports';
import { createStartIncidentsHandler, FindingsBatchError } from '../../handlers/start-incidents';
import { TaskInputError } from '../../handlers/task-input';
import { createToFindingsHandler } from '../../handlers/to-findings';
import type { FindingsBatch, FindingsBatchRef, StartIncidentsInput } from '../../workflows/contract';
import { complete, MemoryIncidentStarter, MemoryObjectStore, MemorySuppressionStore, RecordingMetrics, ScriptedLogsInsights, SettableClock } from './fakes/ports';

const window = { start: 1763802000, end: 1763805600 };
const EXEC = 'security-20251122T102500Z';
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-test-incident';
const row = (srcaddr: string, value: string): ResultField[] => [
  { field: 'srcaddr', value: srcaddr },
  { field: 'value', value },
  { field: '@ptr', value: 'CmAKJwoj...' },
];

function setup(options: { delayMs?: number; concurrency?: number } = {}) {
  const store = new MemoryObjectStore();
  const suppressions = new MemorySuppressionStore();
  const logs = new ScriptedLogsInsights();
  const starter = new MemoryIncidentStarter({ stateMachineArn: ARN, ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}) });
  const toFindings = createToFindingsHandler({
    config: { detection: DEFAULT_CONFIG, suppression: { suppressionSeconds: DEFAULT_INCIDENT_CONFIG.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) } },
    suppressions,
    metrics: new RecordingMetrics(),
    clock: new SettableClock(new Date('2025-11-22T10:01:00Z')),
    store,
    logsInsights: logs,
  });
  const handler = createStartIncidentsHandler({ store, starter, suppressions, ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}) });
  let queries = 0;
  /** PORT_SCAN findings of these sources (each over the threshold) through ToFindings, in a run of `execution` over `w`. */
  const detect = async (sources: readonly string[], w = window, execution = EXEC) => {
    const id = logs.script(`li-${++queries}`, { status: 'Complete', results: sources.map((s) => row(s, '171')) });
    return complete(await toFindings({ rule: { detection: 'PORT_SCAN', window: w, queryString: 'q', queryStart: w.start - 60, queryEnd: w.end + 60 }, execution, logsInsightsQueryId: id }));
  };
  /** The batches of new findings those sources make. */
  const findings = async (sources: readonly string[]): Promise<FindingsBatchRef[]> => (await detect(sources)).batches;
  return { store, suppressions, starter, handler, findings, detect };
}

const only = (batches: readonly FindingsBatchRef[]): FindingsBatchRef => {
  if (batches.length !== 1 || batches[0] === undefined) throw new Error(`expected one batch, got ${batches.length}`);
  return batches[0];
};

describe('StartIncidents', () => {
  it('starts one incident per finding of the batch, named after it, with the finding as its input', async () => {
    const { handler, findings, starter, store, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50', '198.51.100.23']));
    const out = await handler({ batch });
    expect(out).toEqual({
      batch: batch.key,
      started: [
        { executionName: 'PORT_SCAN-203-0-113-50-1763805600', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flowir-test-incident:PORT_SCAN-203-0-113-50-1763805600' },
        { executionName: 'PORT_SCAN-198-51-100-23-1763805600', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flowir-test-incident:PORT_SCAN-198-51-100-23-1763805600' },
      ],
      alreadyStarted: [],
      notStarted: [],
      counts: { started: 2, alreadyStarted: 0, notStarted: 0 },
      failed: false,
    });
    const body = JSON.parse((await store.get(batch.key))?.toString('utf8') ?? 'null') as FindingsBatch;
    expect(starter.calls).toEqual(body.findings.map((nf) => ({ name: nf.executionName, input: { finding: nf.finding } })));
    // The claims stay: the incidents hold their keys.
    expect(suppressions.entries.get('PORT_SCAN#203.0.113.50')?.executionName).toBe('PORT_SCAN-203-0-113-50-1763805600');
    expect(suppressions.entries.size).toBe(2);
  });

  it('starts nothing twice when the batch is retried: the same running execution, or one already started', async () => {
    const { handler, findings, starter, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50']));
    const first = await handler({ batch });
    // While it runs, StartExecution of the same name and input answers with the same execution.
    const retried = await handler({ batch });
    expect(retried.started).toEqual(first.started);
    expect(starter.executions.size).toBe(1);

    // Once it has ended, the name is in use: the earlier execution covers the finding.
    starter.close('PORT_SCAN-203-0-113-50-1763805600');
    const later = await handler({ batch });
    expect(later).toMatchObject({ started: [], alreadyStarted: ['PORT_SCAN-203-0-113-50-1763805600'], notStarted: [], counts: { started: 0, alreadyStarted: 1, notStarted: 0 }, failed: false });
    // Its claim is not released: the earlier incident holds it.
    expect(suppressions.entries.has('PORT_SCAN#203.0.113.50')).toBe(true);
  });

  it('releases the claim of a finding whose incident could not start, reports it and fails the batch; the next run finds it again', async () => {
    const { handler, findings, detect, starter, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50', '198.51.100.23']));
    const limit = Object.assign(new Error('Maximum number of running executions reached'), { name: 'ExecutionLimitExceeded' });
    starter.failures.set('PORT_SCAN-198-51-100-23-1763805600', limit);
    const out = await handler({ batch });
    expect(out).toMatchObject({
      started: [{ executionName: 'PORT_SCAN-203-0-113-50-1763805600' }],
      alreadyStarted: [],
      notStarted: [{ executionName: 'PORT_SCAN-198-51-100-23-1763805600', error: 'ExecutionLimitExceeded: Maximum number of running executions reached', claimReleased: true }],
      counts: { started: 1, alreadyStarted: 0, notStarted: 1 },
      failed: true,
    });
    expect(suppressions.entries.has('PORT_SCAN#198.51.100.23')).toBe(false);
    expect(suppressions.entries.has('PORT_SCAN#203.0.113.50')).toBe(true);

    // Not suppressed: the next detection run opens it, while the incident that started still covers its source.
    const again = await detect(['203.0.113.50', '198.51.100.23'], { start: window.start + 600, end: window.end + 600 }, 'security-20251122T103500Z');
    expect(again.counts).toMatchObject({ suppressed: 1, new: 1 });
  });

  it('keeps a claim another execution holds: the finding is reported not started, its claim not released', async () => {
    const { handler, findings, starter, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50']));
    starter.failures.set('PORT_SCAN-203-0-113-50-1763805600', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    // Meanwhile (a backfill, or the claim expired and was taken) another incident holds the key.
    const held = suppressions.entries.get('PORT_SCAN#203.0.113.50');
    if (held === undefined) throw new Error('no claim');
    suppressions.entries.set(held.key, { ...held, findingId: 'PORT_SCAN:203.0.113.50:1763809200', executionName: 'PORT_SCAN-203-0-113-50-1763809200' });
    const out = await handler({ batch });
    expect(out).toMatchObject({
      started: [],
      notStarted: [{ executionName: 'PORT_SCAN-203-0-113-50-1763805600', error: 'ThrottlingException: Rate exceeded', claimReleased: false }],
      failed: true,
    });
    expect(suppressions.entries.get('PORT_SCAN#203.0.113.50')?.executionName).toBe('PORT_SCAN-203-0-113-50-1763809200');
  });

  it('reports a claim that is already gone as not released', async () => {
    const { handler, findings, starter, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50']));
    starter.failures.set('PORT_SCAN-203-0-113-50-1763805600', new Error('socket hang up'));
    suppressions.entries.clear();
    expect((await handler({ batch })).notStarted).toEqual([{ executionName: 'PORT_SCAN-203-0-113-50-1763805600', error: 'Error: socket hang up', claimReleased: false }]);
  });

  it('refuses a batch that is not the one ToFindings wrote (FindingsBatchError), starting nothing', async () => {
    const { handler, findings, starter, store, suppressions } = setup();
    const batch = only(await findings(['203.0.113.50']));
    const other = createHash('sha256').update('something else').digest('hex');
    const run = handler({ batch: { ...batch, sha256: other } });
    await expect(run).rejects.toBeInstanceOf(FindingsBatchError);
    await expect(run).rejects.toThrow(`${batch.key}: sha256 ${batch.sha256} is not the ${other} ToFindings recorded`);

    // Changed after it was written: the bytes no longer match the sha256 the state carries.
    const body = (await store.get(batch.key)) as Buffer;
    await store.put(batch.key, body.toString('utf8').replace('203.0.113.50', '203.0.113.51'), 'application/json');
    await expect(handler({ batch })).rejects.toBeInstanceOf(FindingsBatchError);

    const missing = { key: `detections/${EXEC}/PORT_SCAN/batch-0099.json`, sha256: batch.sha256, count: 1 };
    await expect(handler({ batch: missing })).rejects.toThrow(new FindingsBatchError(`${missing.key}: no such batch in the evidence store`));

    const junk = await store.put(`detections/${EXEC}/PORT_SCAN/batch-0098.json`, 'not json', 'application/json');
    const notJson = handler({ batch: { key: junk.key, sha256: junk.sha256, count: 1 } });
    await expect(notJson).rejects.toBeInstanceOf(FindingsBatchError);
    await expect(notJson).rejects.toThrow(`${junk.key}: not JSON`);

    expect(starter.calls).toEqual([]);
    expect(suppressions.entries.size).toBe(1);
  });

  it.each<[string, unknown, string]>([
    ['no batch', {}, 'input.batch: expected a JSON object, got nothing'],
    ['a batch without its sha256', { batch: { key: 'detections/x/PORT_SCAN/batch-0001.json', count: 1 } }, 'input.batch.sha256: expected a non-empty string, got nothing'],
  ])('refuses an input with %s', async (_what, input, message) => {
    const { handler } = setup();
    const run = handler(input as StartIncidentsInput);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
  });

  it('refuses a batch whose finding lacks its claim key, naming it', async () => {
    const { handler, store, starter } = setup();
    const bad = await store.put('detections/x/PORT_SCAN/batch-0001.json', JSON.stringify({ detection: 'PORT_SCAN', window, findings: [{ finding: { id: 'PORT_SCAN:203.0.113.50:1763805600' }, executionName: 'PORT_SCAN-203-0-113-50-1763805600' }] }), 'application/json');
    await expect(handler({ batch: { key: bad.key, sha256: bad.sha256, count: 1 } })).rejects.toThrow(new TaskInputError(`${bad.key}.findings[0].suppressionKey`, 'expected a non-empty string, got nothing'));
    expect(starter.calls).toEqual([]);
  });

  it.each([
    { what: 'the default 10', concurrency: undefined, expected: 10 },
    { what: '4 (configured)', concurrency: 4, expected: 4 },
  ])('starts 50 findings concurrently, at most $what at once', async ({ concurrency, expected }) => {
    const { handler, findings, starter } = setup({ delayMs: 2, ...(concurrency !== undefined ? { concurrency } : {}) });
    const batch = only(await findings(Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 1}`)));
    expect(batch.count).toBe(50);
    const out = await handler({ batch });
    expect(out.counts).toEqual({ started: 50, alreadyStarted: 0, notStarted: 0 });
    // Reported in the batch's order, however the calls interleaved.
    expect(out.started.map((s) => s.executionName)).toEqual(Array.from({ length: 50 }, (_, i) => `PORT_SCAN-198-51-100-${i + 1}-1763805600`));
    expect(starter.maxInFlight).toBeLessThanOrEqual(expected);
    // Concurrent indeed: the pool is full while there is work for it.
    expect(starter.maxInFlight).toBe(expected);
  });

  it('counts an IncidentAlreadyStartedError from any starter as already started', async () => {
    const { store, suppressions, findings } = setup();
    const batch = only(await findings(['203.0.113.50']));
    const handler = createStartIncidentsHandler({
      store,
      suppressions,
      starter: {
        start: async (name) => {
          throw new IncidentAlreadyStartedError(`${name}: Execution Already Exists`);
        },
      },
    });
    expect(await handler({ batch })).toMatchObject({ alreadyStarted: ['PORT_SCAN-203-0-113-50-1763805600'], notStarted: [], failed: false });
    expect(suppressions.entries.has('PORT_SCAN#203.0.113.50')).toBe(true);
  });
});
