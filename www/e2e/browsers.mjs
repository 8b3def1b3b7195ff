// The two engines the e2e tests run in, behind one small page interface:
// Chromium through playwright-core, Firefox ESR through puppeteer-core over WebDriver
// BiDi (Playwright can only drive its own patched Firefox, which cannot be installed
// here). Both use Debian's browsers and fake media devices.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

export const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox',
  '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required',
  // measureUserAgentSpecificMemory() answers at once instead of at the next GC.
  '--enable-blink-features=ForceEagerMeasureMemory',
];

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};

/** Ends Firefox's tab content processes (`-contentproc -isForBrowser … -parentPid
 * <pid>`, forked by its fork server) with SIGKILL: a renderer crash, with no unload
 * and no chance to close a file. Resolves how many it ended. */
function killContentProcesses(pid) {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' });
  let n = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const args = ` ${m[2]} `;
    if (args.includes(' -contentproc ') && args.includes(' -isForBrowser ') && args.includes(` -parentPid ${pid} `)) {
      try {
        process.kill(Number(m[1]), 'SIGKILL');
        n++;
      } catch {
        // Gone already.
      }
    }
  }
  return n;
}

/** Wraps a Playwright or Puppeteer page in the few calls the tests use. `quotaBytes`:
 * the storage quota the browser was launched with, if any (Firefox); `browser`: the
 * driver's browser (for `crash` and `reopen`). */
function wrap(page, kind, quotaBytes = null, browser = null) {
  return {
    goto: (url) => page.goto(url),
    click: (selector) => page.click(selector),
    evaluate: (fnOrCode, arg) => page.evaluate(fnOrCode, arg),
    waitForFunction: (fn, timeout) =>
      kind === 'playwright' ? page.waitForFunction(fn, null, { timeout }) : page.waitForFunction(fn, { timeout }),
    waitForSelector: (selector, timeout) => page.waitForSelector(selector, { timeout }),
    text: (selector) => page.evaluate((s) => document.querySelector(s).textContent, selector),
    screenshot: (path) => page.screenshot({ path }),
    onPageError: (cb) => page.on('pageerror', (e) => cb(String(e))),
    setViewport: (width, height) =>
      kind === 'playwright' ? page.setViewportSize({ width, height }) : page.setViewport({ width, height }),
    /** Takes the page's network away (true) or gives it back; resolves false where the
     * driver cannot (then nothing changed). */
    setOffline: async (offline) => {
      try {
        if (kind === 'playwright') await page.context().setOffline(offline);
        else await page.setOfflineMode(offline);
        return true;
      } catch {
        return false;
      }
    },
    /** Limits the storage quota of `url`'s origin to `bytes`; resolves false where it
     * cannot be done. Chromium: DevTools' Storage.overrideQuotaForOrigin. Firefox: only
     * as launched (`launch({ quotaBytes })` sets the quota manager's fixed limit). */
    setQuota: async (url, bytes) => {
      if (kind !== 'playwright') return quotaBytes === bytes;
      try {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize: bytes });
        return true;
      } catch {
        return false;
      }
    },
    close: () => page.close(),
    /** Ends the page as a crash would, nothing flushed. Chromium: DevTools' Page.crash
     * (the renderer dies). Firefox: the tab closed without unload handlers (or, with
     * MRP_CRASH_KILL=1, its content processes killed). */
    crash: async () => {
      if (kind === 'playwright') {
        const crashed = new Promise((resolve) => page.once('crash', resolve));
        const cdp = await page.context().newCDPSession(page);
        cdp.send('Page.crash').catch(() => {});
        await crashed;
      } else if (process.env.MRP_CRASH_KILL === '1') {
        // Firefox: its tab processes killed. (Off by default: WebDriver BiDi then could
        // not open another tab; browsingContext.create timed out after 180 s.)
        const n = killContentProcesses(browser.process().pid);
        if (n === 0) throw new Error('no Firefox content process to end');
      } else {
        // Firefox: the tab closed without unload handlers; its script stops where it is
        // and what it was writing is not committed.
        await page.close({ runBeforeUnload: false });
      }
    },
    /** A new page in the same browser profile (its storage, OPFS included). */
    reopen: async () =>
      kind === 'playwright'
        ? wrap(await page.context().newPage(), kind, quotaBytes, browser)
        : wrap(await browser.newPage(), kind, quotaBytes, browser),
  };
}

export const BROWSERS = [
  {
    name: 'chromium',
    /** `deny: true` launches without the fake-UI flag, so permission is denied. */
    async launch({ deny = false } = {}) {
      const args = deny ? CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream') : CHROMIUM_ARGS;
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
      return {
        // A page in a context of its own, as browser.newPage() makes, but one that can
        // open another page on the same storage (reopen, after a crash).
        newPage: async () => wrap(await (await browser.newContext()).newPage(), 'playwright', null, browser),
        close: () => browser.close(),
      };
    },
  },
  {
    name: 'firefox',
    async launch({ deny = false, quotaBytes = null } = {}) {
      const prefs = deny
        ? { ...FIREFOX_PREFS, 'media.navigator.permission.disabled': false, 'permissions.default.camera': 2, 'permissions.default.microphone': 2 }
        : { ...FIREFOX_PREFS };
      // The whole profile's storage limit, in KiB (the origin's share is a part of it).
      if (quotaBytes) prefs['dom.quotaManager.temporaryStorage.fixedLimit'] = Math.ceil(quotaBytes / 1024);
      const browser = await puppeteer.launch({
        browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, extraPrefsFirefox: prefs,
      });
      return {
        newPage: async () => wrap(await browser.newPage(), 'puppeteer', quotaBytes, browser),
        close: () => browser.close(),
      };
    },
  },
];
