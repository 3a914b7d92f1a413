/**
 * Counts in the audit read as `flowir scan` prints its counts (en-US separators, `12,247`): a port
 * scan of 1,001 ports, told in text and in HTML. Checked on the values that are counts, and on the
 * whole output: no run of four digits or more stands alone (times, hashes, ids and ARNs are not
 * counts and are never alone: a letter, colon or hyphen touches them).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { duration, fmt } from '../../../local/audit/story';
import { audit } from './cli';
import { playScenario, type PlayedScenario } from './scenario';

/** Digit runs of four or more that are not part of a time, hash, id, ARN or path. */
const bareNumbers = (text: string): string[] => [...text.matchAll(/(?<![\w.:/-])\d{4,}(?![\w:/-])/g)].map((m) => m[0]);

let scan: PlayedScenario;
let text: string;
let html: string;
beforeAll(async () => {
  scan = await playScenario('contained', { ports: 1001 });
  const file = path.join(scan.stateDir, 'audit.html');
  const r = await audit([scan.executionName, '--state-dir', scan.stateDir, '--html', file]);
  expect(r.code).toBe(0);
  text = r.stdout;
  html = readFileSync(file, 'utf8');
});

describe('counts in flowir audit', () => {
  it('text: the finding, the evidence summary, the recount and the object sizes', () => {
    expect(text).toContain(`  finding      ${scan.finding.id}: ${scan.finding.source}, 1,001 > 50 (CRITICAL)\n`);
    expect(text).toMatch(/^ +raw records: 1,001 \(1,001 rejected, 0 accepted\)$/m);
    expect(text).toMatch(/^ +exact recount on the raw records: 1,001$/m);
    expect(text).toContain('  recount   1,001 from the raw records (1,001 records in the window); recorded 1,001, recount.json 1,001, query reported 1,001; threshold 50: confirmed\n');
    // The gzip of 1,001 records is past a thousand bytes.
    expect(text).toMatch(/^ {2}verified {2}records\.log\.gz +sha256 [0-9a-f]{64} {2}\d{1,3}(,\d{3})+ bytes$/m);
    expect(bareNumbers(text)).toEqual([]);
  });

  it('HTML: the same counts, and none without separators', () => {
    const visible = html
      .replace(/<style>[\s\S]*?<\/style>/, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&gt;/g, '>')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&');
    expect(visible).toContain('Recount from the raw records:  1,001 (1,001 records of the source in the window) against the threshold 50');
    expect(visible).toContain('1,001 > 50 · CRITICAL');
    expect(visible).toMatch(/raw records +1,001 \(1,001 rejected, 0 accepted\)/);
    expect(html).toMatch(/<tr data-object="records\.log\.gz" data-status="verified">.*?<br>\d{1,3}(,\d{3})+ bytes<\/td>/);
    expect(bareNumbers(visible)).toEqual([]);
  });
});

describe('fmt', () => {
  it.each([0, 7, 999, 1000, 12247, 1001, 987654321, Number.MAX_SAFE_INTEGER])('%d as toLocaleString("en-US") has it', (n) => {
    expect(fmt(n)).toBe(n.toLocaleString('en-US'));
  });

  it.each([
    // Byte sums past 2^53 come as decimal strings: every digit kept.
    ['123456789012345678901234', '123,456,789,012,345,678,901,234'],
    [10n ** 18n, '1,000,000,000,000,000,000'],
    // A fraction is shown whole (an audit does not round what was recorded).
    ['1234.56789', '1,234.56789'],
    ['-1234', '-1,234'],
    ['—', '—'],
    ['1e21', '1e21'],
  ])('%s → %s', (v, shown) => {
    expect(fmt(v)).toBe(shown);
  });

  it('durations in whole units carry separators too', () => {
    expect(duration(1500 * 3600)).toBe('1,500 h');
    expect(duration(1501)).toBe('1,501 s');
    expect(duration(86400 * 1200)).toBe('1,200 days');
  });
});
