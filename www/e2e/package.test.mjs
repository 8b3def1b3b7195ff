// The npm package as a user gets it: `npm run build` packs dist/*.tgz; these tests
// install that tarball into scratch projects (never reading src/ or pkg/), type-check a
// TypeScript consumer against its .d.ts, and record with it from a webpack 5 app, a Vite
// app and plain <script type="module"> pages, in Chromium and Firefox, with a network
// log of what each feature module costs a page.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BROWSERS } from './browsers.mjs';
import { serve } from './static-server.mjs';
import { probe } from './probe.mjs';
import { root, tarball, scratch, tempDir, cleanupScratch } from './scratch.mjs';

after(cleanupScratch);

test('the tarball holds the core module (wasm, JS glue, inline-JS snippets), the keep and codecs modules, the entries, the upload sinks, the types and nothing else', () => {
  const list = execFileSync('tar', ['tzf', tarball()], { encoding: 'utf8' }).trim().split('\n');
  for (const f of list) {
    assert.match(f, /^package\/(web\/([\w.]+\.(js|wasm|d\.ts)|snippets\/[\w.-]+\/inline\d+\.js)|keep\/(keep\.js|keep_bg\.wasm|snippets\/[\w.-]+\/inline\d+\.js)|codecs\/codecs\.(js|wasm)|(index|web|tus|websocket)\.(js|d\.ts)|package\.json|README\.md|LICENSE)$/, f);
  }
  for (const ext of ['.js', '_bg.wasm', '.d.ts']) {
    assert.ok(list.includes(`package/web/media_recorder_producer${ext}`), ext);
  }
  for (const f of ['keep/keep.js', 'keep/keep_bg.wasm', 'codecs/codecs.js', 'codecs/codecs.wasm']) assert.ok(list.includes(`package/${f}`), f);
  assert.equal(list.filter((f) => f.endsWith('.wasm')).length, 3, 'three wasm modules: the core, keep and codecs');
});

