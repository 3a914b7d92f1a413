import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SigningKeyProvider } from '../../handlers/ports';
import { StateFileError } from './files';

const KEY_BYTES = 32;

/** The key file is readable or writable by others than its owner. */
export class KeyFilePermissionError extends Error {
  override readonly name = 'KeyFilePermissionError';
}

/**
 * The approval-link HMAC key (a Secrets Manager secret on AWS) as a file `<dir>/approval.key`:
 * 32 random bytes, hex, generated on first use with mode 0600 and reused after, so links printed
 * by one run still verify in the next. The file appears whole or not at all (written aside, then
 * hard-linked into place, which fails if another process made it first). A key file that others
 * can read is refused rather than used.
 */
export class FileSigningKeyProvider implements SigningKeyProvider {
  private cached: Promise<{ readonly id: string; readonly secret: Buffer }> | undefined;

  constructor(readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, 'approval.key');
  }

  async keys(): Promise<{ readonly current: { readonly id: string; readonly secret: Buffer }; readonly all: ReadonlyArray<{ readonly id: string; readonly secret: Buffer }> }> {
    if (this.cached === undefined) {
      const loading = this.loadOrCreate();
      this.cached = loading;
      // A failed load is not kept: fixing the file (chmod) and asking again works without a restart.
      loading.catch(() => {
        if (this.cached === loading) this.cached = undefined;
      });
    }
    const key = await this.cached;
    return { current: key, all: [key] };
  }

  private async loadOrCreate(): Promise<{ id: string; secret: Buffer }> {
    const existing = await this.read();
    if (existing !== undefined) return existing;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(KEY_BYTES);
    const tmp = path.join(this.dir, `.approval.key.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.writeFile(tmp, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      // writeFile's mode is reduced by the umask only; chmod makes it exactly 0600 whatever the umask.
      await fs.chmod(tmp, 0o600);
      await fs.link(tmp, this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateFileError(this.file, `cannot create the signing key: ${(e as Error).message}`, { cause: e });
    } finally {
      await fs.rm(tmp, { force: true });
    }
    const created = await this.read();
    if (created === undefined) throw new StateFileError(this.file, 'the signing key vanished right after it was created');
    return created;
  }

  private async read(): Promise<{ id: string; secret: Buffer } | undefined> {
    let text: string;
    try {
      const st = await fs.stat(this.file);
      if ((st.mode & 0o077) !== 0) {
        throw new KeyFilePermissionError(`${this.file}: the approval signing key is accessible to others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it, or delete it to make a new one`);
      }
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (e instanceof KeyFilePermissionError) throw e;
      throw new StateFileError(this.file, `cannot read the signing key: ${(e as Error).message}`, { cause: e });
    }
    const hex = text.trim();
    if (!new RegExp(`^[0-9a-f]{${KEY_BYTES * 2}}$`).test(hex)) throw new StateFileError(this.file, `expected ${KEY_BYTES * 2} hex digits (a ${KEY_BYTES}-byte key); delete the file to make a new key`);
    const secret = Buffer.from(hex, 'hex');
    // The id names the key in links without revealing it, and stays the same across runs.
    return { id: `local-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`, secret };
  }
}
