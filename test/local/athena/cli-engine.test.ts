/** `flowir run --engine logs-insights|athena`: the engine is checked and handed to the local runtime. */
import { join } from 'node:path';
import type { LocalRunOptions } from '../../../local/runtime/runtime';
import { flowir } from '../cli/run-main';

const PLAIN = join(__dirname, '..', '..', 'fixtures', 'flowlogs', 'plain', 'exported-from-cloudwatch-v2.log');
const calls: LocalRunOptions[] = [];

jest.mock('../../../local/runtime/runtime', () => ({
  ...jest.requireActual('../../../local/runtime/runtime'),
  // Stops the run once the options are seen: what the runtime does with them is its own tests' business.
  runLocal: async (options: LocalRunOptions) => {
    calls.push(options);
    throw new Error('stopped by the test');
  },
}));

beforeEach(() => {
  calls.length = 0;
});

it.each([['athena'], ['logs-insights']])('--engine %s reaches runLocal', async (engine) => {
  await expect(flowir(['run', PLAIN, '--decide', 'approve', '--engine', engine])).rejects.toThrow('stopped by the test');
  expect(calls.map((c) => c.engine)).toEqual([engine]);
});

it('without --engine, runLocal is left its default (logs-insights)', async () => {
  await expect(flowir(['run', PLAIN, '--decide', 'approve'])).rejects.toThrow('stopped by the test');
  expect(calls).toHaveLength(1);
  expect(calls[0]?.engine).toBeUndefined();
});

it('refuses another engine before anything runs', async () => {
  const r = await flowir(['run', PLAIN, '--engine', 'bigquery']);
  expect({ code: r.code, stdout: r.stdout, first: r.stderr.split('\n')[0] }).toEqual({ code: 1, stdout: '', first: 'flowir run: --engine: expected logs-insights or athena, got "bigquery"' });
  expect(calls).toEqual([]);
  const empty = await flowir(['run', PLAIN, '--engine=']);
  expect(empty.stderr.split('\n')[0]).toBe('flowir run: --engine needs a value, got an empty one: --engine logs-insights|athena');
});

it('--help documents it', async () => {
  const r = await flowir(['run', '--help']);
  expect(r.stdout).toMatch(/--engine logs-insights\|athena/);
  expect(r.stdout).toContain('default: logs-insights');
});
