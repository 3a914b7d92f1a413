/**
 * The DuckDB side of `npm run bench`, run as its own process so that its time and memory are whole-process:
 * `node dist/scripts/bench.duckdb.js <file-or-glob> <window-start> <window-end>`.
 * The four rules over the same files (explicit columns, as DuckDB cannot detect flow logs' layout),
 * printed as JSON findings: [{detection, source, port, value}] with value as a decimal string.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_CONFIG } from '../core/detection/config';
import { FlowLogFormat } from '../core/flowlog/format';

const TYPES: Readonly<Record<string, string>> = { version: 'INTEGER', srcport: 'INTEGER', dstport: 'INTEGER', protocol: 'INTEGER', packets: 'BIGINT', bytes: 'BIGINT', start: 'BIGINT', end: 'BIGINT' };
const column = (field: string): string => field.replace(/-/g, '_');
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const [files, from, to] = process.argv.slice(2);
  if (files === undefined || !/^\d+$/.test(from ?? '') || !/^\d+$/.test(to ?? '')) throw new Error('usage: bench.duckdb.js <file-or-glob> <window-start> <window-end>');
  const d = DEFAULT_CONFIG.detections;
  const columns = FlowLogFormat.V2.fields.map((f) => `${sqlString(column(f))}: ${sqlString(TYPES[f] ?? 'VARCHAR')}`).join(', ');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `CREATE TEMP TABLE w AS SELECT srcaddr, dstport, bytes, action
     FROM read_csv(${sqlString(files)}, delim=' ', header=true, nullstr='-', auto_detect=false, columns={${columns}})
     WHERE log_status = 'OK' AND start >= ${from} AND start < ${to}
       AND srcaddr IS NOT NULL AND dstport IS NOT NULL AND bytes IS NOT NULL AND action IS NOT NULL`,
  );
  const reader = await connection.runAndReadAll(
    `SELECT 'HIGH_CONNECTION_COUNT' AS detection, srcaddr AS source, NULL::INTEGER AS port, count(*)::VARCHAR AS value
       FROM w GROUP BY srcaddr HAVING count(*) > ${d.HIGH_CONNECTION_COUNT.threshold}
     UNION ALL SELECT 'HIGH_TRAFFIC_VOLUME', srcaddr, NULL, sum(bytes)::VARCHAR
       FROM w GROUP BY srcaddr HAVING sum(bytes) > ${d.HIGH_TRAFFIC_VOLUME.threshold}
     UNION ALL SELECT 'PORT_SCAN', srcaddr, NULL, count(DISTINCT dstport)::VARCHAR
       FROM w WHERE action = 'REJECT' GROUP BY srcaddr HAVING count(DISTINCT dstport) > ${d.PORT_SCAN.threshold}
     UNION ALL SELECT 'SUSPICIOUS_PORT_ACCESS', srcaddr, dstport, count(*)::VARCHAR
       FROM w WHERE action = 'REJECT' AND dstport IN (${DEFAULT_CONFIG.suspiciousPorts.join(', ')})
       GROUP BY srcaddr, dstport HAVING count(*) > ${d.SUSPICIOUS_PORT_ACCESS.threshold}`,
  );
  const findings = reader.getRowObjectsJS().map((r) => ({ detection: String(r.detection), source: String(r.source), port: r.port === null ? null : Number(r.port), value: String(r.value) }));
  connection.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify({ findings })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench.duckdb: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
