import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/detection/config';
import { openStateDir, StateDirError } from '../../../local/adapters/state-dir';
import { useTempDir } from './temp-dir';

const tmp = useTempDir();
// Permissions do not stop root: the unwritable case can only be seen by another user.
const asRoot = process.getuid?.() === 0;

describe('openStateDir', () => {
  it('makes a missing state dir, folders on the way included', async () => {
    const root = path.join(tmp.path, 'a', 'b', '.flowir');
    const dir = await openStateDir(root);
    expect(dir.root).toBe(root);
    expect((await fs.stat(root)).isDirectory()).toBe(true);
  });

  it('takes an existing folder as it is, leaving nothing in it', async () => {
    await fs.writeFile(path.join(tmp.path, 'kept.json'), '{}');
    await openStateDir(tmp.path);
    expect(await fs.readdir(tmp.path)).toEqual(['kept.json']);
  });

  it('refuses a file, naming it', async () => {
    const file = path.join(tmp.path, 'passwd');
    await fs.writeFile(file, 'root:x:0:0::/root:/bin/sh\n');
    const e = await openStateDir(file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StateDirError);
    // The CLI reports a ConfigError as bad usage (exit 1, the message alone).
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as StateDirError).message).toBe(`state dir ${file}: is a file, not a folder; --state-dir names the folder where a run keeps its evidence, histories and blocks (made if missing)`);
    expect(await fs.readFile(file, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
  });

  it('refuses a folder that cannot be made (a file on the way), naming it', async () => {
    const file = path.join(tmp.path, 'notes.txt');
    await fs.writeFile(file, 'x');
    const root = path.join(file, 'state');
    await expect(openStateDir(root)).rejects.toThrow(new StateDirError(root, `cannot be created (ENOTDIR: not a directory, mkdir '${root}')`));
  });

  (asRoot ? it.skip : it)('refuses a folder it cannot write, naming it', async () => {
    const root = path.join(tmp.path, 'locked');
    await fs.mkdir(root, { mode: 0o500 });
    try {
      await expect(openStateDir(root)).rejects.toThrow(new RegExp(`^state dir ${root}: is not writable \\(EACCES`));
    } finally {
      await fs.chmod(root, 0o700);
    }
  });

  it('names the path resolved, so a relative one is plain too', async () => {
    const file = path.join(tmp.path, 'f');
    await fs.writeFile(file, '');
    const relative = path.relative(process.cwd(), file);
    await expect(openStateDir(relative)).rejects.toThrow(`state dir ${file}: is a file`);
  });
});
