import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileBlockBudget, StateFileError } from '../../../local/adapters';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-budget-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = new Date('2025-11-22T10:05:00Z');

describe('the local hourly block cap', () => {
  it('50 concurrent takes through two instances on one file: exactly the cap succeeds', async () => {
    const file = path.join(dir, 'block-budget.json');
    const a = new FileBlockBudget(file);
    const b = new FileBlockBudget(file);
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take(at, 20)));
    expect(outs.filter((o) => o.taken)).toHaveLength(20);
    expect(outs.filter((o) => !o.taken).every((o) => o.used === 20)).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ hours: { '2025-11-22T10': 20 } });
  });

  it('counts per UTC clock hour: the next hour starts again', async () => {
    const budget = new FileBlockBudget(path.join(dir, 'b.json'));
    expect(await budget.take(at, 1)).toEqual({ taken: true, used: 1 });
    expect(await budget.take(new Date('2025-11-22T10:59:59Z'), 1)).toEqual({ taken: false, used: 1 });
    expect(await budget.take(new Date('2025-11-22T11:00:00Z'), 1)).toEqual({ taken: true, used: 1 });
  });

  it('a counter file that is not one is refused, naming the file', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ hours: { yesterday: 'many' } }));
    await expect(new FileBlockBudget(file).take(at, 5)).rejects.toThrow(StateFileError);
    await expect(new FileBlockBudget(file).take(at, 5)).rejects.toThrow(/bad\.json/);
  });
});