describe('TypeScript', () => {
  let dir;
  before(() => {
    dir = scratch('tsc');
    writeFileSync(join(dir, 'good.ts'), `
import { MediaRecorderProducer, StreamPool, makeSeekable, listRecordings, recoverRecording, deleteRecording, type SensorFrame, type ProducerMetricsSnapshot, type RecordingInfo } from 'media-recorder-producer';
import init, { MediaRecorderProducer as WebProducer } from 'media-recorder-producer/web';
import { tusSink, resumeUpload, UploadError } from 'media-recorder-producer/tus';
import { webSocketSink } from 'media-recorder-producer/websocket';
import type { RecordingSink, UploadProgress } from 'media-recorder-producer';

export async function main(): Promise<number> {
  const producer = new MediaRecorderProducer({ recordingInterval: 100, bufferMaxBytes: 1 << 20, retain: 'bounded', mimeTypes: ['video/webm'] });
  const off: () => void = producer.onFrame((frame: SensorFrame) => { const n: number = frame.metadata.sequence; void n; });
  producer.onError((e) => console.log(e.name, e.message));
  await producer.connect();
  const s = await producer.startStream({ width: 640, height: 360, facingMode: 'user', source: 'camera' });
  const m: ProducerMetricsSnapshot = producer.metrics();
  const w = await producer.startStream({ engine: 'auto', preferHardware: true });
  const how: 'in-place' | 'new-segment' | 'unsupported' = producer.setBitrate(w.id, 500_000);
  const engineUsed: 'mediarecorder' | 'webcodecs' | undefined = w.engine;
  const dropped: number | undefined = w.framesDroppedBeforeEncoding;
  void [how, engineUsed, dropped, w.engineReason, w.engineMode, w.hardwareAcceleration];
  producer.usePool(new StreamPool({ maxPoolSize: 2 }));
  await producer.stopStream(s.id);
  const r = await producer.startStream({ replay: true, keyframeInterval: 1000, sink: { type: 'opfs', name: 'take-1' } });
  const clip: Blob = await producer.snapshot(r.id, { seconds: 5 });
  const all: Blob = await producer.snapshot(r.id);
  const kept: Blob | undefined = (await producer.stopStream(r.id)).recording;
  const fixed: Blob = await makeSeekable(clip);
  const list: RecordingInfo[] = await listRecordings();
  const unfinished: boolean = !list[0].finished;
  const file: File = await recoverRecording(list[0].name);
  await deleteRecording('take-1');
  const mine: RecordingSink = { write: (blob: Blob, info) => { void [blob, info.sequence, info.isHeader]; }, close: ({ cutShort }) => { void cutShort; } };
  const up = await producer.startStream({ sinks: [tusSink({ endpoint: 'https://h/files/', retryDelays: [0, 1000] }), webSocketSink({ url: 'wss://h/video-stream' }), mine] });
  const progress: UploadProgress | undefined = (await producer.stopStream(up.id)).uploads?.[0];
  const refused: boolean = progress?.error instanceof UploadError;
  const resumed: { url: string; bytes: number } = await resumeUpload('take-2', { endpoint: 'https://h/files/' });
  void resumed;
  void refused;
  void [all, kept, fixed, unfinished, file];
  off();
  producer.destroy();
  await init();
  new WebProducer().free();
  return m.framesDelivered;
}
`);
    writeFileSync(join(dir, 'bad.ts'), `
import { MediaRecorderProducer } from 'media-recorder-producer';
new MediaRecorderProducer({ recordingInterval: '100' });
`);
    for (const name of ['good', 'bad']) {
      writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom', 'esnext.disposable'], types: [], skipLibCheck: false },
        files: [`${name}.ts`],
      }));
    }
  });
  const tsc = (name) => spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${name}.json`], { cwd: dir, encoding: 'utf8' });

  test('a consumer written against the types compiles', () => {
    const r = tsc('good');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('a config field of the wrong type does not compile', () => {
    const r = tsc('bad');
    assert.notEqual(r.status, 0);
    // Exactly one error, at `recordingInterval: '100'` (line 3, column 29).
    assert.match(r.stdout, /^bad\.ts\(3,29\): error TS2322: Type 'string' is not assignable to type 'number'\./m);
    assert.equal(r.stdout.match(/error TS/g)?.length, 1, r.stdout);
  });
});

// Streams at once, one per engine asked for: MediaRecorder, and "auto" (WebCodecs in a
// Worker, from the codecs module loaded then, where the browser has
// MediaStreamTrackProcessor).
const RECORD = `
  async function record(MediaRecorderProducer, engines, options = {}) {
    const producer = new MediaRecorderProducer({ recordingInterval: 100 });
    const frames = {};
    producer.onFrame((f) => (frames[f.metadata.streamId] ||= []).push({ seq: f.metadata.sequence, header: f.metadata.isHeader, size: f.size }));
    await producer.connect();
    const streams = [];
    for (const engine of engines) streams.push(await producer.startStream({ width: 640, height: 360, engine, ...options }));
    await new Promise((r) => setTimeout(r, 2000));
    const out = [];
    for (const s of streams) {
      // With replay: a snapshot; with an OPFS sink: the file it wrote, at stop.
      const clip = options.replay ? await producer.snapshot(s.id) : null;
      const done = await producer.stopStream(s.id);
      out.push({ frames: frames[s.id] || [], mimeType: done.mimeType, engine: done.engine, mode: done.engineMode,
        clip: clip && clip.size, file: done.recording ? done.recording.size : null });
    }
    producer.destroy();
    return out;
  }`;

// The files the library writes, made in the browser with the installed package: a
// retain: "all" recording, a replay snapshot and an OPFS recording, each handed to Node
// as base64 and probed with Debian's FFmpeg (installed by scripts/setup.sh).
const KEEP = `
  async function keep(m) {
    const b64 = async (blob) => {
      const u = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
      return btoa(s);
    };
    // One round per container: WebM, and MP4 where the recorder makes it (Chromium).
    const round = async (mimeType, engine) => {
      const producer = new m.MediaRecorderProducer({ retain: 'all' });
      await producer.connect();
      const name = 'e2e-' + Date.now();
      const a = await producer.startStream({ width: 320, height: 240, replay: true, mimeType, engine });
      const b = await producer.startStream({ width: 320, height: 240, sink: { type: 'opfs', name }, mimeType, engine });
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 6000));
      const clip = await producer.snapshot(a.id, { seconds: 2 });
      const recording = (await producer.stopStream(a.id)).recording;
      const file = (await producer.stopStream(b.id)).recording;
      const wall = (performance.now() - t0) / 1000;
      producer.destroy();
      const listed = (await m.listRecordings()).some((r) => r.name === name && r.finished);
      await m.deleteRecording(name);
      return { wall, listed, type: recording.type, clip: await b64(clip), recording: await b64(recording), file: await b64(file) };
    };
    const webm = await round(undefined);
    const mp4 = MediaRecorder.isTypeSupported('video/mp4') ? await round('video/mp4') : null;
    // The WebCodecs engine's WebM (its own muxer) where it runs (Chromium).
    const wc = typeof MediaStreamTrackProcessor === 'function' ? await round(undefined, 'webcodecs') : null;
    return { webm, mp4, wc };
  }`;

describe('files the library writes pass ffprobe', () => {
  let site;
  before(async () => {
    const plain = scratch('files');
    writeFileSync(join(plain, 'index.html'), `<!doctype html>
