import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { CompactState } from './fast-window';
import type { SourceKeys } from './state-merge';
import { GzipFallback, UnitRunner, type ScanSettings, type ScanUnit, type StdinProgress, type UnitResult } from './unit-runner';

export type WorkerRequest =
  | { readonly type: 'unit'; readonly unit: ScanUnit }
  | { readonly type: 'heavy'; readonly parts: number }
  | { readonly type: 'state'; readonly keys: SourceKeys };
export type WorkerReply =
  | { readonly type: 'result'; readonly result: UnitResult }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'gzip-fallback'; readonly id: number; readonly message: string }
  | { readonly type: 'heavy'; readonly keys: SourceKeys }
  | { readonly type: 'state'; readonly state: CompactState };

/**
 * Something that runs scan units and, at the end, hands over what they accumulated in two steps
 * (see state-merge.ts): each thread's heavy sources, then every thread's state for all of them.
 */
export interface UnitExecutor {
  /** Run a unit (after those queued before it). */
  run(unit: ScanUnit): Promise<UnitResult>;
  /** How many windows (threads) this executor has. */
  readonly windows: number;
  /** After the last unit: each thread's heavy sources, each window being one of `parts`. */
  heavy(parts: number): Promise<SourceKeys[]>;
  /** Each thread's state for the given sources. */
  states(keys: SourceKeys): Promise<CompactState[]>;
  /** Stop (at the end, or after a failure). */
  close(): Promise<void>;
}

/** A fault inside a scan worker: a bug, not bad input (bad input is reported, never thrown). */
export class ScanWorkerError extends Error {
  override readonly name = 'ScanWorkerError';
}

/** Units run one after the other on the calling thread. */
export class InProcessExecutor implements UnitExecutor {
  private readonly runner: UnitRunner;
  private chain: Promise<unknown> = Promise.resolve();

  /** `onStdin`: see UnitRunner. */
  constructor(settings: ScanSettings, stdin?: Readable, onStdin?: StdinProgress) {
    this.runner = new UnitRunner(settings, stdin, onStdin);
  }

  private closed = false;

  run(unit: ScanUnit): Promise<UnitResult> {
    const p = this.chain.then(() => {
      // A pass given up (see fastScan) leaves queued units: they are not read.
      if (this.closed) throw new ScanWorkerError('the scan was stopped');
      return this.runner.run(unit);
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  readonly windows = 1;

  async heavy(parts: number): Promise<SourceKeys[]> {
    await this.chain;
    return [this.runner.heavy(parts)];
  }

  async states(keys: SourceKeys): Promise<CompactState[]> {
    return [this.runner.state(keys)];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

interface Job {
  readonly unit: ScanUnit;
  readonly resolve: (r: UnitResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Units in hand, by id: one range, or a few streams (gzip) whose decoding overlaps. */
  readonly jobs: Map<number, Job>;
  /** Waiting for a summary or a state. */
  onReply: ((m: WorkerReply) => void) | null;
}

/** Streamed units one thread takes at once: while one waits for zlib (on the libuv pool), it scans another. */
const STREAMS_PER_THREAD = 2;

/**
 * Worker threads, each with its own window, fed one unit at a time from a shared queue (so a
 * thread that finishes early takes the next unit). The worker file is the compiled `worker.js`
 * next to this module.
 */
export class ThreadPool implements UnitExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private failure: Error | null = null;

  constructor(workerFile: string, threads: number, settings: ScanSettings) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerFile, { workerData: settings });
      const slot: Slot = { worker, jobs: new Map(), onReply: null };
      worker.on('message', (m: WorkerReply) => this.onMessage(slot, m));
      worker.on('error', (e: Error) => this.fail(new ScanWorkerError(`scan worker failed: ${e.message}`, { cause: e })));
      worker.on('exit', (code) => {
        if (slot.jobs.size > 0 || slot.onReply !== null) this.fail(new ScanWorkerError(`scan worker exited (code ${code}) with work in hand`));
      });
      this.slots.push(slot);
    }
  }

  run(unit: ScanUnit): Promise<UnitResult> {
    return new Promise((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      this.queue.push({ unit, resolve, reject });
      this.dispatch();
    });
  }

  /** Whether a thread may take this unit now: one read synchronously (a range, a whole gzip) alone, streams a few at a time. */
  private static fits(slot: Slot, unit: ScanUnit): boolean {
    if (slot.jobs.size === 0) return true;
    if (ThreadPool.alone(unit) || slot.jobs.size >= STREAMS_PER_THREAD) return false;
    for (const j of slot.jobs.values()) if (ThreadPool.alone(j.unit)) return false;
    return true;
  }

  private static alone(unit: ScanUnit): boolean {
    return unit.kind === 'range' || unit.kind === 'gzip-whole';
  }

  private dispatch(): void {
    // Idle threads first, so that units spread before any thread doubles up.
    const slots = [...this.slots].sort((a, b) => a.jobs.size - b.jobs.size);
    for (let taken = true; taken && this.queue.length > 0; ) {
      taken = false;
      for (const slot of slots) {
        const job = this.queue[0];
        if (job === undefined || !ThreadPool.fits(slot, job.unit)) continue;
        this.queue.shift();
        slot.jobs.set(job.unit.id, job);
        slot.worker.postMessage({ type: 'unit', unit: job.unit } satisfies WorkerRequest);
        taken = true;
      }
    }
  }

  private onMessage(slot: Slot, m: WorkerReply): void {
    if (m.type === 'heavy' || m.type === 'state') {
      const take = slot.onReply;
      slot.onReply = null;
      take?.(m);
      return;
    }
    const id = m.type === 'result' ? m.result.id : m.id;
    const job = slot.jobs.get(id);
    slot.jobs.delete(id);
    if (job === undefined) return;
    if (m.type === 'result') job.resolve(m.result);
    else if (m.type === 'gzip-fallback') job.reject(new GzipFallback(m.message));
    else job.reject(new ScanWorkerError(`scan worker failed on ${job.unit.name}: ${m.message}`));
    this.dispatch();
  }

  private fail(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    for (const slot of this.slots) {
      for (const job of slot.jobs.values()) job.reject(e);
      slot.jobs.clear();
    }
    for (const job of this.queue.splice(0)) job.reject(e);
    void this.close();
  }

  /** Ask every thread the same kind of question; answers in slot order. */
  private ask<T>(request: () => WorkerRequest, answer: (m: WorkerReply) => T | undefined): Promise<T[]> {
    return Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<T>((resolve, reject) => {
            if (this.failure !== null) return reject(this.failure);
            slot.onReply = (m) => {
              const a = answer(m);
              if (a === undefined) reject(new ScanWorkerError(`scan worker answered ${m.type} out of turn`));
              else resolve(a);
            };
            slot.worker.postMessage(request());
          }),
      ),
    );
  }

  get windows(): number {
    return this.slots.length;
  }

  heavy(parts: number): Promise<SourceKeys[]> {
    return this.ask(
      () => ({ type: 'heavy', parts }),
      (m) => (m.type === 'heavy' ? m.keys : undefined),
    );
  }

  states(keys: SourceKeys): Promise<CompactState[]> {
    return this.ask(
      () => ({ type: 'state', keys }),
      (m) => (m.type === 'state' ? m.state : undefined),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
