/**
 * PlanWindow → the query engine → ToFindings → StartIncidents on real flow logs. DuckDB runs the
 * planned Athena SQL (it is the test oracle for Athena), its result goes to ToFindings in the shape
 * Athena's GetQueryResults returns, the findings must be exactly the ones the sample planted, and
 * every new one must become an incident.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DELIVERY_LAG_SECONDS, defaultConfigFor, type FlowirConfig } from '../../core/detection/config';
import { maxIncidentSeconds } from '../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../core/policy';
import { expectedFindings } from '../../core/sample';
import { FlowLogFormat } from '../../core/flowlog/format';
import { createPlanWindowHandler } from '../../handlers/plan-window';
import { createStartIncidentsHandler } from '../../handlers/start-incidents';
import { createToFindingsHandler } from '../../handlers/to-findings';
import { writeSample } from '../../local/sample/write';
import type { AthenaRow } from '../../workflows/contract';
import { openOracle, type Oracle } from '../core/detection/compile/duckdb-oracle';
import { complete, filed, MemoryIncidentStarter, MemoryObjectStore, MemorySuppressionStore, RecordingMetrics, SettableClock } from './fakes/ports';

const UNTIL = 1763805600;
const TABLE = 'vpc_flow_logs';

/** A DuckDB result as Athena ResultSet.Rows: a header row, then every value as text (NULL as no VarCharValue). */
async function athenaRows(oracle: Oracle, sql: string): Promise<AthenaRow[]> {
  const reader = await oracle.connection.runAndReadAll(sql);
  const header: AthenaRow = { Data: reader.columnNames().map((name) => ({ VarCharValue: name })) };
  return [header, ...reader.getRowsJS().map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: String(v) })) }))];
}

describe('PlanWindow → Athena SQL → ToFindings', () => {
  let dir: string;
  let oracle: Oracle;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-chain-'));
    oracle = await openOracle();
  });
  afterAll(async () => {
    oracle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds exactly the planted incidents, allowlisted ones set apart', async () => {
    const config: FlowirConfig = { ...defaultConfigFor('athena'), format: 'v5', allowlist: ['10.0.99.0/24'] };
    const written = await writeSample(dir, { records: 4000, seed: 21, format: 'v5', until: UNTIL, config });
    await oracle.view(TABLE, FlowLogFormat.V5, [`${written.s3Root}/**/*.log.gz`], true);

    // The schedule fired at 10:25:20 for the window ending at 10:00 (UNTIL): the athena engine's lag
    // is 25 minutes (aggregation, S3 delivery and a margin, core/detection/config).
    const clock = new SettableClock(new Date((UNTIL + DEFAULT_DELIVERY_LAG_SECONDS.athena + 20) * 1000));
    const plan = createPlanWindowHandler({ config: { detection: config, engine: 'athena', athenaTable: TABLE }, clock });
    // ToFindings reads the results by query execution id; here each rule's id is its detection.
    const results = new Map<string, AthenaRow[]>();
    const store = new MemoryObjectStore();
    const suppressions = new MemorySuppressionStore();
    const toFindings = createToFindingsHandler({
      config: { detection: config, suppression: { suppressionSeconds: 86400, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) } },
      suppressions,
      metrics: new RecordingMetrics(),
      clock,
      store,
      athenaResults: { rows: async (id) => results.get(id) ?? [] },
    });
    const starter = new MemoryIncidentStarter();
    const startIncidents = createStartIncidentsHandler({ store, starter, suppressions });

    const found: Array<{ detection: string; source: string; port: number | null; value: number | string }> = [];
    const allowlisted: string[] = [];
    const newNames: string[] = [];
    const started: string[] = [];
    for (const group of ['security', 'anomaly'] as const) {
      const planned = await plan({ group, scheduledTime: new Date((UNTIL + DEFAULT_DELIVERY_LAG_SECONDS.athena + 20) * 1000).toISOString() });
      expect(planned.window).toEqual({ start: UNTIL - 3600, end: UNTIL });
      for (const rule of planned.rules) {
        results.set(rule.detection, await athenaRows(oracle, rule.queryString));
        const out = complete(await toFindings({ rule, execution: `${group}-20251122T102520Z`, athenaQueryExecutionId: rule.detection }));
        expect(out.limitReached).toBe(false);
        const { record, newFindings } = await filed(store, out);
        found.push(...newFindings.map(({ finding: f }) => ({ detection: f.detection, source: f.source, port: f.port, value: f.value })));
        allowlisted.push(...record.findings.filter((f) => f.disposition === 'allowlisted').map((f) => f.finding.id));
        newNames.push(...newFindings.map((n) => n.executionName));
        // The OpenIncidents map: one StartIncidents per batch.
        for (const batch of out.batches) {
          const opened = await startIncidents({ batch });
          expect(opened.failed).toBe(false);
          started.push(...opened.started.map((s) => s.executionName));
        }
      }
    }
    const expected = expectedFindings({ records: 4000, seed: 21, format: 'v5', until: UNTIL, config });
    const key = (f: { detection: string; source: string; port: number | null }): string => `${f.detection} ${f.source} ${f.port}`;
    expect(found.map(key).sort()).toEqual(expected.filter((e) => !e.source.startsWith('10.0.99.')).map(key).sort());
    for (const e of expected.filter((x) => !x.source.startsWith('10.0.99.'))) {
      expect(found.find((f) => key(f) === key(e))?.value).toBe(typeof e.value === 'bigint' ? e.value.toString() : e.value);
    }
    expect(allowlisted).toEqual([`PORT_SCAN:10.0.99.9:${UNTIL}`]);
    // Every new finding is an incident, each once.
    expect(started.sort()).toEqual(newNames.sort());
    expect(new Set(started).size).toBe(found.length);
    expect(starter.executions.size).toBe(found.length);
  });
});
