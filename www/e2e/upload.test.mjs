// Upload while recording, to real servers started here on 127.0.0.1 on the page's own
// origin: a tus server (@tus/server with @tus/file-store) and a WebSocket server (ws)
// that parses the origin's packet format. The page uses the installed package
// (`media-recorder-producer/web`, `/tus`, `/websocket`) and tus-js-client, as a user's
// plain <script type="module"> page would.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { BROWSERS } from './browsers.mjs';
import { probe } from './probe.mjs';
import { scratch, tempDir, cleanupScratch } from './scratch.mjs';
import { handler as staticHandler } from './static-server.mjs';
import { PAGE_HELPERS } from './page-lib.mjs';
import { site, buildTusClient } from './tus-site.mjs';

after(cleanupScratch);

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": {
  "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js",
  "media-recorder-producer/tus": "./node_modules/media-recorder-producer/tus.js",
  "media-recorder-producer/websocket": "./node_modules/media-recorder-producer/websocket.js",
  "tus-js-client": "./tus-js-client.js"
} }</script>
<script type="module">
  import init, { MediaRecorderProducer } from 'media-recorder-producer/web';
  import { tusSink, resumeUpload } from 'media-recorder-producer/tus';
  import { webSocketSink } from 'media-recorder-producer/websocket';
  await init();
${PAGE_HELPERS}
  /** The raw parts of OPFS recording \`name\`, concatenated (what the sink wrote). */
  const rawParts = async (name) => bytes(await onDisk(name));
  window.resume = async ({ name, tus }) => {
    const r = await resumeUpload(name, tus);
    return { ...r, disk: b64(await rawParts(name)) };
  };
  window.record = async ({ seconds, tus, ws, config, opfs, stream }) => {
    const producer = new MediaRecorderProducer({ recordingInterval: 250, ...config });
    const lost = { frames: 0, bytes: 0 };
    producer.onError((e) => { if (e.name === 'DataLossError') { lost.frames += e.framesDropped ?? 0; lost.bytes += e.bytesDropped ?? 0; } });
    const parts = [];
    const errors = [];
    const states = [];
    producer.onFrame((f) => parts.push(new Uint8Array(f.data)));
    producer.onError((e) => errors.push(e.name + ': ' + e.message));
    producer.onStreamUpdate((s) => {
      const st = s.uploads?.[0]?.state;
      if (st && states.at(-1) !== st) states.push(st);
    });
    await producer.connect();
    const sinks = tus ? [tusSink(tus)] : ws ? [webSocketSink(ws)] : [];
    const s = await producer.startStream({ width: 320, height: 240, sinks, ...(opfs ? { sink: { type: 'opfs', name: opfs } } : {}), ...stream });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const done = await producer.stopStream(s.id);
    const m = producer.metrics();
    producer.destroy();
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    const { error, ...upload } = done.uploads?.[0] ?? {};
    return { frames: b64(all), upload, error: error && String(error), errorStatus: error?.status, errors, states, dropped: m.framesDropped, recorded: m.framesRecorded, streamId: s.id,
      bytesRecorded: m.bytesRecorded, bytesDropped: m.bytesDropped, lost, disk: opfs ? b64(await rawParts(opfs)) : null };
  };
  window.ready = true;
