/**
 * The history's hash chain and its anchor (local/history/chain.ts): the head covers every event,
 * their order and count and every other field; it is the same before the document is written and
 * after it is read back; writeExecutionHistory keeps it in the document and in the anchor beside
 * the evidence.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canonicalJson, historyAnchorKey, historyChain, parseHistoryAnchor, writeExecutionHistory, HistoryAnchorError, type ExecutionHistoryDocument } from '../../../local/history';

const NAME = 'PORT_SCAN-203-0-113-50-1763805600';
const doc: ExecutionHistoryDocument = {
  executionArn: `arn:aws:states:local:000000000000:execution:incident:${NAME}`,
  name: NAME,
  stateMachineName: 'incident',
  status: 'SUCCEEDED',
  startDate: '2025-11-22T10:00:00.000Z',
  stopDate: '2025-11-22T10:00:02.000Z',
  input: '{"finding":{"id":"PORT_SCAN:203.0.113.50:1763805600"}}',
  output: '{"outcome":"CONTAINED"}',
  error: null,
  cause: null,
  events: [
    { id: 1, previousEventId: 0, timestamp: '2025-11-22T10:00:00.000Z', type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"finding":{}}', inputDetails: { truncated: false } } },
    { id: 2, previousEventId: 1, timestamp: '2025-11-22T10:00:01.000Z', type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Open', input: '{}' }, localDetails: undefined },
    { id: 3, previousEventId: 2, timestamp: '2025-11-22T10:00:02.000Z', type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{"outcome":"CONTAINED"}', outputDetails: { truncated: false } } },
  ],
};

let dir = '';
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flowir-chain-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth, leaves out undefined as JSON does, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,null,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson('é\n')).toBe(JSON.stringify('é\n'));
  });
});

describe('the chain', () => {
  it('is the same for the document and for its JSON read back', () => {
    expect(historyChain(JSON.parse(JSON.stringify(doc))).head).toBe(historyChain(doc).head);
    expect(historyChain(doc).events.map((e) => [e.id, e.type])).toEqual([[1, 'ExecutionStarted'], [2, 'PassStateEntered'], [3, 'ExecutionSucceeded']]);
  });

  const edits: Array<[string, (d: ExecutionHistoryDocument) => unknown]> = [
    ['an event detail edited', (d) => ({ ...d, events: d.events.map((e) => (e.id === 3 ? { ...e, executionSucceededEventDetails: { output: '{"outcome":"NOTIFIED"}', outputDetails: { truncated: false } } } : e)) })],
    ['a timestamp backdated', (d) => ({ ...d, events: d.events.map((e) => (e.id === 2 ? { ...e, timestamp: '2025-11-22T09:00:01.000Z' } : e)) })],
    ['an event removed', (d) => ({ ...d, events: d.events.filter((e) => e.id !== 2) })],
    ['events reordered', (d) => ({ ...d, events: [d.events[1], d.events[0], d.events[2]] })],
    ['a document field edited', (d) => ({ ...d, output: '{"outcome":"NOTIFIED"}' })],
    ['a document field added', (d) => ({ ...d, extra: 1 })],
  ];
  it.each(edits)('%s: another head', (_what, edit) => {
    expect(historyChain(edit(doc)).head).not.toBe(historyChain(doc).head);
  });

  it('does not cover the document\'s own chain field', () => {
    expect(historyChain({ ...doc, chain: { head: 'x' } }).head).toBe(historyChain(doc).head);
  });
});

describe('writeExecutionHistory seals the history', () => {
  it('writes the head into the document and the anchor beside the incident\'s evidence', async () => {
    const file = await writeExecutionHistory(dir, doc);
    const written = JSON.parse(await fs.readFile(file, 'utf8')) as { chain: { head: string; events: number; anchor: string } };
    const chain = historyChain(doc);
    expect(written.chain).toEqual({ version: 'flowir-history-chain/1', events: 3, head: chain.head, anchor: `incidents/${NAME}/history-anchor.json` });
    const anchor = parseHistoryAnchor(await fs.readFile(path.join(dir, 'evidence', 'incidents', NAME, 'history-anchor.json'), 'utf8'));
    expect(anchor).toMatchObject({ executionName: NAME, stateMachineName: 'incident', executionArn: doc.executionArn, history: `executions/incident/${NAME}.json`, status: 'SUCCEEDED', head: chain.head, eventCount: 3 });
    expect(anchor.events).toEqual(chain.events);
    expect(Date.parse(anchor.writtenAt)).not.toBeNaN();
  });

  it('a detection\'s anchor goes under detections/<execution>/; a later snapshot replaces it', async () => {
    const detection = { ...doc, name: 'security-1763805600-x', stateMachineName: 'security', input: '{"group":"security"}', status: 'RUNNING' as const };
    expect(historyAnchorKey(detection)).toBe('detections/security-1763805600-x/history-anchor.json');
    await writeExecutionHistory(dir, detection);
    await writeExecutionHistory(dir, { ...detection, status: 'SUCCEEDED' });
    const anchor = parseHistoryAnchor(await fs.readFile(path.join(dir, 'evidence', 'detections', 'security-1763805600-x', 'history-anchor.json'), 'utf8'));
    expect([anchor.status, anchor.head]).toEqual(['SUCCEEDED', historyChain({ ...detection, status: 'SUCCEEDED' }).head]);
  });

  it('an anchor that is not one is refused, saying why', () => {
    expect(() => parseHistoryAnchor('{')).toThrow(HistoryAnchorError);
    expect(() => parseHistoryAnchor('{"anchor":"something else"}')).toThrow(/expected \{"anchor": "flowir execution history anchor"/);
  });
});
