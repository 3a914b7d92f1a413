/** The one way the browser tests start Chromium: the packaged one (see ./chromium), with the same flags. */
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { chromiumInstall, type ChromiumInstall } from './chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  // Tests run as root in containers, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-gpu',
  // Offline machines: without these, Chromium's update, sync and field-trial fetches fail over and over.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Launch the packaged Chromium. Throws, saying what to do, when jest's globalSetup has not inflated
 * it or it does not start: a browser test never skips, since a skip on CI reads as a pass.
 */
export async function launchBrowser(install: ChromiumInstall = chromiumInstall()): Promise<Browser> {
  if (!existsSync(install.executable)) {
    throw new Error(
      `no Chromium at ${install.executable}: jest's globalSetup (test/browser/global-setup.ts, from jest.config.js) inflates it from @sparticuz/chromium; run the tests with npx jest after npm ci`,
    );
  }
  const libraries = [install.libraries, ...(process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((p) => p !== '')].join(delimiter);
  try {
    return await chromium.launch({
      executablePath: install.executable,
      args: [...CHROMIUM_ARGS],
      env: { ...process.env, LD_LIBRARY_PATH: libraries, FONTCONFIG_PATH: install.fontconfig },
    });
  } catch (e) {
    throw new Error(`Chromium ${install.version} (${install.executable}) did not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
