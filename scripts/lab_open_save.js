// Open each notebook in JupyterLab (headless Chromium), wait for its kernel, report whether the tab
// is marked dirty, then save it (Ctrl+S) so that the caller can diff the files on disk.
// Run by scripts/check_lab_open.sh (needs playwright-core from npm and a Chromium at CHROMIUM).
const { chromium } = require('playwright-core');
const names = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const out = {};
  for (const name of names) {
    await page.goto(`http://127.0.0.1:${process.env.LAB_PORT}/lab/tree/${name}?reset&token=${process.env.LAB_TOKEN}`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 90000 });
    // the kernel is started and has answered kernel_info when the status says Idle
    await page.waitForFunction(() => /Idle/.test(document.body.innerText), null, { timeout: 90000 }).catch(() => {});
    await page.waitForTimeout(4000);
    const state = await page.evaluate(() => {
      const tab = document.querySelector('.lm-DockPanel .lm-TabBar-tab.jp-mod-current');
      return { dirty: tab ? tab.classList.contains('jp-mod-dirty') : null, label: tab ? tab.innerText : null,
               kernel: (document.body.innerText.match(/Python 3[^\n|]*/) || [null])[0] };
    });
    await page.screenshot({ path: `${process.env.SHOTS}/${name.replace(/\//g, '_')}.png` });
    await page.keyboard.press('Control+s');
    await page.waitForTimeout(3000);
    out[name] = state;
    console.log(name, JSON.stringify(state));
  }
  console.log('REPORT' + JSON.stringify(out));
  await browser.close();
})();
