/**
 * Threads list the sources whose share may make a finding, then all hand those over in full. A
 * source that passes a threshold only over all threads together (counts, bytes past 2^53,
 * distinct ports seen partly by both, per-port counts) must still be handed over and found.
 */
import { parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { LineScanner } from '../../../core/scan/scanner';
import { ByteLineScanner } from '../../../local/fast/byte-scanner';
import { FastWindow } from '../../../local/fast/fast-window';
import { FormatCache } from '../../../local/fast/region-compiler';
import { heavyTest, unionKeys } from '../../../local/fast/state-merge';
import { NOW } from './reference';

const CONFIG = parseConfig({
  detections: { HIGH_CONNECTION_COUNT: { threshold: 5 }, HIGH_TRAFFIC_VOLUME: { threshold: 9_007_199_254_740_000 }, PORT_SCAN: { threshold: 3 }, SUSPICIOUS_PORT_ACCESS: { threshold: 3 } },
});

const line = (src: string, port: number, bytes: string, start: number, action = 'REJECT'): string => `2 123456789012 eni-1 ${src} 10.0.1.20 40000 ${port} 6 1 ${bytes} ${start} ${start + 5} ${action} OK`;

/** Lines for two threads: every measure passes its threshold only over both. */
function parts(start: number): [string[], string[]] {
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i < 3; i++) a.push(line('198.51.100.1', 1000 + i, '40', start + i)); // ports 1000-1002
  for (let i = 0; i < 3; i++) b.push(line('198.51.100.1', 1001 + i, '40', start + i)); // ports 1001-1003: 4 distinct in all
  for (let i = 0; i < 3; i++) a.push(line('2001:db8::7', 443, '10', start + i, 'ACCEPT'));
  for (let i = 0; i < 3; i++) b.push(line('2001:db8::7', 443, '10', start + i, 'ACCEPT')); // 6 records
  a.push(line('203.0.113.9', 443, '4503599627370496', start, 'ACCEPT'));
  b.push(line('203.0.113.9', 443, '4503599627370496', start, 'ACCEPT')); // 2^53 in all: a bigint
  for (let i = 0; i < 2; i++) a.push(line('203.0.113.10', 22, '40', start + i));
  for (let i = 0; i < 2; i++) b.push(line('203.0.113.10', 22, '40', start + i)); // 4 on port 22
  a.push(line('192.0.2.50', 80, '40', start)); // below everything
  b.push(line('192.0.2.51', 80, '40', start - 7200)); // outside the window
  return [a, b];
}

function threadWindow(lines: string[], config: FlowirConfig, until: number | undefined): FastWindow {
  const window = new FastWindow(until, config.windowSeconds, config.suspiciousPorts);
  const scanner = new ByteLineScanner('part', FlowLogFormat.V2, window, new FormatCache(), 100);
  scanner.feed(Buffer.from(`${lines.join('\n')}\n`));
  scanner.end();
  return window;
}

describe('handing thread windows over', () => {
  it.each([
    ['with the window end', NOW],
    ['without it', undefined],
  ])('finds what the reference finds on all lines, %s, though no thread alone passes a threshold', (_name, until) => {
    const [a, b] = parts(NOW - 1800);
    const windows = [threadWindow(a, CONFIG, until), threadWindow(b, CONFIG, until)];
    const keys = unionKeys(windows.map((w) => w.heavySources(heavyTest(CONFIG, windows.length))));
    const merged = new FastWindow(until, CONFIG.windowSeconds, CONFIG.suspiciousPorts);
    for (const w of windows) merged.mergeCompact(w.compactState(keys));
    const evaluator = new DetectionEvaluator({ config: CONFIG, ...(until !== undefined ? { until } : {}) });
    evaluator.merge(merged.state());
    const fast = evaluator.finish(NOW);

    const refEvaluator = new DetectionEvaluator({ config: CONFIG, ...(until !== undefined ? { until } : {}) });
    const reference = new LineScanner({ config: CONFIG, evaluator: refEvaluator });
    const file = reference.file('all');
    for (const l of [...a, ...b]) file.line(l);
    expect(fast).toEqual(refEvaluator.finish(NOW));
    expect(fast.findings.map((f) => [f.detection, f.source, f.port, f.value])).toEqual([
      ['PORT_SCAN', '198.51.100.1', null, 4],
      ['SUSPICIOUS_PORT_ACCESS', '203.0.113.10', 22, 4],
      ['HIGH_TRAFFIC_VOLUME', '203.0.113.9', null, 9_007_199_254_740_992n],
      ['HIGH_CONNECTION_COUNT', '198.51.100.1', null, 6],
      ['HIGH_CONNECTION_COUNT', '2001:db8::7', null, 6],
    ]);
    // Handed over in full: the four with findings and 192.0.2.50, whose single REJECT port
    // passes half the PORT_SCAN threshold of 3 (less one); each once, though both threads list some.
    expect(keys.version).toHaveLength(5);
  });
});
