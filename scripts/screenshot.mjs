// `npm run screenshot`: serves the demo as `npm start` does, records 4 s from the fake
// camera in headless Chromium, and saves docs/demo.png (the image the README shows).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { BROWSERS } from '../www/e2e/browsers.mjs';

const port = 8600 + Math.floor(Math.random() * 300);
const url = `http://127.0.0.1:${port}/`;
const server = spawn('npx', ['webpack', 'serve', '--config', 'webpack.config.js'], {
  env: { ...process.env, PORT: String(port) }, stdio: 'ignore', detached: true,
});
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}dist/bundle.js`)).ok) break; } catch { /* not yet */ }
    if (i > 240) throw new Error('demo server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  const browser = await BROWSERS[0].launch();
  const page = await browser.newPage();
  await page.setViewport(1440, 900);
  await page.goto(url);
  await page.waitForFunction(() => typeof window.MediaRecorderProducer === 'function', 30_000);
  await page.click('#start');
  await new Promise((r) => setTimeout(r, 6000));
  mkdirSync('docs', { recursive: true });
  await page.screenshot('docs/demo.png');
  await browser.close();
  console.log('wrote docs/demo.png');
} finally {
  process.kill(-server.pid, 'SIGTERM');
}
