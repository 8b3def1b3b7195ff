// A full disk while recording to OPFS (issue 14): the browser's storage quota for the
// page's origin is made small (Chromium: DevTools' Storage.overrideQuotaForOrigin;
// Firefox: the quota manager's fixed limit, a launch pref), and a recording with an
// OPFS sink runs into it. The stream must end on its own with QuotaExceededError, keep
// everything written before (the part open at the failure included), and the recording
// must be listed unfinished and recover to a file that decodes cleanly.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROWSERS } from './browsers.mjs';
import { probe } from './probe.mjs';
import { scratch, tempDir, cleanupScratch } from './scratch.mjs';
import { serve } from './static-server.mjs';

after(cleanupScratch);

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js" } }</script>
<script type="module">
  import init, * as m from 'media-recorder-producer/web';
  await init();
  const b64 = async (blob) => {
    const u = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  window.fill = async ({ name, seconds }) => {
    const producer = new m.MediaRecorderProducer({ recordingInterval: 250 });
    const errors = [];
    let framed = 0;
    producer.onError((e) => errors.push({ name: e.name, message: e.message }));
    producer.onFrame((f) => { framed += f.size; });
    let ended = null;
    const over = new Promise((resolve) => producer.onStreamUpdate((s) => {
      if (s.state === 'ended' || s.state === 'stopped') { ended = s.state; resolve(); }
    }));
    await producer.connect();
    const s = await producer.startStream({ width: 1280, height: 720, bitrate: 8000000, sink: { type: 'opfs', name } });
    const t0 = performance.now();
    await Promise.race([over, new Promise((r) => setTimeout(r, seconds * 1000))]);
    const afterMs = performance.now() - t0;
    if (!ended) await producer.stopStream(s.id);
    producer.destroy();
    const listed = (await m.listRecordings()).find((r) => r.name === name) ?? null;
    const file = await m.recoverRecording(name);
    const out = { ended, afterMs, errors, framed, listed, fileBytes: file.size, file: await b64(file) };
    await m.deleteRecording(name);
    out.gone = !(await m.listRecordings()).some((r) => r.name === name);
    return out;
  };
  window.usage = () => navigator.storage.estimate();
  window.ready = true;
</script>`;

/** The quota given to the page's origin: a few seconds of 720p. */
const QUOTA = 3 * 1024 * 1024;

describe('a full disk while recording to OPFS', () => {
  let site;
  before(async () => {
    const dir = scratch('quota');
    writeFileSync(join(dir, 'index.html'), PAGE);
    site = await serve(dir);
  });
  after(async () => { await site?.close(); });

  for (const engine of BROWSERS) {
    test(`${engine.name}: the stream ends with QuotaExceededError and what was written is kept and recovers`, async (t) => {
      const browser = await engine.launch({ quotaBytes: QUOTA });
      try {
        const page = await browser.newPage();
        const pageErrors = [];
        page.onPageError((e) => pageErrors.push(e));
        await page.goto(site.url);
        if (!(await page.setQuota(site.url, QUOTA))) {
          t.skip(`${engine.name}: no way to set a storage quota here`);
          return;
        }
        await page.waitForFunction(() => window.ready === true, 15_000);
        const r = await page.evaluate((a) => window.fill(a), { name: `full-${Date.now()}`, seconds: 60 });
        assert.deepEqual(pageErrors, []);
        assert.equal(r.ended, 'ended', `the stream ended on its own (after ${Math.round(r.afterMs)} ms)`);
        const quota = r.errors.filter((e) => e.name === 'QuotaExceededError');
        assert.equal(quota.length, 1, JSON.stringify(r.errors));
        assert.match(quota[0].message, /^Stream [^:]+: the OPFS recording "full-\d+" could not be written/);
        assert.match(quota[0].message, /bytes written before are kept \(recoverRecording/);
        assert.deepEqual(r.errors.filter((e) => e.name !== 'QuotaExceededError'), [], 'no other error');
        assert.ok(r.listed && r.listed.finished === false, `listed unfinished: ${JSON.stringify(r.listed)}`);
        // Kept: at least most of the quota's worth, at most what the stream recorded.
        const kept = Number(/the (\d+) bytes written before/.exec(quota[0].message)?.[1]);
        assert.ok(kept > QUOTA / 3, `kept ${kept} of a ${QUOTA}-byte quota`);
        assert.ok(kept <= r.framed, `kept ${kept} <= recorded ${r.framed}`);
        // The recovered file is the kept bytes made seekable: a new header (with Cues)
        // in front of the kept body; it decodes cleanly with a finite duration.
        assert.ok(r.fileBytes >= kept * 0.9, `recovered ${r.fileBytes} bytes of ${kept} kept`);
        const path = join(tempDir('quota'), 'recovered.webm');
        writeFileSync(path, Buffer.from(r.file, 'base64'));
        const seconds = probe(path);
        assert.ok(Number.isFinite(seconds) && seconds > 0.5, `recovered: ${seconds} s`);
        assert.ok(r.gone, 'deleted once the stream had ended');
      } finally {
        await browser.close();
      }
    });
  }
});