</script>`;

/** Starts site `s`, opens the test page in `engine` and runs `fn(page, pageErrors)`;
 * the browser is closed and the site stopped however it ends. */
async function onPage(engine, s, fn) {
  await s.start();
  const browser = await engine.launch();
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.onPageError((e) => pageErrors.push(e));
    await page.goto(s.url());
    await page.waitForFunction(() => window.ready === true, 15_000);
    await fn(page, pageErrors);
  } finally {
    await browser.close();
    await s.stop();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('tusSink uploads to a tus server while recording', () => {
  let dir;
  before(async () => {
    dir = scratch('tus');
    writeFileSync(join(dir, 'index.html'), PAGE);
    await buildTusClient(dir);
  });

  /** The server's copy of the upload at `url`. */
  const stored = (store, url) => readFileSync(join(store, new URL(url).pathname.split('/').pop()));

  for (const engine of BROWSERS) {
    test(`${engine.name}: 15 s recorded arrive byte for byte, and decode cleanly`, async () => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page, pageErrors) => {
        const r = await page.evaluate((a) => window.record(a), { seconds: 15, tus: { endpoint: `${s.url()}files/` } });
        assert.deepEqual(pageErrors, []);
        assert.deepEqual(r.errors, []);
        assert.equal(r.error, null);
        assert.equal(r.upload.state, 'done');
        assert.equal(r.dropped, 0);
        const frames = Buffer.from(r.frames, 'base64');
        assert.ok(frames.length > 50_000, `${frames.length} bytes recorded`);
        assert.equal(r.upload.bytesAcknowledged, frames.length);
        const file = stored(store, r.upload.url);
        assert.equal(file.length, frames.length);
        assert.ok(file.equals(frames), 'the stored file is the frames, byte for byte');
        const path = join(store, 'copy.webm');
        writeFileSync(path, file);
        probe(path);
      });
    });

    test(`${engine.name}: a tus server stopped 5 s in and back 5 s later loses nothing`, async () => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        const recording = page.evaluate((a) => window.record(a), { seconds: 15, tus: { endpoint: `${s.url()}files/`, retryDelays: [0, 500] } });
        await sleep(5000);
        await s.stop();
        await sleep(5000);
        await s.start();
        const r = await recording;
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'done');
        assert.ok(r.upload.retries >= 1, `retries: ${r.upload.retries}`);
        assert.ok(r.states.includes('retrying'), r.states.join(' → '));
        assert.equal(r.dropped, 0);
        const frames = Buffer.from(r.frames, 'base64');
        const file = stored(store, r.upload.url);
        assert.equal(file.length, frames.length);
        assert.ok(file.equals(frames), 'the stored file is the frames, byte for byte');
      });
    });

    test(`${engine.name}: the network taken away for 10 s loses nothing`, async (t) => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        const recording = page.evaluate((a) => window.record(a), { seconds: 16, tus: { endpoint: `${s.url()}files/`, retryDelays: [0, 500] } });
        await sleep(3000);
        if (!(await page.setOffline(true))) {
          await recording;
          t.skip(`${engine.name}: no offline emulation through this driver`);
          return;
        }
        await sleep(10_000);
        await page.setOffline(false);
        const r = await recording;
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'done');
        assert.ok(r.upload.retries >= 1, `retries: ${r.upload.retries}`);
        assert.equal(r.dropped, 0);
        const frames = Buffer.from(r.frames, 'base64');
        const file = stored(store, r.upload.url);
        assert.equal(file.length, frames.length);
        assert.ok(file.equals(frames), 'the stored file is the frames, byte for byte');
      });
    });

    test(`${engine.name}: an outage longer than the ring budget, without OPFS: the loss is counted and reported exactly`, async () => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        // A 192 KiB ring, and a sink that holds at most 32 KiB unacknowledged: an 8 s
        // outage at the default bitrate overflows both.
        const recording = page.evaluate((a) => window.record(a), {
          seconds: 14,
          config: { bufferMaxBytes: 192 * 1024, adaptiveQuality: false },
          tus: { endpoint: `${s.url()}files/`, retryDelays: [0, 500], maxBufferedBytes: 32 * 1024 },
        });
        await sleep(3000);
        await s.stop();
        await sleep(8000);
        await s.start();
        const r = await recording;
        assert.equal(r.upload.state, 'done');
        assert.ok(r.dropped > 0, 'the outage outlasted the ring: chunks were evicted');
        // Reported exactly: the DataLossError events add up to the metrics, and what was
        // recorded is what was kept plus what was dropped.
        assert.equal(r.lost.frames, r.dropped);
        assert.equal(r.lost.bytes, r.bytesDropped);
        const frames = Buffer.from(r.frames, 'base64');
        assert.equal(frames.length + r.bytesDropped, r.bytesRecorded);
        assert.ok(r.errors.every((e) => e.startsWith('DataLossError')), r.errors.join('\n'));
        // The server's file is exactly what was kept (the frames the listener saw).
        const file = stored(store, r.upload.url);
        assert.equal(file.length, frames.length);
        assert.ok(file.equals(frames), 'the stored file is what was kept, byte for byte');
      });
    });

    test(`${engine.name}: with an OPFS sink, an outage longer than the ring budget loses nothing: the upload goes on from the file on disk`, async () => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        const name = `e2e-tus-${Date.now()}`;
        const recording = page.evaluate((a) => window.record(a), {
          seconds: 14,
          opfs: name,
          config: { bufferMaxBytes: 192 * 1024, adaptiveQuality: false },
          tus: { endpoint: `${s.url()}files/`, retryDelays: [0, 500], maxBufferedBytes: 32 * 1024 },
        });
        await sleep(3000);
        await s.stop();
        await sleep(8000);
        await s.start();
        const r = await recording;
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'done');
        assert.equal(r.dropped, 0);
        assert.ok(r.upload.bytesFromDisk > 0, 'what the sink had let go of was sent from the OPFS file');
        const frames = Buffer.from(r.frames, 'base64');
        const disk = Buffer.from(r.disk, 'base64');
        assert.equal(disk.length, frames.length, 'the OPFS file has the frames\' bytes');
        assert.ok(disk.equals(frames), 'the OPFS file is the frames');
        const file = stored(store, r.upload.url);
        assert.equal(file.length, frames.length);
        assert.ok(file.equals(frames), 'the stored file is the frames, byte for byte');
      });
    });

    test(`${engine.name}: reloaded mid-upload, an OPFS-backed upload resumes from the server's offset and completes`, async () => {
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        const name = `e2e-reload-${Date.now()}`;
        const endpoint = `${s.url()}files/`;
        const recording = page.evaluate((a) => window.record(a), { seconds: 30, opfs: name, tus: { endpoint, retryDelays: [0, 500] } }).catch(() => 'reloaded');
        // Down once a PATCH or two have gone (one about every 2 s).
        await sleep(5000);
        s.setTusDown(true);
        // Recorded on to disk while the tus server is away; then the tab reloads.
        await sleep(5000);
        await page.goto(s.url());
        assert.equal(await recording, 'reloaded');
        await page.waitForFunction(() => window.ready === true, 15_000);
        s.setTusDown(false);
        const uploads = readdirSync(store).filter((f) => !f.endsWith('.json'));
        assert.equal(uploads.length, 1, 'one upload was begun');
        const before = statSync(join(store, uploads[0])).size;
        const r = await page.evaluate((a) => window.resume(a), { name, tus: { endpoint, retryDelays: [0, 500] } });
        assert.equal(new URL(r.url).pathname.split('/').pop(), uploads[0], 'the same upload, resumed');
        const file = stored(store, r.url);
        const disk = Buffer.from(r.disk, 'base64');
        assert.ok(before > 0 && file.length > before, `resumed at ${before} of ${file.length} bytes`);
        assert.ok(disk.length > before, `the disk holds ${disk.length} bytes, the server had ${before}`);
        assert.equal(r.bytes, file.length);
        // The server's file: what it had, then the rest from the disk (the disk's last part,
        // open at the reload, was lost: the server may hold more than the disk, not less).
        const common = Math.min(file.length, disk.length);
        assert.ok(file.subarray(0, common).equals(disk.subarray(0, common)), 'the upload matches the recording on disk');
        assert.ok(file.length >= disk.length);
        await page.evaluate((n) => import('./node_modules/media-recorder-producer/web.js').then((m) => m.deleteRecording(n)), name);
      });
    });

    test(`${engine.name}: resumeUpload sends an MP4 recording as MP4 (its parts named .mp4)`, async (t) => {
      if (engine.name !== 'chromium') return t.skip('Firefox\'s MediaRecorder records no MP4');
      const store = tempDir('tus-store');
      const s = site(dir, store);
      await onPage(engine, s, async (page) => {
        const name = `e2e-mp4-${Date.now()}`;
        const r = await page.evaluate((a) => window.record(a), { seconds: 4, opfs: name, stream: { mimeType: 'video/mp4' } });
        assert.deepEqual(r.errors, []);
        const up = await page.evaluate((a) => window.resume(a), { name, tus: { endpoint: `${s.url()}files/` } });
        const id = new URL(up.url).pathname.split('/').pop();
        const { metadata } = JSON.parse(readFileSync(join(store, `${id}.json`), 'utf8'));
        assert.equal(metadata.filetype.split(';')[0], 'video/mp4');
        assert.equal(metadata.filename, `${name}.mp4`);
        const disk = Buffer.from(up.disk, 'base64');
        assert.ok(disk.length > 0 && disk.equals(Buffer.from(r.frames, 'base64')), 'the parts on disk are the recording');
        assert.ok(stored(store, up.url).equals(disk), 'the server has the recording, byte for byte');
        await page.evaluate((n) => import('./node_modules/media-recorder-producer/web.js').then((m) => m.deleteRecording(n)), name);
      });
    });

    test(`${engine.name}: a 409 (offset mismatch) is resumed from the server's offset (HEAD)`, async () => {
      const store = tempDir('tus-store');
      let conflicts = 0;
      const s = site(dir, store, {
        // The third PATCH is answered 409, as a server whose offset moved on would.
        onIncomingRequest: async (req) => {
          if (req.method === 'PATCH' && ++conflicts === 3) throw { status_code: 409, body: 'offset mismatch\n' };
        },
      });
      await onPage(engine, s, async (page) => {
        const r = await page.evaluate((a) => window.record(a), { seconds: 12, tus: { endpoint: `${s.url()}files/` } });
        assert.ok(conflicts >= 4, `${conflicts} PATCHes`);
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'done');
        const frames = Buffer.from(r.frames, 'base64');
        assert.ok(stored(store, r.upload.url).equals(frames), 'the stored file is the frames, byte for byte');
      });
    });

    test(`${engine.name}: a server that refuses the upload (403) is an UploadError, and recording goes on`, async () => {
      const s = site(dir, tempDir('tus-store'), {
        onUploadCreate: async () => { throw { status_code: 403, body: 'not allowed here\n' }; },
      });
      await onPage(engine, s, async (page) => {
        const r = await page.evaluate((a) => window.record(a), { seconds: 4, tus: { endpoint: `${s.url()}files/` } });
        assert.equal(r.upload.state, 'failed');
        assert.equal(r.errorStatus, 403);
        assert.equal(r.errors.length, 1, r.errors.join('\n'));
        assert.match(r.errors[0], /^UploadError: .*HTTP 403/);
        assert.ok(r.recorded >= 8, `${r.recorded} chunks recorded`);
        assert.equal(r.dropped, 0);
        assert.equal(Buffer.from(r.frames, 'base64').length > 0, true);
      });
    });
  }
});

