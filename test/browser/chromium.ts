/**
 * The Chromium the browser tests drive: the one inside the @sparticuz/chromium devDependency, so
 * that `npm ci` is all a machine needs. jest's globalSetup inflates it once into a cache beside the
 * package; the tests only read the paths from here.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ChromiumInstall {
  /** The package's version: the cache is keyed by it, so an upgraded package inflates afresh. */
  readonly version: string;
  readonly dir: string;
  readonly executable: string;
  /** libnss3, libnspr4 and libexpat as the binary was built against: a bare Debian may lack them. */
  readonly libraries: string;
  /** Holds a fonts.conf naming only the packaged fonts, so pages lay out the same on every machine. */
  readonly fontconfig: string;
}

/** The package's directory (node_modules/@sparticuz/chromium, wherever npm put it). */
function packageDir(): string {
  return dirname(dirname(require.resolve('@sparticuz/chromium')));
}

export function chromiumInstall(): ChromiumInstall {
  const pkg = packageDir();
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  // node_modules/.cache: removed with node_modules by `npm ci`, never in os.tmpdir() where runs share it.
  const dir = join(dirname(dirname(pkg)), '.cache', 'flowir-chromium', version);
  return { version, dir, executable: join(dir, 'chromium'), libraries: join(dir, 'al2023', 'lib'), fontconfig: join(dir, 'fonts') };
}

/**
 * Inflate the packaged Chromium unless the cache already holds it. Returns the install and whether
 * this call inflated it. The package inflates into os.tmpdir() and takes any file already there as
 * done, so a run killed mid-way, or two runs at once, would leave a truncated binary for every later
 * run: here it inflates into a staging directory of its own, which becomes the cache in one rename.
 */
export async function inflateChromium(install: ChromiumInstall = chromiumInstall()): Promise<{ install: ChromiumInstall; inflated: boolean }> {
  if (existsSync(install.executable)) return { install, inflated: false };
  // An ESM-only package: loaded here, in jest's own process, not in a test's CommonJS module registry.
  const { inflate } = await import('@sparticuz/chromium');
  const bin = join(packageDir(), 'bin');
  mkdirSync(dirname(install.dir), { recursive: true });
  const staging = mkdtempSync(`${install.dir}.staging-`);
  try {
    // inflate() reads os.tmpdir() (TMPDIR) synchronously when called: pointed at the staging
    // directory for the calls only, and put back before anything else can run.
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = staging;
    let inflating: Promise<string[]>;
    try {
      // swiftshader: the software GL the binary loads beside itself, even with --disable-gpu.
      inflating = Promise.all(['chromium.br', 'fonts.tar.br', 'swiftshader.tar.br', 'al2023.tar.br'].map((file) => inflate(join(bin, file))));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    await inflating;
    // The packaged fonts.conf names /tmp/fonts (Lambda's layout); this one names where they will be
    // once the staging directory is the cache.
    writeFileSync(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(install.fontconfig, 'fonts')}</dir>\n  <cachedir>${join(install.dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, install.dir);
    } catch (e) {
      // Another run finished first: its copy is as good as this one.
      if (!existsSync(install.executable)) throw e;
      return { install, inflated: false };
    }
    return { install, inflated: true };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
