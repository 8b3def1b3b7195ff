// A hidden tab and a frozen one, mid-recording, with the installed package.
// Both browsers drive real tabs of one window through puppeteer-core (Chromium's new
// headless mode: another tab brought to the front hides the first, and DevTools'
// Page.setWebLifecycleState can freeze a hidden page; Firefox has no freezing).
// - hidden 30 s: every chunk is delivered in order (or counted as dropped), none is
//   lost silently, no quality step comes of the throttled timers, and the recording
//   plays across the gap (ffprobe: its duration covers the time hidden, it decodes
//   clean, and a frame in the hidden stretch decodes);
// - frozen 10 s (Chromium): the same, across the freeze.
// What each browser did is written to target/e2e/lifecycle-<browser>-<kind>.json, for the
// README's account of it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, FIREFOX_PREFS } from './browsers.mjs';
import { serve } from './static-server.mjs';
import { probe } from './probe.mjs';
import { root, scratch, tempDir, cleanupScratch } from './scratch.mjs';
import { PAGE_HELPERS } from './page-lib.mjs';

after(cleanupScratch);

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js" } }</script>
<script type="module">
  import init, { MediaRecorderProducer } from 'media-recorder-producer/web';
  await init();
${PAGE_HELPERS}
  const frames = [];
  const quality = [];
  const ticks = [];
  const events = [];
  setInterval(() => ticks.push(performance.now()), 100);
  for (const e of ['visibilitychange', 'freeze', 'resume']) {
    document.addEventListener(e, () => events.push([e, document.visibilityState, Math.round(performance.now())]));
  }
  window.start = async () => {
    const producer = new MediaRecorderProducer({ recordingInterval: 250, retain: 'all', adaptiveQuality: true });
    window.producer = producer;
    producer.onFrame((f) => { if (!f.metadata.isComplete) frames.push({ seq: f.metadata.sequence, size: f.size, t: performance.now(), hidden: document.hidden }); });
    producer.onQualityChange((q) => quality.push(q));
    await producer.connect();
    window.stream = await producer.startStream({ width: 320, height: 240 });
    window.t0 = performance.now();
  };
  window.stop = async () => {
    const done = await window.producer.stopStream(window.stream.id);
    const wall = (performance.now() - window.t0) / 1000;
    window.producer.destroy();
    const gaps = [];
    for (let i = 1; i < ticks.length; i++) gaps.push(ticks[i] - ticks[i - 1]);
    let worst = 0;
    for (let i = 1; i < frames.length; i++) worst = Math.max(worst, frames[i].t - frames[i - 1].t);
    return {
      wall, frames: frames.map((f) => [f.seq, f.size, f.hidden]), totalFrames: done.totalFrames,
      dropped: done.framesDropped, quality, events, worstTimerGapMs: Math.round(Math.max(0, ...gaps)),
      worstChunkGapMs: Math.round(worst), timerGapsOver900ms: gaps.filter((g) => g > 900).length,
      file: b64(await bytes(done.recording)), mimeType: done.mimeType,
    };
  };
  window.ready = true;
</script>`;

const LAUNCH = {
  chromium: () => puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
  firefox: () => puppeteer.launch({ browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, extraPrefsFirefox: FIREFOX_PREFS }),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('a hidden or frozen tab mid-recording', () => {
  let site;
  const out = join(root, 'target', 'e2e');
  before(async () => {
    const dir = scratch('lifecycle');
    writeFileSync(join(dir, 'index.html'), PAGE);
    site = await serve(dir);
    mkdirSync(out, { recursive: true });
  });
  after(async () => site && site.close());

  const cases = [
    ['chromium', 'hidden', 30_000],
    ['firefox', 'hidden', 30_000],
    ['chromium', 'frozen', 10_000],
  ];
  for (const [name, kind, ms] of cases) {
    test(`${name}: ${kind} for ${ms / 1000} s, nothing is lost silently and the recording plays across it`, async () => {
      const browser = await LAUNCH[name]();
      try {
        const page = await browser.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(site.url);
        await page.waitForFunction(() => window.ready === true, { timeout: 15_000 });
        await page.evaluate(() => window.start());
        await sleep(3000);
        const other = await browser.newPage();
        await other.bringToFront();
        await page.waitForFunction(() => document.visibilityState === 'hidden', { timeout: 5000 });
        if (kind === 'frozen') {
          const cdp = await page.createCDPSession();
          await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
          await sleep(ms);
          await cdp.send('Page.setWebLifecycleState', { state: 'active' });
        } else {
          await sleep(ms);
        }
        await page.bringToFront();
        await sleep(3000);
        const r = await page.evaluate(() => window.stop());
        const { file, ...figures } = r;
        writeFileSync(join(out, `lifecycle-${name}-${kind}.json`), `${JSON.stringify({ ...figures, frames: r.frames.length }, null, 2)}\n`);
        assert.deepEqual(errors, []);
        if (kind === 'frozen') {
          // The page really was frozen: its timers stopped for the whole time.
          assert.ok(r.events.some(([e]) => e === 'freeze') && r.events.some(([e]) => e === 'resume'), JSON.stringify(r.events));
          assert.ok(r.worstTimerGapMs >= ms * 0.9, `timer gap ${r.worstTimerGapMs} ms`);
        }
        // Nothing lost silently: every chunk came, in order, or is counted as dropped.
        const seqs = r.frames.map(([s]) => s);
        assert.deepEqual(seqs, seqs.map((_, i) => i), 'every sequence number, in order');
        assert.equal(r.frames.length + r.dropped, r.totalFrames, `${r.frames.length} delivered + ${r.dropped} dropped of ${r.totalFrames}`);
        // No quality step from throttled (or stopped) timers: the fake camera is cheap.
        assert.deepEqual(r.quality, [], JSON.stringify(r.quality));
        // The recording covers the whole time, the gap included, and decodes clean.
        const path = join(tempDir('lifecycle'), `${name}-${kind}.webm`);
        writeFileSync(path, Buffer.from(file, 'base64'));
        const seconds = probe(path);
        assert.ok(seconds > r.wall * 0.85 && seconds < r.wall * 1.1, `${seconds} s recorded for ${r.wall} s`);
        // A frame from the middle of the gap decodes.
        const mid = 3 + ms / 2000;
        const d = spawnSync('ffmpeg', ['-v', 'error', '-ss', String(mid), '-i', path, '-frames:v', '1', '-f', 'null', '-'], { encoding: 'utf8' });
        assert.equal(d.status, 0, d.stderr);
        assert.equal(d.stderr.trim(), '', d.stderr);
      } finally {
        await browser.close();
      }
    });
  }
});
