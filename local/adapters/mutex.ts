/**
 * An in-process mutex per key. The local stores do read-check-write on JSON files; concurrent
 * handlers in one `flowir run` (Map iterations, several incidents) must not interleave those steps,
 * or one write would silently undo another.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Run `work` once every earlier holder of `key` has finished (in call order). */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
