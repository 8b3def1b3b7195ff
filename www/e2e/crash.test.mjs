// A renderer crash in the middle of an OPFS recording with a tus upload beside it, at a
// random moment in its 3rd to 10th second, 10 times in each browser (Chromium: DevTools'
// Page.crash; Firefox: its content processes killed). On the next load of the page:
// - listRecordings() lists the recording unfinished;
// - its parts hold every byte committed before the crash (read from disk just before
//   it), and are the recording's bytes (a prefix of what was delivered, or more);
// - recoverRecording() gives a file that ffmpeg decodes without an error and seeks in;
// - resumeUpload() finishes the upload, and the server's file is the recording on disk
//   (it may hold more: the sink uploads chunks before their part commits).
// The figures (chunks committed, recovered, bytes lost) go to
// target/e2e/crash-<browser>.json for BENCHMARKS.md.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROWSERS } from './browsers.mjs';
import { root, scratch, tempDir, cleanupScratch } from './scratch.mjs';
import { PAGE_HELPERS } from './page-lib.mjs';
import { site, buildTusClient } from './tus-site.mjs';

after(cleanupScratch);

const CRASHES = Number(process.env.MRP_CRASHES ?? 10);

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": {
  "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js",
  "media-recorder-producer/tus": "./node_modules/media-recorder-producer/tus.js",
  "tus-js-client": "./tus-js-client.js"
} }</script>
<script type="module">
  import init, { MediaRecorderProducer, listRecordings, recoverRecording, deleteRecording } from 'media-recorder-producer/web';
  import { tusSink, resumeUpload } from 'media-recorder-producer/tus';
  await init();
${PAGE_HELPERS}
  const delivered = [];
  window.start = async ({ name, tus }) => {
    const producer = new MediaRecorderProducer({ recordingInterval: 250 });
    window.producer = producer;
    producer.onFrame((f) => { delivered.push(new Uint8Array(f.data)); });
    await producer.connect();
    await producer.startStream({ width: 320, height: 240, sinks: [tusSink(tus)], sink: { type: 'opfs', name } });
  };
  /** What the library lists as committed, the bytes on disk, and what was delivered. */
  window.committed = async (name) => {
    const info = (await listRecordings()).find((r) => r.name === name);
    const disk = await bytes(await onDisk(name));
    const all = new Uint8Array(delivered.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of delivered) { all.set(d, at); at += d.length; }
    return { parts: info.parts, bytes: info.bytes, chunks: delivered.length, disk: b64(disk.subarray(0, info.bytes)), delivered: b64(all) };
  };
  window.recover = async ({ name, tus }) => {
    const info = (await listRecordings()).find((r) => r.name === name) ?? null;
    const file = await recoverRecording(name);
    const raw = await bytes(await onDisk(name));
    const upload = await resumeUpload(name, tus);
    const out = { info: info && { finished: info.finished, parts: info.parts, bytes: info.bytes }, file: b64(await bytes(file)), type: file.type, raw: b64(raw), upload };
    await deleteRecording(name);
    return out;
  };
  window.ready = true;
</script>`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** ffmpeg's complaints decoding `file` (empty: a clean decode), and its duration. */
function probe(file) {
  const run = (args) => {
    try {
      return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return `${e.stdout ?? ''}${e.stderr ?? ''}failed: ${e.message}`;
    }
  };
  const errors = run(['ffmpeg', '-v', 'error', '-i', file, '-f', 'null', '-']).trim();
  const duration = Number(run(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).trim());
  const seekErrors = Number.isFinite(duration)
    ? run(['ffmpeg', '-v', 'error', '-ss', String(duration / 2), '-i', file, '-frames:v', '1', '-f', 'null', '-']).trim()
    : 'no duration to seek in';
  return { errors, duration, seekErrors };
}

describe('a renderer crash mid-recording loses at most the open part', () => {
  let dir;
  before(async () => {
    dir = scratch('crash');
    writeFileSync(join(dir, 'index.html'), PAGE);
    await buildTusClient(dir);
  });

  for (const engine of BROWSERS) {
    test(`${engine.name}: ${CRASHES} crashes at random moments, each recovered whole, decoded clean and uploaded`, async () => {
      const store = tempDir('crash-tus');
      const s = site(dir, store);
      await s.start();
      const browser = await engine.launch();
      const rows = [];
      try {
        const open = async (page) => {
          await page.goto(s.url());
          await page.waitForFunction(() => window.ready === true, 15_000);
          return page;
        };
        let page = await open(await browser.newPage());
        const tus = { endpoint: `${s.url()}files/`, retryDelays: [0, 500] };
        for (let i = 0; i < CRASHES; i++) {
          const name = `crash-${engine.name}-${i}-${Date.now()}`;
          await page.evaluate((a) => window.start(a), { name, tus });
          const crashAt = 3000 + Math.random() * 7000;
          await sleep(crashAt);
          const before = await page.evaluate((n) => window.committed(n), name);
          await page.crash();
          page = await open(await page.reopen());
          const r = await page.evaluate((a) => window.recover(a), { name, tus });
          const what = `${engine.name} crash ${i + 1} at ${(crashAt / 1000).toFixed(1)} s`;
          assert.ok(r.info, `${what}: listed after the crash`);
          assert.equal(r.info.finished, false, `${what}: listed unfinished`);
          const committed = Buffer.from(before.disk, 'base64');
          const delivered = Buffer.from(before.delivered, 'base64');
          const raw = Buffer.from(r.raw, 'base64');
          assert.ok(r.info.parts >= before.parts && raw.length >= committed.length, `${what}: ${before.parts} parts (${committed.length} B) were committed, ${r.info.parts} (${raw.length} B) recovered`);
          assert.ok(raw.subarray(0, committed.length).equals(committed), `${what}: every byte committed before the crash is on disk`);
          const common = Math.min(raw.length, delivered.length);
          assert.ok(raw.subarray(0, common).equals(delivered.subarray(0, common)), `${what}: the parts are the recording's bytes`);
          const file = join(store, `${name}.${/mp4/.test(r.type) ? 'mp4' : 'webm'}`);
          writeFileSync(file, Buffer.from(r.file, 'base64'));
          const p = probe(file);
          assert.equal(p.errors, '', `${what}: ffmpeg decodes the recovered file cleanly`);
          assert.ok(p.duration > 1, `${what}: a duration (${p.duration} s)`);
          assert.equal(p.seekErrors, '', `${what}: it seeks`);
          const uploaded = readFileSync(join(store, new URL(r.upload.url).pathname.split('/').pop()));
          assert.ok(uploaded.length >= raw.length, `${what}: the server has ${uploaded.length} B of ${raw.length} B on disk`);
          assert.ok(uploaded.subarray(0, raw.length).equals(raw), `${what}: the upload is the recording on disk, byte for byte`);
          rows.push({
            crashAtMs: Math.round(crashAt), partsCommitted: before.parts, partsRecovered: r.info.parts,
            chunksDelivered: before.chunks, bytesDelivered: delivered.length, bytesRecovered: raw.length,
            bytesLost: Math.max(0, delivered.length - raw.length), uploadedBytes: uploaded.length, durationS: p.duration,
          });
        }
      } finally {
        await browser.close();
        await s.stop();
        mkdirSync(join(root, 'target', 'e2e'), { recursive: true });
        writeFileSync(join(root, 'target', 'e2e', `crash-${engine.name}.json`), `${JSON.stringify(rows, null, 1)}\n`);
      }
      assert.equal(rows.length, CRASHES);
    });
  }
});
