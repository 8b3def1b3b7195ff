// The two engines the e2e tests run in, behind one small page interface:
// Chromium through playwright-core, Firefox ESR through puppeteer-core over WebDriver
// BiDi (Playwright can only drive its own patched Firefox, which cannot be installed
// here). Both use Debian's browsers and fake media devices.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox',
  '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required',
  // measureUserAgentSpecificMemory() answers at once instead of at the next GC.
  '--enable-blink-features=ForceEagerMeasureMemory',
];

const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};

/** Wraps a Playwright or Puppeteer page in the few calls the tests use. `quotaBytes`:
 * the storage quota the browser was launched with, if any (Firefox). */
function wrap(page, kind, quotaBytes = null) {
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
        newPage: async () => wrap(await browser.newPage(), 'playwright'),
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
        newPage: async () => wrap(await browser.newPage(), 'puppeteer', quotaBytes),
        close: () => browser.close(),
      };
    },
  },
];
