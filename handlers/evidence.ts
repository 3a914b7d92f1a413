/**
 * SnapshotEvidence: the first state of an incident. It fetches the raw flow records behind the
 * finding, re-counts the finding exactly on them (Logs Insights `count_distinct` is approximate),
 * snapshots the security groups of the interfaces the source reached, and stores all of it under
 * `incidents/<execution name>/` with a manifest of SHA-256 hashes.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Finding } from '../core/detection/findings';
import { inWindow } from '../core/detection/window';
import { buildManifest, evidenceKey, manifestKey, recountFinding, serializeManifest, type EvidenceObject } from '../core/evidence';
import { FlowLogFormat, FormatError } from '../core/flowlog/format';
import { parseLine } from '../core/flowlog/record';
import { FindingDataError, parseFinding } from '../core/incident';
import type { EvidenceOutput, EvidenceSummary, IncidentInput } from '../workflows/contract';
import type { Clock, FlowRecordSource, NetworkInventory, ObjectStore } from './ports';
import { requireObject, requireString, TaskInputError } from './task-input';

const gzipAsync = promisify(gzip);

/** The SnapshotEvidence task input: the incident input plus the execution's name (`$$.Execution.Name`). */
export interface EvidenceInput extends IncidentInput {
  readonly executionName: string;
}

/** Names of the objects under the incident's prefix (the manifest lists each with its hash). */
export const EVIDENCE_FILES = {
  records: 'records.log.gz',
  query: 'query.json',
  recount: 'recount.json',
  securityGroups: 'security-groups.json',
  summary: 'summary.json',
} as const;

/** Entries in the summary's top lists. */
export const TOP_ENTRIES = 10;
/** Interfaces whose security groups are snapshotted, most records first; the rest are counted as omitted. */
export const MAX_INTERFACES = 100;

export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
}

export interface EvidenceDeps {
  readonly records: FlowRecordSource;
  readonly inventory: NetworkInventory;
  readonly store: ObjectStore;
  readonly clock: Clock;
}

/** Create the SnapshotEvidence handler: EvidenceInput → EvidenceOutput. */
export function createEvidenceHandler(deps: EvidenceDeps): (input: EvidenceInput) => Promise<EvidenceOutput> {
  return async (input) => {
    const doc = requireObject(input, 'input');
    const finding = readFinding(doc.finding);
    const executionName = requireString(doc.executionName, 'input.executionName');

    const fetched = await deps.records.records(finding.source, finding.window);
    const format = readFormat(fetched.format);
    const recount = recountFinding(finding, fetched.lines, { format, file: EVIDENCE_FILES.records });
    const traffic = summarizeTraffic(finding, fetched.lines, format);

    const interfaceIds = traffic.interfaces.slice(0, MAX_INTERFACES);
    const interfaces = await deps.inventory.interfaces(interfaceIds);
    const found = new Set(interfaces.map((i) => i.interfaceId));
    const securityGroups = [...new Set(interfaces.flatMap((i) => i.securityGroups.map((g) => g.id)))];
    const summary: EvidenceSummary = { ...traffic.summary, interfaces: interfaceIds, securityGroups };

    const objects: EvidenceObject[] = [];
    const put = async (name: string, body: Buffer | string, contentType: string): Promise<void> => {
      const stored = await deps.store.put(evidenceKey(finding.id, name), body, contentType);
      objects.push({ key: stored.key, sha256: stored.sha256, bytes: stored.bytes, contentType });
    };
    // A header line first, as in S3 deliveries, so the file says its own format.
    const recordsText = [format.header(), ...fetched.lines].join('\n') + '\n';
    await put(EVIDENCE_FILES.records, await gzipAsync(Buffer.from(recordsText, 'utf8')), 'application/gzip');
    await put(EVIDENCE_FILES.query, json({ executionName, source: finding.source, window: finding.window, format: fetched.format, query: fetched.query, lines: fetched.lines.length }), 'application/json');
    await put(EVIDENCE_FILES.recount, json(recount), 'application/json');
    await put(
      EVIDENCE_FILES.securityGroups,
      json({
        takenAt: deps.clock.now().toISOString(),
        interfaces,
        // Interfaces deleted since the traffic are not described any more: listed, not dropped.
        notFound: interfaceIds.filter((id) => !found.has(id)),
        omitted: traffic.interfaces.length - interfaceIds.length,
      }),
      'application/json',
    );
    await put(EVIDENCE_FILES.summary, json({ finding: finding.id, recount: recount.value, confirmed: recount.confirmed, summary }), 'application/json');

    const manifest = buildManifest({ finding, createdAt: Math.floor(deps.clock.now().getTime() / 1000), objects });
    const key = manifestKey(finding.id);
    const stored = await deps.store.put(key, serializeManifest(manifest), 'application/json');
    return { manifestKey: key, manifestSha256: stored.sha256, recount: recount.value, confirmed: recount.confirmed, summary };
  };
}

function readFinding(value: unknown): Finding {
  try {
    return parseFinding(value, 'input.finding');
  } catch (e) {
    if (e instanceof FindingDataError) throw new TaskInputError(e.field, e.message.slice(e.field.length + 2), { cause: e });
    throw e;
  }
}

function readFormat(text: string): FlowLogFormat {
  try {
    return FlowLogFormat.parse(text);
  } catch (e) {
    if (e instanceof FormatError) throw new EvidenceError(`the record source gave an unusable format "${text}": ${e.message}`, { cause: e });
    throw e;
  }
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** What the evidence says about the source's traffic in the window (all its records, whatever the rule counts). */
export function summarizeTraffic(
  finding: Pick<Finding, 'source' | 'window'>,
  lines: readonly string[],
  format: FlowLogFormat,
): { summary: Omit<EvidenceSummary, 'interfaces' | 'securityGroups'>; interfaces: string[] } {
  const dstaddrAt = format.indexOf('dstaddr');
  const interfaceAt = format.indexOf('interface-id');
  const destinations = new Map<string, number>();
  const ports = new Map<number, number>();
  const interfaces = new Map<string, number>();
  let records = 0;
  let rejected = 0;
  let firstSeen: number | null = null;
  let lastSeen: number | null = null;
  const bump = <K>(m: Map<K, number>, k: K): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  for (const line of lines) {
    const r = parseLine(line, format);
    if (r.kind !== 'record' || r.record.srcaddr !== finding.source || !inWindow(finding.window, r.record.start)) continue;
    const { record, values } = r;
    records++;
    if (record.action === 'REJECT') rejected++;
    firstSeen = firstSeen === null ? record.start : Math.min(firstSeen, record.start);
    lastSeen = lastSeen === null ? record.start : Math.max(lastSeen, record.start);
    bump(ports, record.dstport);
    const dst = dstaddrAt === -1 ? null : values[dstaddrAt];
    if (typeof dst === 'string') bump(destinations, dst);
    const eni = interfaceAt === -1 ? null : values[interfaceAt];
    if (typeof eni === 'string') bump(interfaces, eni);
  }
  return {
    summary: {
      records,
      firstSeen,
      lastSeen,
      topDestinations: top(destinations).map(([address, n]) => ({ address, records: n })),
      topPorts: top(ports).map(([port, n]) => ({ port, records: n })),
      rejected,
      accepted: records - rejected,
    },
    interfaces: top(interfaces, Infinity).map(([id]) => id),
  };
}

/** Most records first; ties in key order, so the same records always give the same summary. */
function top<K extends string | number>(counts: ReadonlyMap<K, number>, n = TOP_ENTRIES): Array<[K, number]> {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n);
}