<script type="importmap">{ "imports": { "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js" } }</script>
<script type="module">
  import init, * as m from 'media-recorder-producer/web';
  ${KEEP}
  await init();
  window.run = () => keep(m);
  window.ready = true;
</script>`);
    site = await serve(plain);
  });
  after(async () => { await site?.close(); });

  for (const engine of BROWSERS) {
    test(`${engine.name}: recording, snapshot and OPFS file have a finite duration and decode cleanly`, async () => {
      const browser = await engine.launch();
      const dir = tempDir('files');
      try {
        const page = await browser.newPage();
        const errors = [];
        page.onPageError((e) => errors.push(e));
        await page.goto(site.url);
        await page.waitForFunction(() => window.ready === true, 15_000);
        const out = await page.evaluate(() => window.run());
        assert.deepEqual(errors, []);
        // Chromium records MP4 too (Firefox ESR does not): its files are probed alike.
        assert.equal(out.mp4 !== null, engine.name === 'chromium', 'an MP4 round where the browser records MP4');
        assert.equal(out.wc !== null, engine.name === 'chromium', 'a WebCodecs round where the browser has MediaStreamTrackProcessor');
        for (const [ext, r, label] of [['webm', out.webm, 'webm'], ['mp4', out.mp4, 'mp4'], ['webm', out.wc, 'webcodecs']]) {
          if (!r) continue;
          assert.ok(r.listed, `${label}: the OPFS recording is listed, finished`);
          assert.match(r.type, ext === 'mp4' ? /^video\/mp4/ : /^video\/webm/);
          const seconds = {};
          for (const k of ['recording', 'clip', 'file']) {
            const path = join(dir, `${label}-${k}.${ext}`);
            writeFileSync(path, Buffer.from(r[k], 'base64'));
            seconds[k] = probe(path);
            assert.ok(Number.isFinite(seconds[k]), `${label} ${k}: ${seconds[k]}`);
          }
          // The whole recordings: within 10 % of the time recorded (the recorder starts a
          // little after startStream resolves, so mostly below).
          for (const k of ['recording', 'file']) {
            assert.ok(seconds[k] > r.wall * 0.85 && seconds[k] < r.wall * 1.1, `${label} ${k}: ${seconds[k]} s for ${r.wall} s`);
          }
          // The snapshot: at least the 2 s asked for, at most one keyframe interval more
          // (Chromium: 1 s; Firefox keeps its own ~8 s interval, so all that was held).
          assert.ok(seconds.clip >= 1.9 && seconds.clip <= r.wall * 1.1, `${label} clip: ${seconds.clip} s`);
        }
      } finally {
        await browser.close();
      }
    });
  }
});

describe('installed as a user', () => {
  const sites = {};
  before(async () => {
    // A webpack 5 app (webpack from this workspace; the library from the app's node_modules).
    const app = scratch('webpack');
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'index.js'), `import { MediaRecorderProducer } from 'media-recorder-producer';
${RECORD}
window.run = (engines, options) => record(MediaRecorderProducer, engines, options);
window.ready = true;
`);
    writeFileSync(join(app, 'webpack.config.cjs'), `module.exports = {
  mode: 'production', context: __dirname, entry: './src/index.js',
  output: { path: __dirname + '/public', filename: 'app.js', publicPath: '/' },
  resolve: { modules: [__dirname + '/node_modules'] },
  performance: { hints: false },
};`);
    execFileSync(process.execPath, [join(root, 'node_modules/webpack-cli/bin/cli.js'), '--config', join(app, 'webpack.config.cjs')], { cwd: app, stdio: 'ignore' });
    writeFileSync(join(app, 'public', 'index.html'), '<!doctype html><script src="/app.js"></script>');
    sites.webpack = await serve(join(app, 'public'));

    // A Vite app (Vite 8 from this workspace, its JS API; the library from the app's
    // node_modules): production build, served as built.
    const vapp = scratch('vite');
    mkdirSync(join(vapp, 'src'));
    writeFileSync(join(vapp, 'index.html'), '<!doctype html><script type="module" src="/src/main.js"></script>');
    writeFileSync(join(vapp, 'src', 'main.js'), `import { MediaRecorderProducer } from 'media-recorder-producer';
${RECORD}
window.run = (engines, options) => record(MediaRecorderProducer, engines, options);
window.ready = true;
`);
    const { build } = await import('vite');
    // es2022: the main entry's top-level await.
    await build({ root: vapp, logLevel: 'error', configFile: false, build: { outDir: join(vapp, 'dist'), target: 'es2022' } });
    sites.vite = await serve(join(vapp, 'dist'));

    // A plain page: <script type="module"> and an import map, no bundler.
    const plain = scratch('esm');
    writeFileSync(join(plain, 'index.html'), `<!doctype html>
