// The reader's view: open each notebook in JupyterLab (headless Chromium) at a laptop's width with the
// file browser open, and report per notebook what a reader would meet: images shown smaller than
// drawn (and the smallest scale), cells with more than one image, stderr / error outputs, widget
// errors, Markdown tables left as text, raw $…$ math. Screenshots of the cells named in SHOT_CELLS.
//   LAB_PORT=… LAB_TOKEN=… SHOTS=dir node tools/browser/lab_view.js 05_tradeoff.ipynb …
// (needs playwright-core from npm and a Chromium at CHROMIUM, default /usr/bin/chromium)
const { chromium } = require('playwright-core');
const names = process.argv.slice(2);
const shotCells = (process.env.SHOT_CELLS || '').split(',').filter(Boolean);  // "05_tradeoff.ipynb:12"
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  for (const name of names) {
    await page.goto(`http://127.0.0.1:${process.env.LAB_PORT}/lab/tree/${name}?reset&token=${process.env.LAB_TOKEN}`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 90000 });
    await page.waitForTimeout(5000);
    // render every cell (JupyterLab renders lazily): scroll the notebook to the end in steps
    await page.evaluate(async () => {
      const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer') || document.querySelector('.jp-NotebookPanel .jp-Notebook');
      for (let y = 0; y < s.scrollHeight; y += 600) { s.scrollTop = y; await new Promise(r => setTimeout(r, 150)); }
      s.scrollTop = 0;
    });
    await page.waitForTimeout(1500);
    const report = await page.evaluate(() => {
      const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')];
      const out = { cells: cells.length, outputWidth: 0, shrunk: [], multiImage: [], stderr: [], errors: [], rawTables: [], rawMath: [] };
      cells.forEach((c, i) => {
        const area = c.querySelector('.jp-OutputArea');
        if (area) out.outputWidth = Math.max(out.outputWidth, area.clientWidth);
        const imgs = [...c.querySelectorAll('.jp-OutputArea img')];
        if (imgs.length > 1) out.multiImage.push(i);
        imgs.forEach(img => { if (img.naturalWidth && img.clientWidth < img.naturalWidth - 2)
          out.shrunk.push([i, +(img.clientWidth / img.naturalWidth).toFixed(2), img.naturalWidth]); });
        if (c.querySelector('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')) out.stderr.push(i);
        if (/Error displaying widget|Traceback/.test(c.innerText) && c.classList.contains('jp-CodeCell')) out.errors.push(i);
        const md = c.querySelector('.jp-RenderedMarkdown');
        if (md) {
          if (/^\s*\|.*\|\s*$/m.test(md.innerText) && !md.querySelector('table')) out.rawTables.push(i);
          if (/\$[^$\s][^$]*\$/.test(md.innerText)) out.rawMath.push(i);
        }
      });
      return out;
    });
    console.log(name, JSON.stringify(report));
    for (const spec of shotCells.filter(s => s.startsWith(name + ':'))) {
      const k = +spec.split(':')[1];
      const cell = page.locator('.jp-NotebookPanel .jp-Cell').nth(k);
      await cell.scrollIntoViewIfNeeded(); await page.waitForTimeout(800);
      await cell.screenshot({ path: `${process.env.SHOTS}/${name.replace('.ipynb', '')}_c${k}.png` });
    }
  }
  await browser.close();
})();
