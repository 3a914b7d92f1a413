import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumInstall } from './chromium';
import { launchBrowser } from './launch';

describe('launchBrowser', () => {
  it('starts the Chromium of the @sparticuz/chromium package, laying pages out in the packaged fonts, and prints', async () => {
    const install = chromiumInstall();
    const browser = await launchBrowser();
    try {
      // The package's major version is the Chromium major it carries.
      expect(browser.version().split('.')[0]).toBe(install.version.split('.')[0]);
      const page = await browser.newPage();
      await page.setContent('<p style="font: 20px sans-serif">flowir</p>');
      // The font the text was drawn in, as Chromium reports it: not whatever the machine has installed.
      const session = await page.context().newCDPSession(page);
      await session.send('DOM.enable');
      await session.send('CSS.enable');
      const { root } = await session.send('DOM.getDocument');
      const { nodeId } = await session.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'p' });
      const { fonts } = await session.send('CSS.getPlatformFontsForNode', { nodeId });
      expect(fonts.map((f) => f.familyName)).toEqual(['Open Sans']);
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await browser.close();
    }
  });

  it('says how to get Chromium when it is not inflated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowir-no-chromium-'));
    try {
      await expect(launchBrowser({ ...chromiumInstall(), executable: join(dir, 'chromium') })).rejects.toThrow(/no Chromium at .*globalSetup.*npx jest after npm ci/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails, naming the binary, when Chromium does not start', async () => {
    const install = chromiumInstall();
    await expect(launchBrowser({ ...install, executable: '/bin/false' })).rejects.toThrow(`Chromium ${install.version} (/bin/false) did not start: `);
  });
});