/** One origin for the page and a WebSocket server at /video-stream that parses every
 * packet of the origin's format; `events` lists what it received, in order. */
function wsSite(dir) {
  const serveStatic = staticHandler(dir);
  const events = [];
  let server = null;
  let wss = null;
  let port = 0;
  let conn = 0;
  const start = () => new Promise((resolve) => {
    server = createServer(serveStatic);
    wss = new WebSocketServer({ server, path: '/video-stream' });
    wss.on('connection', (socket) => {
      const c = ++conn;
      socket.on('message', (data, isBinary) => {
        if (!isBinary) {
          events.push({ conn: c, kind: 'text', json: JSON.parse(data.toString('utf8')) });
          return;
        }
        const n = data.readUInt32LE(0);
        const header = JSON.parse(data.subarray(4, 4 + n).toString('utf8'));
        events.push({ conn: c, kind: 'frame', header, payload: Buffer.from(data.subarray(4 + n)) });
      });
    });
    server.listen(port, '127.0.0.1', () => {
      port = server.address().port;
      resolve();
    });
  });
  /** A server going away (a restart): each client is told so (1001), then it closes. */
  const stop = () => new Promise((resolve) => {
    for (const c of wss.clients) c.close(1001, 'going away');
    wss.close();
    server.close(resolve);
    setTimeout(() => server.closeAllConnections(), 200);
  });
  return { start, stop, events, url: () => `http://127.0.0.1:${port}/`, ws: () => `ws://127.0.0.1:${port}/video-stream` };
}

