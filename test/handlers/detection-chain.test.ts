/**
 * PlanWindow → the query engine → ToFindings on real flow logs. DuckDB runs the planned Athena SQL
 * (it is the test oracle for Athena), its result goes to ToFindings in the shape Athena's
 * GetQueryResults returns, and the findings must be exactly the ones the sample planted.
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
import { createToFindingsHandler } from '../../handlers/to-findings';
import { writeSample } from '../../local/sample/write';
import type { AthenaRow } from '../../workflows/contract';
import { openOracle, type Oracle } from '../core/detection/compile/duckdb-oracle';
import { MemorySuppressionStore, RecordingMetrics, SettableClock } from './fakes/ports';

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
    const toFindings = createToFindingsHandler({
      config: { detection: config, suppression: { suppressionSeconds: 86400, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) } },
      suppressions: new MemorySuppressionStore(),
      metrics: new RecordingMetrics(),
      clock,
      athenaResults: { rows: async (id) => results.get(id) ?? [] },
    });

    const found: Array<{ detection: string; source: string; port: number | null; value: number | string }> = [];
    const allowlisted: string[] = [];
    for (const group of ['security', 'anomaly'] as const) {
      const planned = await plan({ group, scheduledTime: new Date((UNTIL + DEFAULT_DELIVERY_LAG_SECONDS.athena + 20) * 1000).toISOString() });
      expect(planned.window).toEqual({ start: UNTIL - 3600, end: UNTIL });
      for (const rule of planned.rules) {
        results.set(rule.detection, await athenaRows(oracle, rule.queryString));
        const out = await toFindings({ rule, athenaQueryExecutionId: rule.detection });
        found.push(...out.newFindings.map(({ finding: f }) => ({ detection: f.detection, source: f.source, port: f.port, value: f.value })));
        allowlisted.push(...out.allowlisted);
      }
    }
    const expected = expectedFindings({ records: 4000, seed: 21, format: 'v5', until: UNTIL, config });
    const key = (f: { detection: string; source: string; port: number | null }): string => `${f.detection} ${f.source} ${f.port}`;
    expect(found.map(key).sort()).toEqual(expected.filter((e) => !e.source.startsWith('10.0.99.')).map(key).sort());
    for (const e of expected.filter((x) => !x.source.startsWith('10.0.99.'))) {
      expect(found.find((f) => key(f) === key(e))?.value).toBe(typeof e.value === 'bigint' ? e.value.toString() : e.value);
    }
    expect(allowlisted).toEqual([`PORT_SCAN:10.0.99.9:${UNTIL}`]);
  });
});
