import { inflateChromium } from './chromium';

/**
 * jest's globalSetup: inflate the packaged Chromium before any test runs, once per machine (later
 * runs find it cached). Here because the package is ESM-only, which a test's module registry cannot load.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const { install, inflated } = await inflateChromium();
  if (inflated) process.stderr.write(`Chromium ${install.version} inflated into ${install.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s (once; later runs reuse it)\n`);
}
