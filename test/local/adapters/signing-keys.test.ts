import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StateFileError } from '../../../local/adapters/files';
import { FileSigningKeyProvider, KeyFilePermissionError } from '../../../local/adapters/signing-keys';
import { useTempDir } from './temp-dir';

describe('FileSigningKeyProvider', () => {
  const tmp = useTempDir();
  const keysDir = (): string => path.join(tmp.path, 'keys');

  it('creates a 32-byte key in keys/approval.key with mode 0600', async () => {
    const { current, all } = await new FileSigningKeyProvider(keysDir()).keys();
    expect(current.secret).toHaveLength(32);
    expect(all).toEqual([current]);
    const st = await fs.stat(path.join(keysDir(), 'approval.key'));
    expect(st.mode & 0o777).toBe(0o600);
    expect((await fs.readFile(path.join(keysDir(), 'approval.key'), 'utf8')).trim()).toBe(current.secret.toString('hex'));
  });

  it('creates the key with mode 0600 whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      await new FileSigningKeyProvider(keysDir()).keys();
    } finally {
      process.umask(old);
    }
    expect((await fs.stat(path.join(keysDir(), 'approval.key'))).mode & 0o777).toBe(0o600);
  });

  it('reuses the key in later runs (same secret, same id)', async () => {
    const first = await new FileSigningKeyProvider(keysDir()).keys();
    const later = await new FileSigningKeyProvider(keysDir()).keys();
    expect(later.current.secret.equals(first.current.secret)).toBe(true);
    expect(later.current.id).toBe(first.current.id);
  });

  it('gives two providers starting at once the same key', async () => {
    const [a, b] = await Promise.all([new FileSigningKeyProvider(keysDir()).keys(), new FileSigningKeyProvider(keysDir()).keys()]);
    expect(a.current.secret.equals(b.current.secret)).toBe(true);
    expect((await fs.readdir(keysDir())).filter((n) => !n.startsWith('.'))).toEqual(['approval.key']);
  });

  it('refuses a key file that others can read', async () => {
    await new FileSigningKeyProvider(keysDir()).keys();
    await fs.chmod(path.join(keysDir(), 'approval.key'), 0o644);
    await expect(new FileSigningKeyProvider(keysDir()).keys()).rejects.toBeInstanceOf(KeyFilePermissionError);
  });

  it('refuses a damaged key file instead of signing with it', async () => {
    await fs.mkdir(keysDir(), { recursive: true });
    await fs.writeFile(path.join(keysDir(), 'approval.key'), 'not a key\n', { mode: 0o600 });
    await expect(new FileSigningKeyProvider(keysDir()).keys()).rejects.toBeInstanceOf(StateFileError);
  });
});
