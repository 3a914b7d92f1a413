/**
 * The summary `flowir run` prints for a person, from a real run (`--decide approve`) where three
 * guardrails refuse containment: each GUARDED line names its guardrail and why, the notes say what
 * the guardrails mean and that release times are on the simulated clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { parseIncidentConfig } from '../../../core/policy/incident-config';
import { renderRunSummary } from '../../../local/cli/run-command';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary, type RunSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';

let dir: string;
let summary: RunSummary;
let text: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-summary-'));
  const sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
  // 198.51.100.23 may never be blocked; of the two other CRITICAL sources only one fits under a cap of one block an hour.
  const incident = parseIncidentConfig({ neverBlock: ['198.51.100.0/24'], maxBlocksPerHour: 1 });
  summary = runSummary(await runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident, windowSeconds: 3600, until: 1763805600, stateDir: path.join(dir, 'state'), decide: 'approve' }));
  text = renderRunSummary(summary);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the run summary, as printed', () => {
  it('names the guardrail of each GUARDED incident, with its reason', () => {
    const guarded = summary.executions.filter((e) => e.outcome === 'GUARDED');
    expect(guarded.map((e) => e.containment?.guardrail).sort()).toEqual(['allowlisted', 'private-range', 'rate-limit']);
    const lineOf = (source: string): string => text.split('\n').find((l) => l.startsWith('GUARDED') && l.includes(`:${source}:`)) ?? '';
    expect(lineOf('10.0.99.9')).toMatch(/ — not blocked: guardrail private-range \(10\.0\.99\.9 is in 10\.0\.0\.0\/8 .*allowPrivate\)$/);
    expect(lineOf('198.51.100.23')).toMatch(/ — not blocked: guardrail allowlisted \(198\.51\.100\.23 is in the allowlisted range 198\.51\.100\.0\/24\)$/);
    expect(text).toMatch(/^GUARDED {5}\S+ .*— not blocked: guardrail rate-limit \(1 block this hour \(since \d\d:00 UTC\) reaches the cap of 1 per hour\)$/m);
  });

  it('explains GUARDED and the simulated release times once, below the incidents', () => {
    expect(text).toContain(
      'GUARDED: a guardrail refused containment, so nothing was blocked: ' +
        'allowlisted: the source is allowlisted (the allowlist, or incident.neverBlock); ' +
        'private-range: the source is a private address (blocked only with incident.allowPrivate); ' +
        'rate-limit: the cap of blocks per hour was reached (incident.maxBlocksPerHour).',
    );
    const contained = summary.executions.filter((e) => e.outcome === 'CONTAINED');
    expect(contained).toHaveLength(1);
    const c = contained[0]?.containment;
    expect(text).toContain(` blocked ${c?.blocked.join(', ')} (released ${c?.releasedAt}, simulated clock)`);
    expect(text).toContain('Release times are on the simulated clock: locally the wait for block expiry is fast-forwarded');
    // The notes come after the incident lines and before the state line.
    const lines = text.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^state: /);
    expect(lines.findIndex((l) => l.startsWith('GUARDED: '))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('CONTAINED ')));
  });

  it('says nothing of guardrails or the clock when neither applies', () => {
    const plain: RunSummary = { ...summary, executions: summary.executions.filter((e) => e.outcome === 'NOTIFIED') };
    const t = renderRunSummary(plain);
    expect(t).not.toContain('GUARDED');
    expect(t).not.toContain('simulated clock');
  });
});
