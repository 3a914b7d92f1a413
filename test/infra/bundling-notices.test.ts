import { dropBundlingNotices } from '../../infra/bundling-notices';

function fakeStream(): { stream: NodeJS.WriteStream; written: unknown[][] } {
  const written: unknown[][] = [];
  const stream = {
    write: (...args: unknown[]) => {
      written.push(args);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('dropBundlingNotices', () => {
  it("drops the CDK's `Bundling asset <path>...` lines, calling back as a write would", async () => {
    const { stream, written } = fakeStream();
    dropBundlingNotices(stream);
    const called = new Promise<void>((resolve) => stream.write('Bundling asset Flowir-dev/Workflows/Block/Function/Code/Stage...\n', () => resolve()));
    expect(stream.write('Bundling asset Flowir-dev/Workflows/Ticket/Function/Code/Stage...\n')).toBe(true);
    await called;
    expect(written).toEqual([]);
  });

  it('writes everything else unchanged: the warnings, a failed bundling, a notice inside other text', () => {
    const { stream, written } = fakeStream();
    dropBundlingNotices(stream);
    const done = (): void => undefined;
    stream.write('WARNING vpcId is the placeholder vpc-00000000000000000\n');
    stream.write('Failed to bundle asset Flowir-dev/Workflows/Block/Function/Code/Stage: Error: esbuild\n', 'utf8', done);
    stream.write('note: Bundling asset X...\n');
    stream.write(Buffer.from('Bundling asset Flowir-dev/X...\n'));
    expect(written).toEqual([
      ['WARNING vpcId is the placeholder vpc-00000000000000000\n', undefined, undefined],
      ['Failed to bundle asset Flowir-dev/Workflows/Block/Function/Code/Stage: Error: esbuild\n', 'utf8', done],
      ['note: Bundling asset X...\n', undefined, undefined],
      [Buffer.from('Bundling asset Flowir-dev/X...\n'), undefined, undefined],
    ]);
  });
});
