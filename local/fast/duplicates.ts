import type { TimeWindow } from '../../core/detection/window';
import type { DuplicateInput } from '../../core/scan/scanner';
import type { InputSource } from '../input/sources';
import { addFingerprints, fingerprintKey, windowKey, type Fingerprint } from './fingerprint';

/** A file, or a folder of a walk: the files [first, last] of the input list. */
interface Node {
  readonly path: string;
  readonly first: number;
  last: number;
  files: number;
  depth: number;
  fingerprint: Fingerprint | undefined;
  /** False when a file under it was not read (pruned): its fingerprint is not the whole folder's. */
  complete: boolean;
}

export interface Duplicates {
  /** What was left out, and which input holds the same records; largest first. */
  readonly entries: DuplicateInput[];
  /** Indices (into the input list) of the files left out. */
  readonly excluded: ReadonlySet<number>;
}

/**
 * The inputs whose records are exactly those of another input: a file and its copy (gzip or not),
 * a folder and a file made of its files (the two layouts of `flowir sample`, or of an S3 archive and
 * an export of the same records), two copies of a folder. Files and the folders of each walk are
 * compared by fingerprint (fingerprint.ts); of two equal ones, the one met first is kept. An input
 * that only overlaps another (some records in common) is not found: telling that would take a
 * record-by-record comparison, with memory in proportion to the input.
 *
 * `fingerprints[i]` is that of `sources[i]`, undefined for a file not read. When some were not read
 * (S3 objects pruned: they hold no record of the window), give the `window`: inputs are then
 * compared on their records in it alone, those being all the scan counts for detection. Memory: one
 * node per file and folder.
 */
export function findDuplicates(sources: readonly InputSource[], fingerprints: readonly (Fingerprint | undefined)[], window?: TimeWindow): Duplicates {
  const nodes = new Map<string, Node>();
  const files: Node[] = [];
  sources.forEach((source, i) => {
    const fingerprint = fingerprints[i];
    const file: Node = { path: source.path, first: i, last: i, files: 1, depth: source.folders?.length ?? 0, fingerprint, complete: fingerprint !== undefined };
    files.push(file);
    (source.folders ?? []).forEach((folder, depth) => {
      const node = nodes.get(folder);
      if (node === undefined) {
        nodes.set(folder, { path: folder, first: i, last: i, files: 1, depth, fingerprint, complete: fingerprint !== undefined });
        return;
      }
      node.last = i;
      node.files++;
      node.complete &&= fingerprint !== undefined;
      if (fingerprint !== undefined) node.fingerprint = node.fingerprint === undefined ? fingerprint : addFingerprints(node.fingerprint, fingerprint);
    });
  });

  // Only what holds a counted record can duplicate anything: empty files and files of malformed
  // lines alone are alike without being copies. Inputs read in full are compared on all they hold;
  // a folder with objects not read, on the window, with anything (and nothing else is).
  const whole = new Map<string, Node[]>();
  const windowed = new Map<string, Node[]>();
  const add = (groups: Map<string, Node[]>, key: string, node: Node): void => {
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [node]);
    else group.push(node);
  };
  for (const node of [...files, ...nodes.values()]) {
    if (node.fingerprint === undefined) continue;
    if (node.complete && node.fingerprint.hashed > 0) add(whole, fingerprintKey(node.fingerprint), node);
    if (window === undefined) continue;
    const inWindow = windowKey(node.fingerprint, window);
    if (inWindow.records > 0) add(windowed, inWindow.key, node);
  }
  const groups = [...[...whole.values()].map((nodes) => ({ nodes, partial: false })), ...[...windowed.values()].filter((g) => g.some((n) => !n.complete)).map((nodes) => ({ nodes, partial: true }))];

  const entries: DuplicateInput[] = [];
  const left: Node[] = [];
  const overlaps = (a: Node, b: Node): boolean => a.first <= b.last && b.first <= a.last;
  const largest = (g: { readonly nodes: readonly Node[] }): number => Math.max(...g.nodes.map((n) => n.files));
  // Largest first: two copies of a folder are reported as the folders, not file by file.
  for (const { nodes: group, partial } of groups.filter((g) => g.nodes.length > 1).sort((a, b) => largest(b) - largest(a))) {
    // In input order, a folder before the files in it.
    const members = group.filter((n) => !left.some((l) => overlaps(l, n))).sort((a, b) => a.first - b.first || a.depth - b.depth);
    const kept = members[0];
    if (kept === undefined) continue;
    // Named by its narrowest form: the file rather than a folder holding only it.
    const sameAs = members.filter((n) => n.first === kept.first && n.last === kept.last).reduce((a, b) => (b.depth > a.depth ? b : a)).path;
    const chosen: Node[] = [kept];
    for (const n of members.slice(1)) {
      // A folder holding a single file (or one folder) has that file's fingerprint: the same records, not a copy.
      if (chosen.some((c) => overlaps(c, n))) continue;
      // Two inputs read in full that agree on the window only differ outside it: not copies.
      if (partial && kept.complete && n.complete) continue;
      chosen.push(n);
      left.push(n);
      entries.push({ path: n.path, files: n.files, sameAs });
    }
  }
  const excluded = new Set<number>();
  for (const n of left) for (let i = n.first; i <= n.last; i++) excluded.add(i);
  return { entries, excluded };
}