/** The frames the server parsed, checked against what the page's listener saw. */
function checkFrames(events, r) {
  const frames = events.filter((e) => e.kind === 'frame');
  assert.deepEqual(frames.map((f) => f.header.metadata.sequence), frames.map((_, i) => i), 'each chunk once, in order');
  assert.equal(frames.length, r.recorded);
  for (const f of frames) {
    assert.equal(f.header.type, 'video_frame');
    assert.equal(f.header.streamId, r.streamId);
    assert.equal(typeof f.header.timestamp, 'number');
    assert.equal(f.header.frameType, f.header.metadata.isHeader ? 'header' : 'data');
    assert.equal(f.header.metadata.size, f.payload.length);
  }
  assert.ok(Buffer.concat(frames.map((f) => f.payload)).equals(Buffer.from(r.frames, 'base64')), 'payloads are the frames, byte for byte');
}

describe('webSocketSink speaks the origin\'s packet format', () => {
  let dir;
  before(() => {
    dir = scratch('ws');
    writeFileSync(join(dir, 'index.html'), PAGE);
    writeFileSync(join(dir, 'tus-js-client.js'), 'export class Upload {}');
  });

  for (const engine of BROWSERS) {
    test(`${engine.name}: every chunk in order as one packet, between stream_start and stream_stop`, async () => {
      const s = wsSite(dir);
      await onPage(engine, s, async (page) => {
        const r = await page.evaluate((a) => window.record(a), { seconds: 6, ws: { url: s.ws() } });
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'closed');
        assert.equal(r.dropped, 0);
        const texts = s.events.filter((e) => e.kind === 'text').map((e) => e.json.type);
        assert.deepEqual(texts, ['stream_start', 'stream_stop']);
        assert.equal(s.events[0].kind, 'text');
        assert.equal(s.events.at(-1).json?.type, 'stream_stop');
        checkFrames(s.events, r);
      });
    });

    test(`${engine.name}: a server restart within the reconnect window: stream_start again, nothing lost or doubled`, async () => {
      const s = wsSite(dir);
      await onPage(engine, s, async (page) => {
        const recording = page.evaluate((a) => window.record(a), { seconds: 12, ws: { url: s.ws(), reconnectDelay: 1000 } });
        await sleep(4000);
        await s.stop();
        await sleep(2500);
        await s.start();
        const r = await recording;
        assert.deepEqual(r.errors, []);
        assert.equal(r.upload.state, 'closed');
        assert.ok(r.upload.retries >= 1, `retries: ${r.upload.retries}`);
        const starts = s.events.filter((e) => e.json?.type === 'stream_start');
        assert.ok(starts.length >= 2, `${starts.length} stream_start`);
        assert.ok(new Set(s.events.map((e) => e.conn)).size >= 2, 'a second connection');
        checkFrames(s.events, r);
      });
    });
  }
});
