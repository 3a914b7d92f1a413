import { MAX_WINDOW_SECONDS } from '../../core/detection/config';
import { formatDuration } from '../../core/detection/window';
import { INCIDENT_CONFIG_LIMITS } from '../../core/policy/incident-config';
import { SAMPLE_DEFAULTS } from '../../core/sample/generate';
import { defineCommand, type CommandSpec } from './args';

/*
 * What each command accepts, with the words that explain it. The parser and `--help` read these
 * tables and nothing else, so the two cannot disagree; test/local/cli/readme-agrees.test.ts holds
 * README.md to them too. Kept apart from the commands so that `flowir run --help` need not load
 * the workflow engine, nor `flowir audit --help` the AWS SDK.
 */

const PATHS = { name: '<path...>', help: 'flow-log files, .gz files, folders (searched recursively, e.g. the S3 AWSLogs/... layout), or - for stdin' };

/** The options `scan` and `run` share: the window, the config file, JSON output. */
const WINDOW_OPTIONS = {
  until: { type: 'string', value: 'T', help: 'end of the window (exclusive): epoch seconds or ISO 8601', default: "the first whole hour after the latest record's start" },
  window: { type: 'string', value: 'D', help: 'length of the window: seconds, or 90s, 15m, 1h, 2d', default: "the config's windowSeconds, 1h" },
  config: { type: 'string', value: 'FILE', help: 'JSON config file: thresholds, allowlist, record format; see README.md, Configuration', default: 'the built-in thresholds' },
  json: { type: 'boolean', help: 'print one JSON object instead of the readable table' },
} as const;

const USAGE_EXIT = '1  bad usage, a bad config file, or unreadable input';

export const SCAN_COMMAND = defineCommand({
  name: 'scan',
  summary: 'detection only: the findings over threshold in one window',
  description: `Detection only. Reads the flow logs and reports each detection's findings over its threshold in the window [until - window, until), on each record's start. Progress goes to stderr for large inputs.`,
  operands: [PATHS],
  options: {
    ...WINDOW_OPTIONS,
    prune: { type: 'boolean', help: "skip S3 objects whose key time cannot overlap the window: faster on an archive, but the skipped objects' lines are not counted" },
    'no-progress': { type: 'boolean', help: 'print no progress lines on stderr' },
  },
  exitStatus: ['0  the scan ran, findings or not', USAGE_EXIT],
  examples: ['scan .flowir/demo/sample/s3', 'scan flow-logs.log.gz --until 2025-11-22T10:00Z --window 15m --json'],
});

export const RUN_COMMAND = defineCommand({
  name: 'run',
  summary: 'the whole incident response, locally, through the deployed state machine definitions',
  description: `The whole incident response on this machine: the detection and incident state machines that cdk deploy ships, run with local stand-ins for S3, the WAF IP sets, tickets and notifications under the state dir. Approval pages are served on 127.0.0.1 (--host) and their links printed on stderr; --decide answers every approval itself. S3 objects whose key time cannot overlap the window are skipped, as scan --prune does.`,
  operands: [PATHS],
  options: {
    ...WINDOW_OPTIONS,
    window: { ...WINDOW_OPTIONS.window, help: `${WINDOW_OPTIONS.window.help}; at most ${formatDuration(MAX_WINDOW_SECONDS)}, as in the config` },
    'state-dir': { type: 'string', value: 'DIR', help: 'where evidence, outbox, tickets, WAF IP sets and execution histories are kept', default: './.flowir' },
    host: { type: 'string', value: 'ADDR', help: 'address the approval pages listen on and their links name; any other than loopback serves them to that network (with a warning); 0.0.0.0 or :: links to the first network address', default: '127.0.0.1' },
    port: { type: 'string', value: 'N', help: 'port of the approval pages, 0 to 65535', default: 'a free port' },
    'approval-timeout': { type: 'string', value: 'D', help: `how long an approval waits before the incident closes as TIMED_OUT, at most ${formatDuration(INCIDENT_CONFIG_LIMITS.approvalTimeoutSeconds.max)}`, default: "the config's incident.approvalTimeoutSeconds, 1h" },
    decide: { type: 'string', value: 'approve|reject', help: 'answer every approval this way, through the approval endpoint: for demos and CI', default: 'wait for a person' },
    approver: { type: 'string', value: 'EMAIL', multiple: true, help: 'who the approval links are for; repeat for several', default: 'approver@localhost; local-cli with --decide' },
    engine: { type: 'string', value: 'logs-insights|athena', help: "the detection engine whose state machine runs, as cdk deploy's -c engine: Logs Insights queries, or Athena SQL over the files run locally with DuckDB", default: 'logs-insights' },
  },
  exitStatus: ['0  every workflow execution finished (whatever the outcomes)', USAGE_EXIT, '2  a workflow execution failed', '130  interrupted by Ctrl-C, the running executions recorded ABORTED (143 for SIGTERM)'],
  examples: ['run .flowir/demo/sample/s3 --decide approve', 'run flow-logs.log.gz --approval-timeout 5m --json'],
});

