// The demo, served the way `npm start` serves it (webpack serve), driven in Chromium
// and Firefox with fake devices: record, see frames arrive, stop, get a playable
// download; a denied permission shown in words; the README's example run as written.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { BROWSERS } from './browsers.mjs';

const PORT = 8181 + Math.floor(Math.random() * 500);
const URL_ = `http://127.0.0.1:${PORT}/`;
let server;

async function waitForServer(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`demo server did not come up at ${url}`);
}

before(async () => {
  server = spawn('npx', ['webpack', 'serve', '--config', 'webpack.config.js'], {
    env: { ...process.env, PORT: String(PORT) }, stdio: 'ignore', detached: true,
  });
  await waitForServer(`${URL_}dist/bundle.js`, 60_000);
});

after(() => {
  if (server) { try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ } }
});

for (const engine of BROWSERS) {
  describe(engine.name, () => {
    let browser;
    before(async () => { browser = await engine.launch(); });
    after(async () => { await browser?.close(); });

    test('records from the fake camera, plots live metrics, offers a playable download', async () => {
      const page = await browser.newPage();
      await page.setViewport(1440, 900);
      const pageErrors = [];
      page.onPageError((e) => pageErrors.push(e));
      await page.goto(URL_);
      await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 15_000);
      await page.click('#start');
      await page.waitForFunction(() => Number(document.getElementById('frames').textContent) >= 10, 15_000);
      await new Promise((r) => setTimeout(r, 3000));
      const plotted = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => Number(c.dataset.points || 0)));
      assert.equal(plotted.length, 4);
      assert.ok(plotted.every((n) => n >= 4), `plot points ${plotted}`);
      const clock = await page.text('#clock');
      assert.match(clock, /^0:0[2-9]\.\d$/);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot(`test-results/demo-${engine.name}-1440.png`);
      await page.click('#stop');
      await page.waitForSelector('#download:not([hidden])', 10_000);
      const result = await page.evaluate(async () => {
        const href = document.getElementById('download').href;
        const blob = await (await fetch(href)).blob();
        const v = document.createElement('video');
        v.muted = true; v.src = href; v.playbackRate = 4;
        document.body.append(v);
        await v.play();
        await new Promise((resolve, reject) => { v.onended = resolve; v.onerror = reject; });
        return { size: blob.size, played: v.currentTime, error: document.getElementById('error').textContent, log: document.getElementById('log').textContent };
      });
      assert.ok(result.size > 10_000, `download has ${result.size} bytes`);
      assert.ok(result.played > 2.5, `played ${result.played} s`);
      assert.equal(result.error, '');
      assert.match(result.log, /recording camera/);
      assert.match(result.log, /stopped: \d+ frames, 0 dropped/);
      assert.deepEqual(pageErrors, []);
      await page.close();
    });

    test('fits a 360 px wide phone screen', async () => {
      const page = await browser.newPage();
      await page.setViewport(360, 740);
      await page.goto(URL_);
      await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 15_000);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
      await page.screenshot(`test-results/demo-${engine.name}-360.png`);
      await page.close();
    });

    test('a denied permission is shown in words', async () => {
      const denied = await engine.launch({ deny: true });
      try {
        const page = await denied.newPage();
        await page.goto(URL_);
        // The button is in the HTML before the bundle (with its wasm) has loaded.
        await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 15_000);
        await page.click('#start');
        await page.waitForFunction(() => document.getElementById('error').textContent.length > 0, 15_000);
        assert.match(await page.text('#error'), /permission was denied/i);
      } finally {
        await denied.close();
      }
    });

    test('memory readings in a cross-origin-isolated page (the demo server sends COOP/COEP)', async () => {
      const page = await browser.newPage();
      await page.goto(URL_);
      await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 15_000);
      const r = await page.evaluate(async () => {
        const p = new window.MediaRecorderProducer({ probeOnConnect: false, memoryCheckInterval: 100 });
        await p.connect();
        const has = typeof performance.measureUserAgentSpecificMemory === 'function';
        let readings = p.memory();
        const end = Date.now() + 25_000;
        while (has && readings.uaMemoryBytes === null && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          readings = p.memory();
        }
        p.destroy();
        return { isolated: self.crossOriginIsolated, has, readings };
      });
      assert.equal(r.isolated, true);
      if (r.has) {
        assert.ok(r.readings.uaMemoryBytes > 0, JSON.stringify(r.readings));
      } else {
        // Firefox has no measureUserAgentSpecificMemory: absent, not 0.
        assert.equal(r.readings.uaMemoryBytes, null);
      }
      await page.close();
    });

    test("the README's usage example runs as written", async () => {
      const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
      const block = readme.match(/```js\n(import \{ MediaRecorderProducer \}[\s\S]*?)```/);
      assert.ok(block, 'README has the usage example');
      // The import line is what a bundler resolves; the demo page exposes the same class.
      const code = block[1].replace(/^import .*$/m, 'const { MediaRecorderProducer } = window;');
      const page = await browser.newPage();
      const pageErrors = [];
      page.onPageError((e) => pageErrors.push(e));
      await page.goto(URL_);
      await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 15_000);
      const result = await page.evaluate(
        `(async () => { ${code}\n return { frames: done.totalFrames, size: recording.size, dropped: producer.metrics().framesDropped, destroyed: producer.destroyed }; })()`,
      );
      assert.ok(result.frames >= 10, `frames ${result.frames}`);
      assert.ok(result.size > 10_000, `size ${result.size}`);
      assert.equal(result.dropped, 0);
      assert.equal(result.destroyed, true);
      assert.deepEqual(pageErrors, []);
      await page.close();
    });
  });
}