<script type="importmap">{ "imports": { "media-recorder-producer/web": "./node_modules/media-recorder-producer/web.js" } }</script>
<script type="module">
  import init, { MediaRecorderProducer } from 'media-recorder-producer/web';
  ${RECORD}
  await init();
  window.run = (engines, options) => record(MediaRecorderProducer, engines, options);
  window.ready = true;
</script>`);
    sites.esm = await serve(plain);

    // The main entry without a bundler: it initialises the wasm itself on import.
    const main = scratch('esm-main');
    writeFileSync(join(main, 'index.html'), `<!doctype html>
<script type="importmap">{ "imports": { "media-recorder-producer": "./node_modules/media-recorder-producer/index.js" } }</script>
<script type="module">
  import { MediaRecorderProducer } from 'media-recorder-producer';
  ${RECORD}
  window.run = (engines, options) => record(MediaRecorderProducer, engines, options);
  window.ready = true;
</script>`);
    sites['esm-main'] = await serve(main);
  });
  after(async () => { for (const s of Object.values(sites)) await s.close(); });

  for (const engine of BROWSERS) {
    for (const kind of ['webpack', 'vite', 'esm', 'esm-main']) {
      test(`${engine.name}: the ${kind} app records 2 s with the installed package`, async () => {
        const browser = await engine.launch();
        try {
          const page = await browser.newPage();
          const errors = [];
          page.onPageError((e) => errors.push(e));
          await page.goto(sites[kind].url);
          await page.waitForFunction(() => window.ready === true, 15_000);
          // The network log: a MediaRecorder recording fetches nothing beyond the core
          // module; the first "auto" stream in Chromium fetches the codecs module (its JS
          // and its wasm), Firefox nothing.
          // (A browser may ask for /favicon.ico whenever it likes: not the library's.)
          const log = () => sites[kind].requests.filter((p) => p !== '/favicon.ico');
          const loaded = log().length;
          const [mr] = await page.evaluate(() => window.run(['mediarecorder']));
          assert.deepEqual(log().slice(loaded), [], 'a MediaRecorder recording fetches no feature module');
          const [mr2, auto] = await page.evaluate(() => window.run(['mediarecorder', 'auto']));
          const fetched = log().slice(loaded);
          if (engine.name === 'chromium') {
            assert.equal(fetched.filter((p) => p.endsWith('.wasm')).length, 1, fetched.join(' '));
            assert.equal(fetched.filter((p) => p.endsWith('.js')).length, 1, fetched.join(' '));
            assert.equal(fetched.length, 2, fetched.join(' '));
          } else {
            assert.deepEqual(fetched, [], 'Firefox (no MediaStreamTrackProcessor) fetches no feature module');
          }
          // The first stream with replay (a snapshot) and an OPFS sink (its file) fetches
          // the keep module: one wasm, its JS.
          const before = log().length;
          const [kept] = await page.evaluate((name) => window.run(['mediarecorder'], { replay: true, sink: { type: 'opfs', name } }), `pkg-${kind}-${Date.now()}`);
          assert.ok(kept.clip > 1000, `snapshot: ${kept.clip} B`);
          assert.ok(kept.file > kept.clip / 2, `OPFS file: ${kept.file} B`);
          const keep = log().slice(before);
          assert.equal(keep.filter((p) => p.endsWith('.wasm')).length, 1, keep.join(' '));
          assert.ok(keep.some((p) => p.endsWith('.js')), keep.join(' '));
          assert.ok(keep.every((p) => /\.(js|wasm)$/.test(p)), keep.join(' '));
          for (const r of [mr, mr2, auto, kept]) {
            assert.ok(r.frames.length >= 10, `${r.engine}: ${r.frames.length} frames`);
            assert.deepEqual(r.frames.map((f) => f.seq), r.frames.map((_, i) => i));
            assert.equal(r.frames[0].header, true);
            assert.match(r.mimeType, /^video\/webm/);
          }
          assert.equal(mr.engine, 'mediarecorder');
          // Chromium: WebCodecs in a Worker; Firefox ESR: no MediaStreamTrackProcessor.
          assert.equal(auto.engine, engine.name === 'chromium' ? 'webcodecs' : 'mediarecorder');
          if (auto.engine === 'webcodecs') assert.equal(auto.mode, 'worker');
          assert.deepEqual(errors, []);
        } finally {
          await browser.close();
        }
      });
    }
  }
});
