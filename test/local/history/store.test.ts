import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StateFileError, UnsafeNameError } from '../../../local/adapters/files';
import { HISTORY_CHAIN_VERSION, executionHistoryFile, historyChain, listExecutionHistories, readExecutionHistory, writeExecutionHistory, type ExecutionHistoryDocument } from '../../../local/history';

const doc: ExecutionHistoryDocument = {
  executionArn: 'arn:aws:states:local:000000000000:execution:flowir-incident:PORT_SCAN-203-0-113-50-1763805600',
  name: 'PORT_SCAN-203-0-113-50-1763805600',
  stateMachineName: 'flowir-incident',
  status: 'SUCCEEDED',
  startDate: '2025-11-22T10:00:00.000Z',
  stopDate: '2025-11-23T10:00:01.000Z',
  input: '{"finding":{}}',
  output: '{"outcome":"CONTAINED"}',
  error: null,
  cause: null,
  events: [
    { id: 1, previousEventId: 0, timestamp: '2025-11-22T10:00:00.000Z', type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"finding":{}}', inputDetails: { truncated: false } } },
    { id: 2, previousEventId: 1, timestamp: '2025-11-23T10:00:01.000Z', type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{"outcome":"CONTAINED"}', outputDetails: { truncated: false } } },
  ],
};

describe('execution history store', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flowir-history-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes <state>/executions/<stateMachine>/<name>.json and reads it back', async () => {
    const file = await writeExecutionHistory(dir, doc);
    expect(file).toBe(path.join(dir, 'executions', 'flowir-incident', 'PORT_SCAN-203-0-113-50-1763805600.json'));
    // Sealed as written: the document with its chain's head (which the head does not cover).
    const read = await readExecutionHistory(file);
    expect(read).toEqual({ ...doc, chain: { version: HISTORY_CHAIN_VERSION, events: 2, head: historyChain(doc).head, anchor: 'incidents/PORT_SCAN-203-0-113-50-1763805600/history-anchor.json' } });
    expect(historyChain(read).head).toBe(historyChain(doc).head);
    expect(await listExecutionHistories(dir)).toEqual([{ stateMachineName: 'flowir-incident', name: 'PORT_SCAN-203-0-113-50-1763805600', file }]);
  });

  it('replaces an earlier snapshot of the same execution', async () => {
    await writeExecutionHistory(dir, { ...doc, status: 'RUNNING', stopDate: null, output: null });
    const file = await writeExecutionHistory(dir, doc);
    expect((await readExecutionHistory(file)).status).toBe('SUCCEEDED');
  });

  it('refuses names that would leave the folder', () => {
    expect(() => executionHistoryFile(dir, '..', 'x')).toThrow(UnsafeNameError);
    expect(() => executionHistoryFile(dir, 'flowir-incident', '../../keys/approval')).toThrow(UnsafeNameError);
  });

  it('names the file and the field of a damaged history', async () => {
    const file = path.join(dir, 'bad.json');
    await fs.writeFile(file, JSON.stringify({ ...doc, status: 'DONE' }));
    await expect(readExecutionHistory(file)).rejects.toThrow(/bad\.json: status: expected one of RUNNING/);
    await fs.writeFile(file, JSON.stringify({ ...doc, events: [{ id: 1 }] }));
    await expect(readExecutionHistory(file)).rejects.toThrow(StateFileError);
    await expect(readExecutionHistory(path.join(dir, 'none.json'))).rejects.toThrow(/no such execution history/);
  });

  it('lists nothing when no execution ran', async () => {
    expect(await listExecutionHistories(dir)).toEqual([]);
  });
});
