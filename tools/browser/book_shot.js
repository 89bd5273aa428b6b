// Screenshot a built book page in headless Chromium, offline, and report MathJax containers,
// broken images and failed requests. Set-up: apt-get install -y chromium; npm install playwright-core
// usage: node tools/browser/book_shot.js OUT.png file:///…/build/book/05_tradeoff.html [width] [full]
const { chromium } = require('playwright-core');
(async () => {
  const [out, url, w, full] = process.argv.slice(2);
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const ctx = await b.newContext({ viewport: { width: +(w || 1280), height: 900 }, offline: true });
  const page = await ctx.newPage();
  const failed = [];
  page.on('requestfailed', r => failed.push(r.url() + ' ' + r.failure().errorText));
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.text()); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(2500);
  const info = await page.evaluate(() => ({
    mjx: document.querySelectorAll('mjx-container').length,
    mathSpans: document.querySelectorAll('.math').length,
    imgsBroken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    imgs: document.images.length,
  }));
  console.log(JSON.stringify(info), 'failed:', JSON.stringify(failed));
  await page.screenshot({ path: out, fullPage: full === 'full' });
  await b.close();
})();
