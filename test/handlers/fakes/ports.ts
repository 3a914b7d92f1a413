/** In-memory ports for handler tests: small, but they keep the rules the real stores keep. */
import { createHash } from 'node:crypto';
import type { Clock, FlowRecordSource, InterfaceInfo, NetworkInventory, ObjectStore, StoredObject, SuppressionEntry, SuppressionStore } from '../../../handlers/ports';
import type { HistoryEvent, HistoryReader } from '../../../handlers/ports/history';
import type { FindingCount, MetricsPort } from '../../../handlers/ports/metrics';
import { parseLine } from '../../../core/flowlog/record';
import { FlowLogFormat } from '../../../core/flowlog/format';

export class SettableClock implements Clock {
  constructor(private t: Date) {}
  now(): Date {
    return this.t;
  }
  set(iso: string): void {
    this.t = new Date(iso);
  }
  advance(seconds: number): void {
    this.t = new Date(this.t.getTime() + seconds * 1000);
  }
}

/** Like the DynamoDB store: a claim wins while no live entry holds the key (live: now < expiresAt). */
export class MemorySuppressionStore implements SuppressionStore {
  readonly entries = new Map<string, SuppressionEntry & { lastFindingId: string | null }>();

  async claim(entry: SuppressionEntry, nowIso: string): ReturnType<SuppressionStore['claim']> {
    const current = this.entries.get(entry.key);
    if (current !== undefined && Date.parse(nowIso) < Date.parse(current.expiresAt)) return { claimed: false, existing: current };
    this.entries.set(entry.key, { ...entry, lastFindingId: null });
    return { claimed: true };
  }

  async recordRepeat(key: string, findingId: string): Promise<void> {
    const current = this.entries.get(key);
    if (current === undefined) throw new Error(`no entry for ${key}`);
    if (current.findingId === findingId || current.lastFindingId === findingId) return;
    this.entries.set(key, { ...current, repeats: current.repeats + 1, lastFindingId: findingId });
  }
}

export class RecordingMetrics implements MetricsPort {
  readonly published: FindingCount[][] = [];
  async findings(counts: readonly FindingCount[]): Promise<void> {
    this.published.push([...counts]);
  }
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  async put(key: string, body: Buffer | string, contentType: string): Promise<StoredObject> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.objects.set(key, { body: bytes, contentType });
    return { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  async get(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key)?.body;
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** The input files' role locally: the lines of one source whose start is in the window. */
export class LinesRecordSource implements FlowRecordSource {
  readonly calls: Array<{ source: string; window: { start: number; end: number } }> = [];
  constructor(
    private readonly format: FlowLogFormat,
    private readonly allLines: readonly string[],
  ) {}
  async records(source: string, window: { start: number; end: number }): ReturnType<FlowRecordSource['records']> {
    this.calls.push({ source, window });
    const lines = this.allLines.filter((line) => {
      const r = parseLine(line, this.format);
      return r.kind === 'record' && r.record.srcaddr === source && r.record.start >= window.start && r.record.start < window.end;
    });
    return { format: this.format.fields.join(' '), lines, query: `lines of ${source} in [${window.start}, ${window.end})` };
  }
}

export class MapNetworkInventory implements NetworkInventory {
  readonly asked: string[][] = [];
  constructor(private readonly known: readonly InterfaceInfo[]) {}
  async interfaces(interfaceIds: readonly string[]): Promise<InterfaceInfo[]> {
    this.asked.push([...interfaceIds]);
    return this.known.filter((i) => interfaceIds.includes(i.interfaceId));
  }
}

export class ListHistoryReader implements HistoryReader {
  constructor(private readonly byArn: ReadonlyMap<string, HistoryEvent[]>) {}
  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events = this.byArn.get(executionArn);
    if (events === undefined) throw new Error(`ExecutionDoesNotExist: ${executionArn}`);
    return events;
  }
}
