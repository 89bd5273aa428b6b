// Open each offline deck in headless Chromium with the network off and, for every slide, check that
// its content fits the slide box or scrolls inside it (nothing cut off); report MathJax elements,
// raw $…$ left, the theme font, failed requests and page errors. Set-up as book_shot.js.
// usage: node tools/browser/decks_check.js /abs/path/build/slides/*.slides.html   (SHOT=prefix to screenshot)
const { chromium } = require('playwright-core');
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  for (const deck of process.argv.slice(2)) {
    const ctx = await b.newContext({ viewport: { width: 1280, height: 800 }, offline: true });
    const page = await ctx.newPage();
    const failed = [], errors = [];
    page.on('requestfailed', r => failed.push(r.url().slice(0, 100)));
    page.on('pageerror', e => errors.push(String(e).slice(0, 200)));
    await page.goto('file://' + deck, { waitUntil: 'load' });
    await page.evaluate(() => new Promise(res => require(['lib/reveal.js/dist/reveal.js'], R => { window.Reveal = R; res(); })));
    await page.waitForFunction(() => window.Reveal && Reveal.isReady && Reveal.isReady(), null, { timeout: 20000 });
    await page.waitForFunction(() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0, null, { timeout: 30000 });
    await page.evaluate(() => Reveal.configure({ transition: 'none', backgroundTransition: 'none' }));
    const n = await page.evaluate(() => Reveal.getSlides().length);
    const rows = [];
    for (let i = 0; i < n; i++) {
      await page.evaluate(i => { const s = Reveal.getSlides()[i]; const ix = Reveal.getIndices(s); Reveal.slide(ix.h, ix.v); }, i);
      await page.waitForTimeout(80);
      rows.push(await page.evaluate(i => {
        const s = Reveal.getSlides()[i], r = s.getBoundingClientRect(), box = document.querySelector('.reveal').getBoundingClientRect();
        const cs = getComputedStyle(s);
        const scrolls = ['auto', 'scroll'].includes(cs.overflowY);
        const over = s.scrollHeight > s.clientHeight + 1;
        const inside = r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        // scroll to the end: the last child's bottom must be reachable inside the slide box
        s.scrollTop = s.scrollHeight;
        const last = s.lastElementChild ? s.lastElementChild.getBoundingClientRect().bottom : r.bottom;
        const lastVisible = last <= s.getBoundingClientRect().bottom + 2;
        s.scrollTop = 0;
        return { i, sh: s.scrollHeight, ch: s.clientHeight, scrolls, over, inside, lastVisible,
                 cut: (over && !scrolls) || !inside || !lastVisible };
      }, i));
    }
    const info = await page.evaluate(() => ({
      mjx: document.querySelectorAll('.mjx-chtml').length,
      rawTex: [...document.querySelectorAll('.jp-MarkdownOutput, .jp-RenderedMarkdown')].map(e => e.innerText).join('\n').match(/\$[^$\n]{1,80}\$/g),
      font: getComputedStyle(document.querySelector('.reveal')).fontFamily,
      ready: document.querySelector('.reveal').classList.contains('ready'),
      brokenImgs: [...document.images].filter(i => i.naturalWidth === 0).length,
    }));
    const cut = rows.filter(r => r.cut), over = rows.filter(r => r.over);
    console.log(deck.split('/').pop(), JSON.stringify({ slides: n, overlong_scrolling: over.length,
      tallest: Math.max(...rows.map(r => r.sh)), cut: cut.length, ...info, failed, errors }));
    if (cut.length) console.log('  cut:', JSON.stringify(cut));
    if (process.env.SHOT) { const big = over[0] ? over[0].i : 0;
      await page.evaluate(i => { const ix = Reveal.getIndices(Reveal.getSlides()[i]); Reveal.slide(ix.h, ix.v); }, +(process.env.SHOT_I || big));
      await page.waitForTimeout(300); await page.screenshot({ path: process.env.SHOT + deck.split('/').pop() + '.png' }); }
    await ctx.close();
  }
  await b.close();
})();