export const AUDIT_COMMAND = defineCommand({
  name: 'audit',
  summary: 'the story of an incident execution, with its evidence re-hashed and its finding re-counted',
  description: `The timeline of an incident execution from its history: detection, finding, evidence, notification, approval (who, when, comment), containment, expiry. Every evidence object is re-hashed against its manifest and the finding re-counted from the raw records. Without EXECUTION, lists the executions with the same checks. Reads the local state dir by default, Step Functions with --aws, or the histories exported to --evidence-bucket.`,
  operands: [{ name: '[EXECUTION]', help: 'an execution name or ARN; leave it out for the list' }],
  options: {
    'state-dir': { type: 'string', value: 'DIR', help: 'the state dir of a flowir run to read', default: './.flowir' },
    aws: { type: 'boolean', help: 'read Step Functions instead: needs AWS credentials and --state-machine' },
    'state-machine': { type: 'string', value: 'ARN', multiple: true, help: 'with --aws: a state machine to read; repeat for the incident and detection machines' },
    'evidence-bucket': { type: 'string', value: 'NAME', help: 'the evidence bucket: with --aws, where the evidence is re-hashed; alone, read the histories exported there' },
    region: { type: 'string', value: 'R', help: 'AWS region for --aws and --evidence-bucket', default: "the AWS SDK's: AWS_REGION or the profile's" },
    since: { type: 'string', value: 'T', help: 'list only executions started at or after T' },
    until: { type: 'string', value: 'T', help: 'list only executions started before T' },
    detection: { type: 'string', value: 'NAME', help: 'list only this detection: PORT_SCAN, SUSPICIOUS_PORT_ACCESS, HIGH_TRAFFIC_VOLUME, HIGH_CONNECTION_COUNT' },
    source: { type: 'string', value: 'ADDR', help: 'list only this source address' },
    outcome: { type: 'string', value: 'OUTCOME', help: 'list only this outcome: CONTAINED, REJECTED, TIMED_OUT, NOTIFIED, UNCONFIRMED, SUPPRESSED, GUARDED, FAILED' },
    html: { type: 'string', value: 'FILE', help: 'also write the report as a self-contained HTML page' },
    json: { type: 'boolean', help: 'print the report as one JSON object' },
  },
  exitStatus: ['0  every check passed', USAGE_EXIT, '3  a check failed: evidence altered or missing, or a recount that disagrees'],
  examples: ['audit', 'audit PORT_SCAN-203-0-113-50-1763805600 --html audit.html'],
});

/** Twice the benchmark's size: 5 M records take about a gigabyte and two minutes, so more would outgrow a laptop. */
export const SAMPLE_MAX_RECORDS = 10_000_000;
/** The PRNG takes a 32-bit seed: larger ones would quietly repeat smaller ones' samples. */
export const SAMPLE_MAX_SEED = 0xffff_ffff;

export const SAMPLE_COMMAND = defineCommand({
  name: 'sample',
  summary: 'realistic flow logs with planted incidents',
  description: `Writes realistic flow logs with planted incidents (each detection just over and exactly at its threshold, and traffic that must not be flagged) as S3 objects under <out-dir>/s3 and as one plain file, with <out-dir>/planted.json saying what a scan must find.`,
  operands: [{ name: '<out-dir>', help: 'the folder to write (created if missing)' }],
  options: {
    records: { type: 'string', value: 'N', help: `background records, 0 to ${SAMPLE_MAX_RECORDS.toLocaleString('en-US')}; the planted incidents come on top`, default: SAMPLE_DEFAULTS.records.toLocaleString('en-US') },
    seed: { type: 'string', value: 'S', help: `random seed, 0 to ${SAMPLE_MAX_SEED.toLocaleString('en-US')}: the same seed writes the same sample`, default: String(SAMPLE_DEFAULTS.seed) },
    format: { type: 'string', value: 'v2|v5', help: 'the record layout', default: SAMPLE_DEFAULTS.format },
    until: { type: 'string', value: 'T', help: 'end of the window the incidents are planted in: a whole hour', default: new Date(SAMPLE_DEFAULTS.until * 1000).toISOString().replace('.000Z', 'Z') },
    config: { type: 'string', value: 'FILE', help: 'plant around these thresholds and window (the config file of scan)', default: 'the built-in thresholds' },
  },
  exitStatus: ['0  the sample was written', USAGE_EXIT],
  examples: ['sample /tmp/flowlogs --records 1000000 --seed 7'],
});

/** In the order `flowir --help` lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [SCAN_COMMAND, RUN_COMMAND, AUDIT_COMMAND, SAMPLE_COMMAND];
