// The demo, served the way `npm start` serves it (webpack serve), driven in Debian's
// Chromium with fake devices: record, see frames arrive, stop, get a download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const PORT = 8181 + Math.floor(Math.random() * 500);
const URL_ = `http://127.0.0.1:${PORT}/`;
const FAKE_MEDIA = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox',
  '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required',
];
let server;
let browser;

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
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FAKE_MEDIA });
});

after(async () => {
  await browser?.close();
  if (server) { try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ } }
});

test('records from the fake camera, shows frames, offers a playable download', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(URL_);
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('frames').textContent) >= 10, null, { timeout: 15_000 });
  await page.waitForTimeout(1500);
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/demo.png' });
  await page.click('#stop');
  await page.waitForSelector('#download:not([hidden])', { timeout: 10_000 });
  const result = await page.evaluate(async () => {
    const href = document.getElementById('download').href;
    const blob = await (await fetch(href)).blob();
    const v = document.createElement('video');
    v.muted = true; v.src = href; v.playbackRate = 4;
    document.body.append(v);
    await v.play();
    await new Promise((resolve, reject) => { v.onended = resolve; v.onerror = reject; });
    return { size: blob.size, played: v.currentTime, error: document.getElementById('error').textContent };
  });
  assert.ok(result.size > 10_000, `download has ${result.size} bytes`);
  assert.ok(result.played > 1.5, `played ${result.played} s`);
  assert.equal(result.error, '');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('a denied permission is shown in words', async () => {
  // Fake devices without the fake-UI flag: Chromium denies the permission.
  const denied = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: FAKE_MEDIA.filter((a) => a !== '--use-fake-ui-for-media-stream'),
  });
  try {
    const page = await denied.newPage();
    await page.goto(URL_);
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('error').textContent.length > 0, null, { timeout: 15_000 });
    const text = await page.textContent('#error');
    assert.match(text, /permission was denied/i);
  } finally {
    await denied.close();
  }
});

test("the README's usage example runs as written", async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = readme.match(/```js\n(import \{ MediaRecorderProducer \}[\s\S]*?)```/);
  assert.ok(block, 'README has the usage example');
  // The import line is what a bundler resolves; the demo page exposes the same class.
  const code = block[1].replace(/^import .*$/m, 'const { MediaRecorderProducer } = window;');
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(URL_);
  await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function');
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
