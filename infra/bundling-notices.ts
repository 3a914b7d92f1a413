/**
 * aws-cdk-lib's asset staging writes `Bundling asset <construct path>...` to stderr before each
 * bundling, with no option to turn it off: a dozen lines on every `cdk synth`, ahead of the
 * warnings that matter. A failed bundling is still reported, naming the asset, in the error.
 */
const NOTICE = /^Bundling asset \S+\.\.\.\n$/;

type Write = NodeJS.WriteStream['write'];

/** Make `stream` (process.stderr) drop the CDK's bundling notices and write everything else as before. */
export function dropBundlingNotices(stream: NodeJS.WriteStream = process.stderr): void {
  const write: Write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    if (typeof chunk === 'string' && NOTICE.test(chunk)) {
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }
    return (write as (c: unknown, e?: unknown, cb?: unknown) => boolean)(chunk, encodingOrCallback, callback);
  }) as Write;
}
