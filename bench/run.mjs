#!/usr/bin/env node
// `npm run bench` (this file): builds the release wasm (web target) into bench/pkg, serves
// bench/ cross-origin isolated on 127.0.0.1, drives /usr/bin/chromium (fake camera and
// microphone) with playwright-core, runs every workload against every contestant in the
// same page, writes raw results to bench/results/*.json and regenerates BENCHMARKS.md and
// bench/plots/*.svg.
//
//   node bench/run.mjs            full run (≈ 120 min: 60 of them the real-time soak, 10 the seekable workload, 12 the upload workload, 11–12 the keep workload, 3–4 the codecs workload, under 1 the load workload), rewrites BENCHMARKS.md
//   node bench/run.mjs --quick    small N (≈ 4–5 min, 1 of them the real-time soak, under 1 the keep workload), writes only to bench/results/quick/
//   --only size,load,soak,per-chunk,capture,pool,metrics,adaptive,realtime-soak,seekable,upload,keep,codecs   run only these workloads (others keep their files)
//   --contestants a,b             seekable workload only: run just these contestants (a
//                                 developer's check; nothing is written to results/)
//   --minutes N                   length of the real-time soak (default 60; 1 with --quick)
//   --rev <commit>                build the library from that commit (git archive) instead
//                                 of the working tree
//
// Nothing here passes or fails on a timing: it measures and reports (exit 1 only if the
// harness itself breaks, or if the real-time soak's recording does not decode clean: a
// correctness fact, not a timing).
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from './lib/server.mjs';
import { analyze } from './lib/wasm-size.mjs';
import { writeReport } from './lib/report.mjs';
import { FrameKeeper, slopePerHour, verifyLastMinute } from './lib/realtime-soak.mjs';
import { SEEKABLE_CONTESTANTS as SEEKABLE_ALL, bundleSeekable, ffmpegVersion, memOf, probeFile, rendererPids, resetPeak } from './lib/seekable.mjs';
import { repeatClusters } from './lib/synth-webm.mjs';
import { tusServer, bundleUpload } from './lib/upload.mjs';
import { LOAD_HTML, fileSize, isFile, moduleFiles, shippedLayout, sizeOf } from './lib/load.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const arg = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const ONLY = arg('--only')?.split(',');
const REV = arg('--rev');
const WORKLOADS = ['size', 'load', 'soak', 'per-chunk', 'capture', 'pool', 'metrics', 'adaptive', 'realtime-soak', 'seekable', 'upload', 'keep', 'codecs'];
const runs = (w) => !ONLY || ONLY.includes(w);
for (const w of ONLY ?? []) if (!WORKLOADS.includes(w)) throw new Error(`--only: unknown workload "${w}" (known: ${WORKLOADS.join(', ')})`);
const MINUTES = arg('--minutes') === undefined ? (QUICK ? 1 : 60) : Number(arg('--minutes'));
if (!(MINUTES > 0)) throw new Error(`--minutes: expected a positive number, got "${arg('--minutes')}"`);

const CONFIG = QUICK
  ? { recordSeconds: 2, soak: { n: 800, batch: 10, samples: 20 }, perChunk: { n: 200, warm: 20, paceMs: 10, rounds: 2, backToBack: 200, backToBackRounds: 2 }, capture: { seconds: 2, trials: 2, waitMs: 3000 }, pool: { rounds: 10, trials: 2, waitMs: 3000 }, metrics: { n: 150, warm: 20, paceMs: 10, rounds: 2 }, adaptive: { rate: 6, sampleMs: 250, qualityWindow: 500, scenarios: [{ name: 'light', phases: { before: 2, throttled: 5, after: 3 } }] } }
  : { recordSeconds: 10, soak: { n: 30000, batch: 10, samples: 120 }, perChunk: { n: 3000, warm: 50, paceMs: 10, rounds: 5, backToBack: 2000, backToBackRounds: 5 }, capture: { seconds: 60, trials: 9, waitMs: 3000 }, pool: { rounds: 50, trials: 7, waitMs: 3000 }, metrics: { n: 4000, warm: 50, paceMs: 10, rounds: 8 }, adaptive: { rate: 6, sampleMs: 250, qualityWindow: 500, scenarios: [{ name: 'light', phases: { before: 10, throttled: 20, after: 15 } }, { name: 'heavy', targetMs: 10, phases: { before: 10, throttled: 20, after: 30 } }] } };

// The real-time soak: ours recording camera + microphone for MINUTES at a 100 ms timeslice
// (the default; about 30 000 chunks an hour, what the synthetic soak feeds). Samples every
// 10 s; a forced GC (CDP) and a heap reading every gcEveryMs; slopes fitted after warm-up.
CONFIG.realtimeSoak = {
  minutes: MINUTES, timesliceMs: 100, sampleMs: 10_000, pullMs: 10_000, gcEveryMs: QUICK ? 20_000 : 60_000,
  keepSeconds: 60, warmupSeconds: Math.min(QUICK ? 10 : 60, MINUTES * 30),
};

// The seekable workload (issue 14): a plain MediaRecorder recording (640×480 VP9 + Opus; the
// encoder undershoots the asked bitrate, so it is asked for more to land near the anchor's
// ≈ 355 kbit/s) repeated into a long file, made seekable by each contestant in a
// fresh browser context per trial. Full: the issue's anchor, 75 min (≈ 200 MB); quick: 8 min.
CONFIG.seekable = {
  source: { seconds: QUICK ? 10 : 20, width: 640, height: 480, mimeType: 'video/webm;codecs=vp9,opus', videoBitsPerSecond: 540_000, timesliceMs: 1000 },
  targetMinutes: QUICK ? 8 : 75,
  trials: QUICK ? 1 : 5,
  // A contestant whose first call takes longer than slowMs gets only slowTrials trials.
  slowMs: 30_000,
  slowTrials: 3,
  sampleMs: 20,
  runTimeoutMs: QUICK ? 60_000 : 600_000,
  checkTimeoutMs: QUICK ? 20_000 : 60_000,
  goal: { ms: 500, bytes: 32 * 2 ** 20 },
  stopLatency: { seconds: QUICK ? 3 : 30, trials: QUICK ? 1 : 3 },
};

// The upload workload (issue 15), against a real tus server on the page's origin:
// throughput of ours (chunks pushed into a tusSink) vs tus-js-client fed the finished
// Blob, both with 5 MB PATCHes; main-thread time per recorded second with a tusSink vs
// none (CDP TaskDuration); and the time from the server coming back after an outage to
// the upload's next acknowledged PATCH.
CONFIG.upload = QUICK
  ? { bytes: 16 * 2 ** 20, chunkSize: 5e6, pushBytes: 256 * 1024, trials: 1, recordSeconds: 4, recordTrials: 1, outages: 2, downMs: 1000, upMs: 1500, retryDelays: [0, 500] }
  : { bytes: 200 * 2 ** 20, chunkSize: 5e6, pushBytes: 256 * 1024, trials: 11, recordSeconds: 20, recordTrials: 9, outages: 10, downMs: 2000, upMs: 2000, retryDelays: [0, 500] };
CONFIG.upload.goal = { throughput: 0.9, mainThread: 1.2, resumeMs: 1000 + CONFIG.upload.retryDelays.at(-1) };

// The keep workload (issue 14, recordings users keep), ours only, the default config unless
// stated. Snapshot latency: a `replay: true, keyframeInterval: 1000` stream whose ring holds
// the whole recording (64 MiB, 1000 chunks: the default 64 chunks are 6.4 s at the 100 ms
// timeslice), recorded for `recordSeconds`, then `snapshot(id, { seconds })` n times, gapMs
// apart. Flat memory: one stream with the OPFS sink for `minutes`, sampled every sampleMs;
// stopStream timed at its end, and for a `shortSeconds` OPFS recording beside it.
CONFIG.keep = {
  snapshot: { recordSeconds: QUICK ? 8 : 40, seconds: QUICK ? 5 : 30, n: QUICK ? 3 : 15, gapMs: 200, bufferMaxBytes: 64 * 2 ** 20, bufferCapacity: 1000, checkTimeoutMs: 20_000 },
  opfs: { seconds: QUICK ? 20 : 600, sampleMs: QUICK ? 2000 : 10_000, shortSeconds: QUICK ? 5 : 20, checkTimeoutMs: 30_000 },
  goal: { snapshotP50Ms: 50, stopMs: 50 },
};

// The WebCodecs engine (issue 16), 640×480 camera + microphone, VP8 + Opus, 400 kbit/s:
// main-thread time per recorded second (CDP TaskDuration over `seconds` of recording,
// setup and stop excluded) of raw MediaRecorder, ours with MediaRecorder and ours with
// WebCodecs (frameData "blob" for ours, so none reads its chunks), `trials` rounds
// rotating, measured after `warmMs` of recording; cadence and drops under CDP CPU throttling `throttle`× with the main thread
// busy `busyMs` of every 100 ms; a bitrate step `from` → `to` at `atMs` (video only).
CONFIG.codecs = {
  seconds: QUICK ? 3 : 10,
  warmMs: QUICK ? 1000 : 2000,
  trials: QUICK ? 1 : 3,
  loaded: { seconds: QUICK ? 4 : 15, throttle: 6, busyMs: 30 },
  step: { atMs: QUICK ? 2000 : 3000, seconds: QUICK ? 6 : 10, from: 400_000, to: 250_000, windowMs: 1000, tolerance: 0.35 },
  goal: { mainThread: 1.0, stepMs: 1000 },
};

// What a page fetches (issue 26): a fresh browser context (cold cache; the server says
// no-store) opens a minimal page that imports the package as shipped (bench/pkg-shipped:
// index.js, web.js, web/, keep/, codecs/, laid out and minified as scripts/package.mjs
// does) and records `recordSeconds` into an onFrame listener with MediaRecorder; then, in
// the same page, a stream with `engine: 'webcodecs'` for `webcodecsSeconds`; then one with
// `replay: true` for `keepSeconds` and a snapshot of its last `snapshotSeconds`. The
// server logs every request.
// Import → ready: a cold dynamic import of ours and of mediabunny's minimal recording
// import (the size workload's esbuild bundle), a fresh context each, `trials` each,
// alternating. Goals in gzip -9 bytes (issue 26's KB: 1 000 B).
CONFIG.load = {
  recordSeconds: 5,
  webcodecsSeconds: QUICK ? 2 : 3,
  keepSeconds: QUICK ? 2 : 3,
  snapshotSeconds: 1,
  trials: QUICK ? 3 : 15,
  goal: { coreFetchedGzip9: 48_000, togetherGzip9: 120_000 },
};

const COMMAND = argv.length ? `npm run bench -- ${argv.join(' ')}` : 'npm run bench';
const RESULTS = QUICK ? join(BENCH, 'results', 'quick') : join(BENCH, 'results');
const PKG = join(BENCH, 'pkg');
// The package as shipped (the load workload serves it; the size workload reports it).
const SHIPPED = join(BENCH, 'pkg-shipped');
const MEDIABUNNY_FILE = 'mediabunny-recording.js';

const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox',
  '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required',
  '--enable-precise-memory-info',
];

const t0 = Date.now();
const log = (...a) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s]`, ...a);
const round = (x, d = 3) => (x == null ? x : Math.round(x * 10 ** d) / 10 ** d);

function git(...a) {
  try { return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; }
}

// ------------------------------------------------------------------ build

const BUILD_ENV = {
  ...process.env,
  // npm's binaryen (node_modules/.bin) first: Debian's wasm-opt 108 cannot read wasm-bindgen's output.
  PATH: `${join(ROOT, 'node_modules', '.bin')}:${join(os.homedir(), '.cargo', 'bin')}:${process.env.PATH}`,
};

/** Builds the release wasm (web target) into `outDir` (and, in builds that have them, the
 * feature modules into `outDir`/codecs and `outDir`/keep), from the working tree (`rev`
 * undefined) or from a commit: its tree is unpacked (git archive) into a directory kept per
 * commit, with one shared target directory, so a rebuild of the same commit is quick. */
function build(rev, outDir) {
  const env = { ...BUILD_ENV };
  let crateDir = ROOT;
  let targetDir = process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
  let sha = null;
  if (rev) {
    sha = git('rev-parse', '--verify', `${rev}^{commit}`);
    if (!sha) throw new Error(`--rev ${rev}: not a commit`);
    crateDir = join(os.tmpdir(), `mrp-bench-src-${sha.slice(0, 12)}`);
    if (!existsSync(join(crateDir, 'Cargo.toml'))) {
      mkdirSync(crateDir, { recursive: true });
      execFileSync('bash', ['-c', `git -C "${ROOT}" archive "${sha}" | tar -x -C "${crateDir}"`]);
    }
    targetDir = join(os.tmpdir(), 'mrp-bench-target');
    env.CARGO_TARGET_DIR = targetDir;
  }
  const what = rev ? `commit ${sha.slice(0, 10)}${rev !== sha ? ` (${rev})` : ''}` : 'the working tree';
  log(`building the release wasm (web target) from ${what} into ${outDir.replace(`${ROOT}/`, '')}`);
  const started = Date.now();
  // As shipped (scripts/package.mjs): release, without the dev-only panic hook; since
  // the split (issue 26) the core module is the feature `shell` and the WebCodecs
  // engine's module is built beside it, into `outDir`/codecs.
  const split = existsSync(join(crateDir, 'src', 'mux_abi.rs'));
  // The module for recordings users keep (issue 26's second feature module): a second
  // wasm-bindgen build of the crate, feature `keep`, into `outDir`/keep.
  const keep = existsSync(join(crateDir, 'src', 'web', 'keep', 'mod.rs'));
  const features = split ? ['--no-default-features', '--features', 'shell'] : ['--no-default-features'];
  // Nothing left over from another build in the same directory: wasm-pack does not clear
  // `snippets/` (a stale inline snippet would be counted as the core's), nor the feature
  // modules' directories.
  for (const d of ['snippets', 'codecs', 'keep']) rmSync(join(outDir, d), { recursive: true, force: true });
  const r = spawnSync('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', outDir, '--', ...features], { cwd: crateDir, env, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error(`wasm-pack build of ${what} failed (see above)`);
  }
  if (split) {
    const muxTarget = join(targetDir, 'mux');
    const m = spawnSync('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--no-default-features', '--features', 'mux-abi', '--target-dir', muxTarget], { cwd: crateDir, env, encoding: 'utf8' });
    if (m.status !== 0) {
      console.error(m.stdout, m.stderr);
      throw new Error(`the codecs module's build of ${what} failed (see above)`);
    }
    mkdirSync(join(outDir, 'codecs'), { recursive: true });
    execFileSync('wasm-opt', ['-Oz', '--converge', '--low-memory-unused', '--strip-debug', '--strip-producers',
      join(muxTarget, 'wasm32-unknown-unknown', 'release', 'media_recorder_producer.wasm'), '-o', join(outDir, 'codecs', 'codecs.wasm')], { env });
    copyFileSync(join(crateDir, 'js', 'codecs.js'), join(outDir, 'codecs', 'codecs.js'));
  }
  if (keep) {
    // As scripts/package.mjs: wasm-pack again, feature `keep` alone, in a target directory
    // of its own (the core's build is not redone); its JS, wasm and snippets kept.
    const keepDir = join(outDir, 'keep');
    const k = spawnSync('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', keepDir, '--out-name', 'keep', '--', '--no-default-features', '--features', 'keep'],
      { cwd: crateDir, env: { ...env, CARGO_TARGET_DIR: join(targetDir, 'keep') }, encoding: 'utf8' });
    if (k.status !== 0) {
      console.error(k.stdout, k.stderr);
      throw new Error(`the keep module's build of ${what} failed (see above)`);
    }
    for (const f of readdirSync(keepDir)) {
      if (f !== 'snippets' && !/\.(js|wasm)$/.test(f)) rmSync(join(keepDir, f), { recursive: true, force: true });
    }
  }
  const buildMs = Date.now() - started;
  log(`built in ${(buildMs / 1000).toFixed(1)} s`);
  return { crateDir, targetDir, env, buildMs, sha, keep };
}

// mediabunny's minimal recording import (what an app needs to record camera and microphone
// to WebM), bundled from npm with esbuild as an app's build would: minified, ESM,
// tree-shaken. Null (and logged) if it cannot be bundled.
function bundleMediabunny() {
  try {
    const version = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'mediabunny', 'package.json'), 'utf8')).version;
    const entry = "export { Output, WebMOutputFormat, BufferTarget, MediaStreamVideoTrackSource, MediaStreamAudioTrackSource } from 'mediabunny';\n";
    const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
    const bundle = execFileSync(esbuild, ['--bundle', '--minify', '--format=esm', '--platform=browser', '--log-level=error'], { cwd: ROOT, input: entry, maxBuffer: 64 * 2 ** 20 });
    return { version, entry: entry.trim(), bundle };
  } catch (e) {
    log(`mediabunny bundle failed: ${String(e.message || e).split('\n')[0]}`);
    return null;
  }
}

/** Shipped size per module (issue 26: core, keep, codecs) beside RecordRTC and mediabunny,
 * and where the core's and the keep module's wasm bytes go. Each module from bench/pkg as built (raw and gzip -9),
 * and as shipped (`shipped`: the same files with the JS minified as scripts/package.mjs
 * does). `ours` is the core, in the shape of the results from before the split. */
function measureSize(b, shippedLayoutInfo, mbBundle) {
  const file = (p) => fileSize(p);
  const wasmPath = join(PKG, 'media_recorder_producer_bg.wasm');
  const wasmBuf = readFileSync(wasmPath);
  const files = moduleFiles(PKG);
  const modules = {};
  for (const [name, list] of Object.entries(files)) {
    if (!list) continue;
    const built = sizeOf(PKG, list);
    const sh = sizeOf(SHIPPED, shippedLayoutInfo.modules[name]);
    modules[name] = {
      files: built.files.map((f, i) => ({ ...f, shipped: { path: sh.files[i].path, bytes: sh.files[i].bytes, gzip9: sh.files[i].gzip9 } })),
      bytes: built.bytes, gzip9: built.gzip9, shipped: { bytes: sh.bytes, gzip9: sh.gzip9 },
    };
  }
  const sum = (f) => Object.values(modules).reduce((a, m) => a + f(m), 0);
  const together = { bytes: sum((m) => m.bytes), gzip9: sum((m) => m.gzip9), shipped: { bytes: sum((m) => m.shipped.bytes), gzip9: sum((m) => m.shipped.gzip9) } };
  // The entry: index.js, and web.js where it imports it (since the keep split).
  const entryFiles = sizeOf(SHIPPED, shippedLayoutInfo.entryFiles ?? [shippedLayoutInfo.entry]);
  const entry = { path: entryFiles.files.map((f) => f.path).join(' + '), files: entryFiles.files, bytes: entryFiles.bytes, gzip9: entryFiles.gzip9 };
  const snippets = modules.core.files.filter((f) => f.path.startsWith('snippets/'));
  const ours = {
    wasm: file(wasmPath),
    js: file(join(PKG, 'media_recorder_producer.js')),
    snippets: { count: snippets.length, bytes: snippets.reduce((a, f) => a + f.bytes, 0), gzip9: snippets.reduce((a, f) => a + f.gzip9, 0) },
    total: { bytes: modules.core.bytes, gzip9: modules.core.gzip9 },
  };
  const rtcPath = join(ROOT, 'node_modules', 'recordrtc', 'RecordRTC.min.js');
  const rtcVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'recordrtc', 'package.json'), 'utf8')).version;
  const recordrtc = { version: rtcVersion, ...file(rtcPath) };
  const mediabunny = mbBundle ? { version: mbBundle.version, entry: mbBundle.entry, bytes: mbBundle.bundle.length, gzip9: gzipSync(mbBundle.bundle, { level: 9 }).length } : null;
  const shipped = analyze(wasmBuf);
  const contributors = namedContributors(b, join(b.targetDir, 'wasm32-unknown-unknown', 'release', 'media_recorder_producer.wasm'), 'media_recorder_producer', shipped);
  // The keep module's wasm, the same way (its cargo output is under its own target directory).
  let keepWasm = null;
  if (modules.keep) {
    const k = analyze(readFileSync(join(PKG, 'keep', 'keep_bg.wasm')));
    keepWasm = {
      sections: k.sections, codeBytes: k.codeBytes, functionCount: k.functionCount,
      contributors: namedContributors(b, join(b.targetDir, 'keep', 'wasm32-unknown-unknown', 'release', 'media_recorder_producer.wasm'), 'media_recorder_producer', k),
    };
  }
  return {
    modules, together, entry, ours, recordrtc, mediabunny,
    shippedMethod: 'bench/pkg laid out as scripts/package.mjs ships it (bench/lib/load.mjs): the .js under web/, keep/ and codecs/ minified with esbuild (transformSync, minify, es2022), test hooks left out; the .wasm files as built',
    sections: shipped.sections, codeBytes: shipped.codeBytes, functionCount: shipped.functionCount, contributors, keepWasm,
  };
}

/** Where a wasm-bindgen module's code bytes go. The shipped file has no names (wasm-opt
 * drops them): rebuild the same code with names kept, wasm-bindgen on cargo's output `raw`,
 * then wasm-opt with the flags wasm-pack uses (Cargo.toml), -g instead of --strip-debug.
 * `shipped`: analyze() of the shipped .wasm, to say whether the code is the same size. */
function namedContributors(b, raw, name, shipped) {
  try {
    const tmp = mkdtempSync(join(os.tmpdir(), 'mrp-bench-names-'));
    execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', tmp, '--out-name', name, raw], { env: b.env, stdio: 'pipe' });
    const named = join(tmp, 'named.wasm');
    execFileSync('wasm-opt', ['-Oz', '--converge', '--low-memory-unused', '-g', join(tmp, `${name}_bg.wasm`), '-o', named], { env: b.env, stdio: 'pipe' });
    const a = analyze(readFileSync(named), { top: 15 });
    rmSync(tmp, { recursive: true, force: true });
    return {
      available: true,
      method: 'wasm-bindgen + wasm-opt -Oz --converge --low-memory-unused -g on the same cargo output; function body sizes from the code section, names from the name section (bench/lib/wasm-size.mjs)',
      sameCode: a.codeBytes === shipped.codeBytes,
      codeBytes: a.codeBytes,
      topFunctions: a.topFunctions,
      byCrate: a.byCrate,
      byModule: a.byModule,
    };
  } catch (e) {
    return { available: false, why: String(e.message || e).split('\n')[0] };
  }
}

// ------------------------------------------------------------------ browser

async function openPage(browser, url, { input = true, query = '' } = {}) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  await page.goto(`${url}page.html${query}`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
  if (input) await page.evaluate(() => window.bench.loadInput());
  return { page, problems };
}

async function cdpMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function runSoak(browser, url) {
  const out = { config: CONFIG.soak, feed: 'batches: push `batch` chunks at once, sample right after the push (the peak), then wait until the contestant has delivered (or dropped) every pushed chunk before the next batch', contestants: {} };
  for (const contestant of ['naive', 'floor', 'seed', 'ours']) {
    const { page, problems } = await openPage(browser, url);
    const cdp = await page.context().newCDPSession(page);
    log(`soak: ${contestant}, ${CONFIG.soak.n} chunks`);
    const r = await page.evaluate((o) => window.bench.soak(o), { contestant, ...CONFIG.soak });
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const end = await page.evaluate((o) => window.bench.soakEnd(o), { measureMemory: QUICK ? 0 : 30_000 });
    out.contestants[contestant] = { ...r, end, problems };
    log(`soak: ${contestant}: ${r.throughput.toFixed(0)} chunks/s, held at end ${r.samples.at(-1).held} B, dropped ${r.dropped}`);
    await page.close();
  }
  return out;
}

/** Median of numbers. */
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** One per-chunk measurement in a fresh page: feeds `n` chunks to `contestant` one every
 * `paceMs`, returns the page's result and the main-thread time per chunk from CDP. */
async function measurePerChunk(browser, url, { contestant, n, warm, paceMs, query }) {
  const { page, problems } = await openPage(browser, url, query ? { query } : undefined);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.evaluate((o) => window.bench.perChunkPrepare(o), { contestant, n, warm });
  const before = await cdpMetrics(cdp);
  const res = await page.evaluate((o) => window.bench.perChunkRun(o), { paceMs });
  const after = await cdpMetrics(cdp);
  await page.close();
  const d = (key) => (after[key] - before[key]) * 1000 / res.n; // seconds → ms per chunk
  return { res, problems, thread: d('ThreadTime'), task: d('TaskDuration'), script: d('ScriptDuration') };
}

async function runPerChunk(browser, url) {
  const { n, warm, paceMs, rounds } = CONFIG.perChunk;
  const per = Math.ceil(n / rounds);
  const out = {
    config: CONFIG.perChunk,
    feed: `one chunk every ${paceMs} ms (setTimeout); latency = performance.now() just before push → the last of two frame listeners called; main-thread time from CDP Performance.getMetrics (ThreadTime, TaskDuration) over the run; ${rounds} rounds of ${per} chunks, every contestant once per round in a fresh page (order rotating), so that load from other processes hits all of them alike; per-chunk times are the median over rounds, ratios the median of the per-round ratios, latency percentiles over all chunks`,
    contestants: {},
    rounds: [],
  };
  const names = ['none', 'naive', 'floor', 'seed', 'ours', 'oursBlob'];
  const raw = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const rd = { loadavg: os.loadavg()[0] };
    for (let k = 0; k < names.length; k++) {
      const contestant = names[(r + k) % names.length];
      const m = await measurePerChunk(browser, url, { contestant, n: per, warm, paceMs });
      raw[contestant].push({ ...m.res, thread: m.thread, task: m.task, script: m.script, problems: m.problems });
      rd[contestant] = m.thread;
    }
    out.rounds.push(rd);
    log(`per-chunk: round ${r + 1}/${rounds}: ${names.map((k) => `${k} ${rd[k].toFixed(3)}`).join(', ')} ms/chunk main thread`);
  }
  for (const k of names) {
    const rs = raw[k];
    const lat = rs.flatMap((x) => x.latencies).sort((a, b) => a - b);
    out.contestants[k] = {
      n: rs.reduce((a, x) => a + x.n, 0),
      delivered: rs.reduce((a, x) => a + x.delivered, 0),
      dropped: rs.reduce((a, x) => a + x.dropped, 0),
      syncPushMsPerChunk: rs.reduce((a, x) => a + x.syncMs, 0) / rs.reduce((a, x) => a + x.n, 0),
      threadMsPerChunk: med(rs.map((x) => x.thread)),
      threadMsPerChunkRounds: rs.map((x) => round(x.thread, 5)),
      taskMsPerChunk: med(rs.map((x) => x.task)),
      scriptMsPerChunk: med(rs.map((x) => x.script)),
      latencyMs: { p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: lat.at(-1) ?? null, mean: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length) },
      latencies: rs.flatMap((x) => x.latencies).map((x) => round(x, 4)),
      finish: rs.at(-1).finish,
      problems: rs.flatMap((x) => x.problems),
    };
  }
  // Per-round ratios of the net main-thread time (minus the harness-only contestant).
  out.ratios = {};
  for (const other of ['seed', 'floor']) {
    const net = out.rounds.map((rd) => (rd.ours - rd.none) / (rd[other] - rd.none));
    const gross = out.rounds.map((rd) => rd.ours / rd[other]);
    out.ratios[other] = { netThread: med(net), netThreadRounds: net.map((x) => round(x, 4)), grossThread: med(gross) };
  }
  // Ours handing out Blobs, as naive does: both skip the read.
  {
    const net = out.rounds.map((rd) => (rd.oursBlob - rd.none) / (rd.naive - rd.none));
    out.ratios.blobVsNaive = { netThread: med(net), netThreadRounds: net.map((x) => round(x, 4)), grossThread: med(out.rounds.map((rd) => rd.oursBlob / rd.naive)) };
  }
  for (const k of names) {
    const c = out.contestants[k];
    log(`per-chunk: ${k}: thread ${c.threadMsPerChunk.toFixed(4)} ms/chunk, latency p50 ${c.latencyMs.p50?.toFixed(3)} ms, p99 ${c.latencyMs.p99?.toFixed(3)} ms`);
  }
  out.backToBack = await runBackToBack(browser, url);
  return out;
}

/** The per-chunk contestants back to back (see `perChunkBackToBack` in page.mjs): the
 * seed design is left out, its 50 ms tick would be all it measured. */
async function runBackToBack(browser, url) {
  const { backToBack: n, backToBackRounds: rounds, warm } = CONFIG.perChunk;
  const names = ['none', 'naive', 'floor', 'ours', 'oursBlob'];
  const per = Object.fromEntries(names.map((k) => [k, []]));
  const byRound = [];
  for (let r = 0; r < rounds; r++) {
    const rd = {};
    for (let i = 0; i < names.length; i++) {
      const k = names[(r + i) % names.length];
      const { page } = await openPage(browser, url);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.evaluate((o) => window.bench.perChunkPrepare(o), { contestant: k, n, warm });
      const before = await cdpMetrics(cdp);
      const res = await page.evaluate(() => window.bench.perChunkBackToBack());
      const after = await cdpMetrics(cdp);
      await page.close();
      if (res.dropped) throw new Error(`back-to-back: ${k} dropped ${res.dropped} chunks`);
      rd[k] = (after.ThreadTime - before.ThreadTime) * 1000 / n;
      per[k].push(rd[k]);
    }
    log(`per-chunk back to back: round ${r + 1}/${rounds}: ${names.map((k) => `${k} ${(rd[k] * 1000).toFixed(1)} µs`).join(', ')}`);
    byRound.push(rd);
  }
  const ratio = (a, b) => med(byRound.map((rd) => (rd[a] - rd.none) / (rd[b] - rd.none)));
  return {
    n,
    rounds,
    feed: 'each chunk pushed as soon as the previous one reached the last of two listeners; main-thread time from CDP ThreadTime over the loop, per chunk; a fresh page per contestant and round, order rotating; medians over rounds, ratios the median of per-round net ratios',
    threadMsPerChunk: Object.fromEntries(names.map((k) => [k, med(per[k])])),
    threadMsPerChunkRounds: Object.fromEntries(names.map((k) => [k, per[k].map((x) => round(x, 5))])),
    ratios: { oursVsFloor: ratio('ours', 'floor'), blobVsNaive: ratio('oursBlob', 'naive') },
  };
}

async function runCapture(browser, url) {
  const { seconds, trials, waitMs } = CONFIG.capture;
  const out = { config: CONFIG.capture, firstFrame: { trials: [] }, runs: {} };
  {
    const { page, problems } = await openPage(browser, url, { input: false });
    out.firstFrame.warmCameraMs = await page.evaluate(() => window.bench.warmCamera());
    const order = ['raw', 'ours', 'seed'];
    for (let t = 0; t < trials; t++) {
      for (let k = 0; k < order.length; k++) {
        const contestant = order[(t + k) % order.length];
        out.firstFrame.trials.push({ trial: t, ...(await page.evaluate((o) => window.bench.firstFrame(o), { contestant, waitMs })) });
      }
    }
    out.firstFrame.problems = problems;
    await page.close();
    log(`capture: ${trials} start → first frame trials each for raw, ours, seed`);
  }
  for (const contestant of ['raw', 'ours', 'seed']) {
    const { page, problems } = await openPage(browser, url, { input: false });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    log(`capture: ${contestant}, ${seconds} s from the fake camera`);
    const before = await cdpMetrics(cdp);
    const r = await page.evaluate((o) => window.bench.capture(o), { contestant, seconds });
    const after = await cdpMetrics(cdp);
    r.threadMs = (after.ThreadTime - before.ThreadTime) * 1000;
    r.problems = problems;
    out.runs[contestant] = r;
    log(`capture: ${contestant}: ${r.frames} frames, dropped ${r.dropped}, long tasks ${Object.values(r.phases).reduce((a, p) => a + p.longTasks, 0)}`);
    await page.close();
  }
  return out;
}

async function runPool(browser, url) {
  const { rounds, trials, waitMs } = CONFIG.pool;
  const { page, problems } = await openPage(browser, url, { input: false });
  if (!(await page.evaluate(() => window.bench.hasPool))) {
    await page.close();
    log('pool: this build has no StreamPool; skipped');
    return { skipped: 'this build has no StreamPool' };
  }
  const warm = await page.evaluate(() => window.bench.warmCamera());
  log(`pool: acquire, ${rounds} rounds each (raw getUserMedia, ours fresh/pooled, seed fresh/pooled)`);
  const acquire = await page.evaluate((o) => window.bench.poolAcquire(o), { rounds });
  log(`pool: start → first frame through a pool, cold vs warm, ${trials} trials`);
  const firstFrame = await page.evaluate((o) => window.bench.poolFirstFrame(o), { trials, waitMs });
  await page.close();
  const summary = {};
  for (const [k, xs] of Object.entries(acquire.times)) {
    const s = [...xs].sort((a, b) => a - b);
    summary[k] = { p50: percentile(s, 50), p95: percentile(s, 95), min: s[0], max: s.at(-1) };
  }
  log(`pool: acquire p50 ms: ${Object.entries(summary).map(([k, v]) => `${k} ${v.p50.toFixed(3)}`).join(', ')}`);
  return { config: CONFIG.pool, warmCameraMs: warm, acquire: { ...acquire, summary }, firstFrame, problems };
}

/** The commit that added the memory monitor and metrics (issue 4) and its parent: the
 * first commit that created src/web/monitor.rs. */
function metricsCommits() {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'src/web/monitor.rs');
  const after = added?.split('\n').filter(Boolean).at(-1);
  if (!after) return null;
  const before = git('rev-parse', `${after}^`);
  return before ? { before, after, subject: git('log', '-1', '--format=%s', after) } : null;
}

/** Per-chunk main-thread time of the library just before and just after the monitor and
 * metrics landed (two builds), the same feed as the per-chunk workload, rounds alternating. */
async function runMetrics(browser, url, builds) {
  const { n, warm, paceMs, rounds } = CONFIG.metrics;
  const per = Math.ceil(n / rounds);
  const variants = [['none', 'pkg', 'none'], ['before', builds.beforeDir, 'ours'], ['after', builds.afterDir, 'ours']];
  const out = { config: CONFIG.metrics, commits: builds.commits, rounds: [], variants: {} };
  const raw = { none: [], before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    const rd = { loadavg: os.loadavg()[0] };
    for (let k = 0; k < variants.length; k++) {
      const [name, dir, contestant] = variants[(r + k) % variants.length];
      const { res, problems, thread } = await measurePerChunk(browser, url, { contestant, n: per, warm, paceMs, query: `?pkg=${dir}` });
      const lat = [...res.latencies].sort((a, b) => a - b);
      raw[name].push({ thread, p50: percentile(lat, 50), delivered: res.delivered, dropped: res.dropped, problems });
      rd[name] = thread;
    }
    rd.ratio = (rd.after - rd.none) / (rd.before - rd.none);
    out.rounds.push(rd);
    log(`metrics: round ${r + 1}/${rounds}: harness ${rd.none.toFixed(3)}, before ${rd.before.toFixed(3)}, after ${rd.after.toFixed(3)} ms/chunk; net after/before ${rd.ratio.toFixed(3)}`);
  }
  for (const [name] of variants) {
    out.variants[name] = {
      threadMsPerChunk: med(raw[name].map((x) => x.thread)),
      threadMsPerChunkRounds: raw[name].map((x) => round(x.thread, 5)),
      latencyP50Ms: med(raw[name].map((x) => x.p50)),
      delivered: raw[name].reduce((a, x) => a + x.delivered, 0),
      dropped: raw[name].reduce((a, x) => a + x.dropped, 0),
      problems: raw[name].flatMap((x) => x.problems),
    };
  }
  out.netRatio = med(out.rounds.map((r) => r.ratio));
  out.grossRatio = med(out.rounds.map((r) => r.after / r.before));
  log(`metrics: net after/before ${out.netRatio.toFixed(3)} (median of ${rounds} rounds)`);
  return out;
}

// ------------------------------------------------------------------ adaptive quality (issue 5)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Ours and the seed design, one after the other in one page, each recording from the fake
 * camera with a consumer (checksum + MessageChannel post per frame) through three phases:
 * unthrottled, CDP CPU throttling `rate`×, unthrottled again. The page samples every
 * `sampleMs`; the runner changes the throttling and marks each boundary. Scenarios: "light"
 * is one checksum pass per frame (the consumer issue 5 names); "heavy" repeats the pass so
 * that a frame of the light run's mean size costs `targetMs` unthrottled. */
async function runAdaptive(browser, url) {
  const { rate, sampleMs, qualityWindow, scenarios } = CONFIG.adaptive;
  const { page, problems } = await openPage(browser, url, { input: false });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const order = ['ours', 'seed'];
  const out = {
    config: CONFIG.adaptive,
    order,
    feed: `one page; per scenario the contestants one after the other (${order.join(', then ')}), each a fresh recording from the fake camera (1280×720 ideal at 30 fps ideal, with audio, timeslice 100 ms; ours \`new MediaRecorderProducer({ qualityWindow: ${qualityWindow} })\` + \`startStream()\`, seed-design its producer's \`startStream()\`: getUserMedia through its stream manager, a MediaRecorder, CircularBuffer, 50 ms tick, FrameProcessor); a consumer on every frame: FNV-1a over the frame's ArrayBuffer (heavy: repeated), then postMessage({ seq, sum, data }) on a MessageChannel (a structured-clone copy of the bytes) whose other port, in the same page, counts what arrives; phases unthrottled, CDP Emulation.setCPUThrottlingRate ${rate}, unthrottled; samples every ${sampleMs} ms in the page`,
    scenarios: {},
  };
  let lightMeanBytes = null;
  try {
    for (const sc of scenarios) {
      const { phases } = sc;
      let calibration = null;
      let passes = 1;
      if (sc.targetMs) {
        calibration = await page.evaluate((o) => window.bench.adaptiveCalibrate(o), { bytes: Math.round(lightMeanBytes ?? 10_000), targetMs: sc.targetMs });
        passes = calibration.passes;
        log(`adaptive: ${sc.name}: ${passes} checksum passes per frame (${calibration.msPerPass.toFixed(3)} ms per pass over ${calibration.bytes} B)`);
      }
      const so = { phases, passes, calibration, contestants: {} };
      for (const contestant of order) {
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
        const started = await page.evaluate((o) => window.bench.adaptiveStart(o), { contestant, sampleMs, qualityWindow, passes });
        const perf = [];
        const boundary = async (name) => {
          const t = await page.evaluate((o) => window.bench.adaptiveMark(o), { name });
          const m = await cdpMetrics(cdp);
          perf.push({ name, t, threadS: m.ThreadTime, taskS: m.TaskDuration, scriptS: m.ScriptDuration });
        };
        log(`adaptive: ${sc.name}: ${contestant}: ${phases.before} s unthrottled, ${phases.throttled} s at CPU throttling ${rate}×, ${phases.after} s unthrottled`);
        await boundary('before');
        await sleep(phases.before * 1000);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate });
        await boundary('throttled');
        await sleep(phases.throttled * 1000);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
        await boundary('after');
        await sleep(phases.after * 1000);
        await boundary('end');
        const r = await page.evaluate(() => window.bench.adaptiveStop());
        const res = analyzeAdaptive(r, perf, contestant);
        so.contestants[contestant] = { start: started.start, ...res, raw: r };
        if (sc.name === 'light' && contestant === 'ours') {
          const a = r.arrivals.filter(([, b]) => b > 100);
          lightMeanBytes = a.reduce((n, [, b]) => n + b, 0) / Math.max(1, a.length);
        }
        const ph = res.phases;
        log(`adaptive: ${sc.name}: ${contestant}: chunks/s ${ph.map((p) => `${p.name} ${p.cadence.toFixed(2)}`).join(', ')}; consumer ms/frame ${ph.map((p) => p.consumerMsPerFrame.toFixed(2)).join(', ')}; dropped ${res.dropped}; quality min ${res.minQuality}; ${res.recovery.text}`);
      }
      out.scenarios[sc.name] = so;
    }
  } finally {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 }).catch(() => {});
  }
  out.problems = problems;
  await page.close();
  return out;
}

/** Per-phase figures from one contestant's samples, arrivals, long tasks and CDP metrics. */
function analyzeAdaptive(r, perf, contestant) {
  const bounds = ['before', 'throttled', 'after', 'end'].map((n) => r.marks.find((m) => m.name === n).t);
  const names = ['before', 'throttled', 'after'];
  const qOf = (s) => (s.quality ?? s.levelQuality ?? null);
  const phases = names.map((name, i) => {
    const [a, b] = [bounds[i], bounds[i + 1]];
    const secs = (b - a) / 1000;
    const arr = r.arrivals.filter(([t]) => t >= a && t < b);
    const times = arr.map(([t]) => t);
    const gaps = times.slice(1).map((t, j) => t - times[j]);
    const ss = r.samples.filter((s) => s.t >= a && s.t < b);
    const dAt = (t) => { const x = r.samples.filter((s) => s.t <= t).at(-1); return x ? x.dropped : 0; };
    const lt = r.longTasks.filter((x) => x.start >= a && x.start < b);
    const late = ss.map((s) => s.late).sort((x, y) => x - y);
    const p0 = perf[i];
    const p1 = perf[i + 1];
    const qs = ss.map(qOf).filter((q) => q != null);
    const m0 = r.marks[i];
    const m1 = r.marks[i + 1];
    const proc = ss.map((s) => s.avgProcessingMs).filter((x) => x != null);
    return {
      name, from: a, to: b, seconds: secs,
      frames: arr.length,
      cadence: arr.length / secs,
      bytes: arr.reduce((n, [, sz]) => n + sz, 0),
      maxGapMs: gaps.length ? Math.max(...gaps) : null,
      consumerMsPerFrame: (m1.consumerMs - m0.consumerMs) / Math.max(1, m1.frames - m0.frames),
      processingMs: { mean: proc.length ? proc.reduce((x, y) => x + y, 0) / proc.length : null, max: proc.length ? Math.max(...proc) : null },
      dropped: dAt(b) - dAt(a),
      quality: { min: qs.length ? Math.min(...qs) : null, max: qs.length ? Math.max(...qs) : null, end: ss.length ? qOf(ss.at(-1)) : null },
      settingsAtEnd: ss.length ? { width: ss.at(-1).width, height: ss.at(-1).height, frameRate: ss.at(-1).frameRate } : null,
      longTasks: lt.length,
      longTaskMs: round(lt.reduce((n, x) => n + x.duration, 0), 1),
      samplerLateMs: { p50: percentile(late, 50), p95: percentile(late, 95), max: late.at(-1) ?? null },
      threadShare: (p1.threadS - p0.threadS) / ((p1.t - p0.t) / 1000),
      taskShare: (p1.taskS - p0.taskS) / ((p1.t - p0.t) / 1000),
      scriptShare: (p1.scriptS - p0.scriptS) / ((p1.t - p0.t) / 1000),
    };
  });
  const all = r.samples.map(qOf).filter((q) => q != null);
  const minQuality = all.length ? Math.min(...all) : null;
  const throttledAt = bounds[1];
  const afterAt = bounds[2];
  const firstDown = r.samples.find((s) => s.t >= throttledAt && qOf(s) != null && qOf(s) < 1);
  const dropsBelowFull = minQuality != null && minQuality < 1;
  let recovery;
  if (contestant === 'seed') {
    const endQ = qOf(r.samples.at(-1));
    recovery = {
      steppedDown: dropsBelowFull, backToFull: false, ms: null,
      text: dropsBelowFull ? `never back: currentQuality stays ${endQ} (the seed has no step up)` : 'currentQuality never left 1.0 (and the seed has no step up)',
    };
  } else if (!dropsBelowFull) {
    recovery = { steppedDown: false, backToFull: true, ms: null, text: 'never left full quality' };
  } else {
    const lowAtAfter = r.samples.filter((s) => s.t <= afterAt).at(-1);
    const wasDown = lowAtAfter && qOf(lowAtAfter) != null && qOf(lowAtAfter) < 1;
    const back = r.samples.find((s) => s.t >= afterAt && qOf(s) === 1);
    recovery = wasDown
      ? { steppedDown: true, backToFull: !!back, ms: back ? back.t - afterAt : null, text: back ? `back to full quality ${((back.t - afterAt) / 1000).toFixed(2)} s after the load ended` : `not back to full quality within the ${((bounds[3] - afterAt) / 1000).toFixed(0)} s after the load` }
      : { steppedDown: true, backToFull: true, ms: 0, text: 'already back at full quality when the load ended' };
  }
  // Distinct track settings over time (ours changes them; the seed's never change).
  const settings = [];
  for (const s of r.samples) {
    const key = `${s.width}x${s.height}@${s.frameRate}`;
    if (!settings.length || settings.at(-1).key !== key) settings.push({ key, t: s.t, width: s.width, height: s.height, frameRate: s.frameRate });
  }
  return {
    phases,
    dropped: r.samples.at(-1)?.dropped ?? 0,
    droppedAtStop: contestant === 'ours' ? r.finish.metrics.framesDropped : r.finish.framesDropped,
    minQuality,
    firstStepDownMs: firstDown ? firstDown.t - throttledAt : null,
    recovery,
    settings,
    events: r.events.length,
  };
}

// ------------------------------------------------------------------ real-time soak (issue 11)

/** Ours records from the fake camera and microphone for `minutes` in one page, a listener
 * checksumming every frame. Every `pullMs` the runner takes the frames (base64) and samples
 * the page queued, so the page keeps nothing that grows; every `gcEveryMs` it forces a GC
 * (CDP) and reads the heap. At the end: slopes per hour after warm-up, and the last minute
 * cut at a keyframe Cluster, decoded by ffmpeg. */
async function runRealtimeSoak(browser, url) {
  const cfg = CONFIG.realtimeSoak;
  const { page, problems } = await openPage(browser, url, { input: false });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.enable');
  const keeper = new FrameKeeper(cfg.keepSeconds * 1000);
  const samples = [];
  const gcSamples = [];
  const events = [];
  const errors = [];
  const load = [];
  const take = (r) => {
    keeper.add(r.frames);
    samples.push(...r.samples);
    events.push(...r.events);
    errors.push(...r.errors);
  };
  const durationMs = cfg.minutes * 60_000;
  log(`realtime-soak: ${cfg.minutes} min from the fake camera and microphone, timeslice ${cfg.timesliceMs} ms, a sample every ${cfg.sampleMs / 1000} s, a forced GC every ${cfg.gcEveryMs / 1000} s`);
  const start = await page.evaluate((o) => window.bench.realtimeSoakStart(o), { timesliceMs: cfg.timesliceMs, sampleMs: cfg.sampleMs });
  const perf0 = await cdpMetrics(cdp);
  const began = Date.now();
  const perfAt0 = began;
  let nextGc = began + cfg.gcEveryMs;
  let nextLog = began + (QUICK ? cfg.pullMs : 60_000);
  const sleepUntil = async (t) => { while (Date.now() < t) await sleep(Math.min(1000, t - Date.now())); };
  // Pulls 1 s after each of the page's samples (its timer started just before `began`).
  for (let tick = began + cfg.pullMs + 1000; tick < began + durationMs; tick += cfg.pullMs) {
    await sleepUntil(tick);
    take(await page.evaluate(() => window.bench.realtimeSoakTake()));
    load.push({ t: Date.now() - began, loadavg: round(os.loadavg()[0], 2) });
    if (Date.now() >= nextGc) {
      await cdp.send('HeapProfiler.collectGarbage');
      gcSamples.push(await page.evaluate(() => window.bench.realtimeSoakGcSample()));
      nextGc += cfg.gcEveryMs;
    }
    if (Date.now() >= nextLog) {
      const s = samples.at(-1);
      if (s) log(`realtime-soak: ${(s.t / 60_000).toFixed(1)} min: delivered ${s.delivered}, dropped ${s.dropped}, held ${s.held} B, heap ${s.heap} B, wasm ${s.wasm} B, quality ${s.level.quality} (${s.level.width}×${s.level.height}@${s.level.frameRate}), load ${os.loadavg()[0].toFixed(2)}`);
      nextLog += QUICK ? cfg.pullMs : 60_000;
    }
  }
  await sleepUntil(began + durationMs);
  const perf1 = await cdpMetrics(cdp);
  const perfSeconds = (Date.now() - perfAt0) / 1000;
  const fin = await page.evaluate(() => window.bench.realtimeSoakStop());
  take(fin);
  await cdp.send('HeapProfiler.collectGarbage');
  const heapAfterStop = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
  await page.close();
  const wallMs = Date.now() - began;

  // Slopes per hour after warm-up.
  const warm = cfg.warmupSeconds;
  const series = (f, xs = samples) => xs.map((s) => [s.t / 1000, f(s)]);
  const slopes = {
    held: slopePerHour(series((s) => s.held), warm),
    heap: slopePerHour(series((s) => s.heap), warm),
    heapAfterGc: slopePerHour(series((s) => s.heap, gcSamples), warm),
    wasm: slopePerHour(series((s) => s.wasm), warm),
  };
  const levels = [];
  for (const s of samples) {
    const k = `${s.level.index}:${s.level.quality}:${s.level.width}x${s.level.height}@${s.level.frameRate}`;
    if (!levels.length || levels.at(-1).key !== k) levels.push({ key: k, t: s.t, ...s.level, qualityLevel: s.quality });
  }
  const last = samples.at(-1);
  log(`realtime-soak: verifying the last ${cfg.keepSeconds} s (header + a keyframe Cluster onwards) with ffmpeg`);
  const dir = QUICK ? RESULTS : mkdtempSync(join(os.tmpdir(), 'mrp-realtime-soak-'));
  const verdict = verifyLastMinute(keeper, dir);
  if (!QUICK && verdict.ok) rmSync(dir, { recursive: true, force: true });
  const out = {
    config: cfg,
    feed: `one page; ours \`new MediaRecorderProducer({ recordingInterval: ${cfg.timesliceMs} })\` (otherwise the defaults: adaptive quality on, 8 MiB / 64-chunk ring), \`connect()\`, \`startStream()\` (camera + microphone, 1280×720@30 asked); one \`onFrame\` listener: FNV-1a over the frame's bytes, a sequence check, then the frame queued for the runner, which takes the queue every ${cfg.pullMs / 1000} s (base64 through \`page.evaluate\`) and checks each checksum again in Node; samples every ${cfg.sampleMs / 1000} s in the page (handed over with the frames, so the page holds nothing that grows); a forced GC (CDP \`HeapProfiler.collectGarbage\`) then a heap reading every ${cfg.gcEveryMs / 1000} s`,
    start,
    wallMs,
    stopAt: fin.stopAt,
    samples,
    gcSamples,
    afterStop: fin.afterStop,
    heapAfterStop,
    events,
    errors,
    load,
    levels,
    slopes,
    totals: {
      delivered: fin.listener.delivered,
      bytes: fin.listener.bytes,
      recorded: fin.metrics.framesRecorded,
      deliveredMetrics: fin.metrics.framesDelivered,
      dropped: fin.metrics.framesDropped,
      bytesDropped: fin.metrics.bytesDropped,
      droppedEvents: fin.listener.droppedEvents,
      seqMissing: fin.listener.seqMissing,
      outOfOrder: fin.listener.outOfOrder,
      headerFrames: fin.listener.headerFrames,
      framesPerSecond: fin.listener.delivered / (fin.stopAt / 1000),
      consumerMs: fin.listener.consumerMs,
      lagMs: fin.listener.lagMs,
      qualityAdaptations: fin.metrics.qualityAdaptations,
      // CDP over the recording (start → just before stop): includes the runner's takes and GCs.
      mainThreadShare: (perf1.ThreadTime - perf0.ThreadTime) / perfSeconds,
      taskShare: (perf1.TaskDuration - perf0.TaskDuration) / perfSeconds,
    },
    node: { frames: keeper.frames, bytes: keeper.bytes, checksumMismatches: keeper.mismatches, sequenceGaps: keeper.gaps },
    stream: fin.stream,
    finalQuality: fin.quality,
    finalMetrics: fin.metrics,
    verdict,
    problems,
  };
  const fmtSlope = (x) => (x.slopePerHour == null ? 'n/a' : `${Math.round(x.slopePerHour)} B/h`);
  log(`realtime-soak: ${out.totals.delivered} frames delivered (${out.totals.framesPerSecond.toFixed(2)}/s), dropped ${out.totals.dropped}, sequence gaps ${out.totals.seqMissing}, checksum mismatches ${keeper.mismatches.length}; held at end ${last?.held} B; slopes after ${warm} s: held ${fmtSlope(slopes.held)}, heap ${fmtSlope(slopes.heap)}, heap after GC ${fmtSlope(slopes.heapAfterGc)}, wasm ${fmtSlope(slopes.wasm)}; quality levels ${levels.map((l) => l.quality).join(' → ')}`);
  if (verdict.ok) {
    const st = verdict.probe.streams.map((x) => `${x.type} ${x.codec}${x.width ? ` ${x.width}×${x.height}` : ''}${x.sampleRate ? ` ${x.sampleRate} Hz` : ''} ${x.packets} packets over ${x.spanSeconds?.toFixed(2)} s`).join('; ');
    const plain = verdict.decodePlain.printedLines ? `; the plain \`ffmpeg -v error -i f -f null -\` printed ${verdict.decodePlain.printedLines} line(s), ${verdict.decodePlain.dtsArtifactLines} of them the null muxer's equal-dts artifact` : '; the plain command printed nothing either';
    log(`realtime-soak: last minute decodes clean (\`${verdict.decode.command.replace(verdict.file.path, 'f')}\` printed nothing${plain}): ${verdict.file.bytes} B from the keyframe Cluster at ${(verdict.cut.clusterMs / 1000).toFixed(2)} s; ffprobe: ${st}; duration ${verdict.probe.duration}${verdict.control ? `; control cut at a non-keyframe Cluster: ffmpeg printed ${verdict.control.printedLines} line(s)` : ''}`);
  } else {
    log(`realtime-soak: the recording is NOT intact: ${verdict.problems.join('; ')}${verdict.file ? ` (file kept: ${verdict.file.path})` : ''}`);
  }
  return out;
}

// ------------------------------------------------------------------ seekable (issue 14)

/** Records the source in the page (plain MediaRecorder), repeats its Clusters into the long
 * input (bench/lib/synth-webm.mjs), checks it with ffprobe/ffmpeg and serves it. */
async function seekableInput(browser, server, dir) {
  const cfg = CONFIG.seekable;
  const { page } = await openPage(browser, server.url, { input: false });
  log(`seekable: recording the source: ${cfg.source.seconds} s, ${cfg.source.width}×${cfg.source.height} ${cfg.source.mimeType} at ${cfg.source.videoBitsPerSecond / 1000} kbit/s video, plain MediaRecorder`);
  const rec = await page.evaluate((o) => window.bench.seekableSource(o), cfg.source);
  await page.close();
  const source = Buffer.from(rec.base64, 'base64');
  const made = repeatClusters(source, { targetMs: cfg.targetMinutes * 60_000 });
  const file = join(dir, 'input.webm');
  writeFileSync(file, made.bytes);
  const probe = probeFile(file);
  const input = {
    recorded: { seconds: rec.seconds, mimeType: rec.mimeType, video: rec.video, bytes: source.length, clusters: made.source.clusters, mediaMs: made.source.durationMs, bitrateKbps: (source.length * 8) / made.source.durationMs },
    bytes: made.bytes.length, durationMs: made.durationMs, clusters: made.clusters, repetitions: made.repetitions, periodMs: made.periodMs,
    probe,
  };
  log(`seekable: input ${(input.bytes / 1e6).toFixed(1)} MB, ${(input.durationMs / 60_000).toFixed(2)} min, ${input.clusters} Clusters (${made.repetitions} × ${made.source.clusters}, period ${made.periodMs} ms; source ${source.length} B, ${input.recorded.bitrateKbps.toFixed(0)} kbit/s); ffprobe duration ${probe.duration ?? 'N/A'}, demux ${probe.clean ? 'clean' : `printed ${probe.printedLines} line(s): ${probe.printed.join(' | ')}`}`);
  if (!probe.clean) throw new Error(`seekable: the synthetic input does not demux clean (${file} kept): ${probe.printed.join(' | ')}`);
  server.memory.set('/seekable-input.webm', made.bytes);
  return input;
}

/** Resolves with `p`, or with { timedOut } after `ms` (the timer cleared either way, so it
 * does not keep the process alive). */
function within(p, ms) {
  let timer;
  const t = new Promise((r) => { timer = setTimeout(() => r({ timedOut: ms }), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** One trial of one contestant in a fresh browser context (a renderer process of its own):
 * load the input Blob, force a GC, reset the renderer's peak RSS, run, read it back. The
 * first trial also checks the output in a <video> and (uploaded) with ffprobe. */
async function seekableTrial(browser, server, { contestant, input, check, dir }) {
  const cfg = CONFIG.seekable;
  const before = new Set(rendererPids());
  const context = await browser.newContext();
  const out = { contestant };
  try {
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
    page.on('crash', () => problems.push('page crashed'));
    out.problems = problems;
    await page.goto(`${server.url}page.html`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    const pids = rendererPids().filter((p) => !before.has(p));
    out.rendererProcesses = pids.length;
    const loaded = await page.evaluate((o) => window.bench.seekableLoad(o), { contestant, url: '/seekable-input.webm' });
    out.keepLoadMs = loaded.keepLoadMs ?? null;
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const peakReset = pids.every(resetPeak);
    const mem0 = pids.map(memOf);
    let r;
    try {
      r = await within(page.evaluate((o) => window.bench.seekableRun(o), { durationMs: input.durationMs, sampleMs: cfg.sampleMs }), cfg.runTimeoutMs);
    } catch (e) {
      r = { crashed: true, error: String(e.message || e).split('\n')[0] };
    }
    const mem1 = pids.map(memOf);
    // Peak RSS over the call, above the RSS just before it (the largest of the context's new
    // renderers; normally there is one). Read even after a crash, while /proc still has it.
    const rises = pids.map((_, i) => (mem0[i] && mem1[i] && peakReset ? mem1[i].hwm - mem0[i].rss : null)).filter((x) => x != null);
    Object.assign(out, r, { rssBefore: mem0[0]?.rss ?? null, rssPeakRise: rises.length ? Math.max(...rises) : null, peakReset });
    if (r.timedOut || r.crashed || r.error) return out;
    if (check) {
      out.check = await page.evaluate((o) => window.bench.seekableCheck(o), { seekS: input.durationMs / 2000, timeoutMs: cfg.checkTimeoutMs });
      const file = join(dir, `out-${contestant}.webm`);
      server.uploads.set(`/upload/${contestant}`, file);
      if (await page.evaluate((o) => window.bench.seekableUpload(o), { url: `/upload/${contestant}` })) {
        out.probe = probeFile(file);
        rmSync(file, { force: true });
      }
    }
    return out;
  } finally {
    await context.close().catch(() => {});
  }
}

async function runSeekable(browser, server) {
  const cfg = CONFIG.seekable;
  const SEEKABLE_CONTESTANTS = arg('--contestants')?.split(',') ?? SEEKABLE_ALL;
  const dir = mkdtempSync(join(os.tmpdir(), 'mrp-seekable-'));
  log('seekable: bundling the contestants with esbuild into bench/build/');
  const bundles = await bundleSeekable({ bench: BENCH, root: ROOT, pkg: PKG });
  const input = await seekableInput(browser, server, dir);
  const truthS = input.durationMs / 1000;
  const trials = Object.fromEntries(SEEKABLE_CONTESTANTS.map((k) => [k, []]));
  const gaveUp = {};
  for (let t = 0; t < cfg.trials; t++) {
    for (let k = 0; k < SEEKABLE_CONTESTANTS.length; k++) {
      const contestant = SEEKABLE_CONTESTANTS[(t + k) % SEEKABLE_CONTESTANTS.length];
      if (gaveUp[contestant]) continue;
      if (t >= cfg.slowTrials && trials[contestant][0]?.ms > cfg.slowMs) continue;
      const r = await seekableTrial(browser, server, { contestant, input, check: trials[contestant].length === 0, dir });
      trials[contestant].push({ trial: t, loadavg: round(os.loadavg()[0], 2), ...r });
      const mb = (x) => (x == null ? '?' : `${(x / 2 ** 20).toFixed(1)} MiB`);
      const c = r.check ? `; <video> duration ${r.check.duration}, seeked ${r.check.seeked}; ffprobe duration ${r.probe?.duration ?? 'N/A'}${r.probe && !r.probe.clean ? ` (printed ${r.probe.printedLines} line(s))` : ''}` : '';
      if (r.crashed || r.timedOut || r.error) {
        // One crash, timeout or error is the result: the next trials would only repeat it.
        gaveUp[contestant] = r.crashed ? 'crashed' : r.timedOut ? 'timed out' : 'threw';
        log(`seekable: trial ${t + 1}: ${contestant}: ${r.crashed ? 'CRASHED' : r.timedOut ? `TIMED OUT after ${r.timedOut / 1000} s` : 'FAILED'}: ${r.error ?? ''} (renderer peak RSS +${mb(r.rssPeakRise)}); no further trials`);
      } else {
        log(`seekable: trial ${t + 1}: ${contestant}: ${r.ms.toFixed(1)} ms, renderer peak RSS +${mb(r.rssPeakRise)}, JS heap peak +${mb(r.heapPeak - r.heapBefore)} (longest sampler gap ${r.maxGapMs.toFixed(0)} ms), wasm +${mb(r.wasmAfter - r.wasmBefore)}, output ${r.outBytes} B${r.unchanged ? ' (its input, unchanged)' : ''}${c}`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const contestants = {};
  for (const k of SEEKABLE_CONTESTANTS) {
    const ts = trials[k];
    const ok = ts.filter((x) => !x.crashed && !x.timedOut && !x.error);
    const first = ts.find((x) => x.check) ?? null;
    const d = first?.check && typeof first.check.duration === 'number' ? first.check.duration : null;
    contestants[k] = {
      trials: ts.length,
      completed: ok.length,
      failure: gaveUp[k] ? { what: gaveUp[k], error: ts.at(-1).error ?? null, rssPeakRise: ts.at(-1).rssPeakRise ?? null } : null,
      ms: ok.length ? med(ok.map((x) => x.ms)) : null,
      msTrials: ok.map((x) => x.ms),
      rssPeakRise: ok.length ? med(ok.map((x) => x.rssPeakRise)) : null,
      heapPeakRise: ok.length ? med(ok.map((x) => x.heapPeak - x.heapBefore)) : null,
      heapAfterRise: ok.length ? med(ok.map((x) => x.heapAfter - x.heapBefore)) : null,
      maxSamplerGapMs: ok.length ? Math.max(...ok.map((x) => x.maxGapMs)) : null,
      wasmRise: ok.length ? med(ok.map((x) => x.wasmAfter - x.wasmBefore)) : null,
      wasmAfter: ok.at(-1)?.wasmAfter ?? null,
      // Ours since the keep split: loading the keep module before the call (not timed in `ms`).
      keepLoadMs: ts.some((x) => x.keepLoadMs != null) ? med(ts.filter((x) => x.keepLoadMs != null).map((x) => x.keepLoadMs)) : null,
      outBytes: first?.outBytes ?? null,
      unchanged: first?.unchanged ?? null,
      check: first?.check ?? null,
      probe: first?.probe ?? null,
      durationOk: d != null && Math.abs(d - truthS) <= 0.1 * truthS,
      probeDurationOk: first?.probe?.duration != null && Math.abs(first.probe.duration - truthS) <= 0.1 * truthS,
      seekOk: first?.check?.seeked === true,
      size: bundles.sizes[k],
      raw: ts,
    };
  }
  const o = contestants.ours;
  const goal = { ...cfg.goal, msMet: o.ms != null && o.ms <= cfg.goal.ms, bytesMet: o.rssPeakRise != null && o.rssPeakRise <= cfg.goal.bytes };
  log(`seekable: ours: median ${o.ms?.toFixed(1)} ms (goal ≤ ${cfg.goal.ms}: ${goal.msMet ? 'met' : 'NOT met'}), renderer peak RSS +${(o.rssPeakRise / 2 ** 20).toFixed(1)} MiB (goal ≤ 32 MiB: ${goal.bytesMet ? 'met' : 'NOT met'})`);
  if (!o.probeDurationOk || !o.seekOk) log(`seekable: ours' output is NOT right: ffprobe duration ${o.probe?.duration ?? 'N/A'} vs ${truthS.toFixed(1)} s, seeked ${o.check?.seeked}`);
  // stopStream latency, retain "all" against "bounded", one page, alternating.
  const stop = { config: cfg.stopLatency, trials: [] };
  {
    const { page, problems } = await openPage(browser, server.url, { input: false });
    log(`seekable: stopStream latency, ${cfg.stopLatency.seconds} s recordings, retain "bounded" vs "all", ${cfg.stopLatency.trials} trial(s) each`);
    for (let t = 0; t < cfg.stopLatency.trials; t++) {
      for (const retain of t % 2 ? ['all', 'bounded'] : ['bounded', 'all']) {
        const r = await page.evaluate((o) => window.bench.seekableStopLatency(o), { retain, seconds: cfg.stopLatency.seconds });
        stop.trials.push({ trial: t, ...r });
        log(`seekable: stopStream, retain "${retain}": ${r.ms.toFixed(1)} ms${r.recordingBytes != null ? ` (recording ${r.recordingBytes} B)` : ''}`);
      }
    }
    stop.problems = problems;
    await page.close();
    const m = (retain) => med(stop.trials.filter((x) => x.retain === retain).map((x) => x.ms));
    stop.bounded = m('bounded');
    stop.all = m('all');
    stop.extraMs = stop.all - stop.bounded;
    stop.recordingBytes = med(stop.trials.filter((x) => x.retain === 'all').map((x) => x.recordingBytes ?? 0));
  }
  return {
    config: cfg,
    feed: `per trial a fresh browser context (its own renderer process) loads the page, fetches the input into a Blob (its bytes in the browser's blob storage), forces a GC (CDP HeapProfiler.collectGarbage) and resets the renderer's peak RSS (/proc/<pid>/clear_refs); then one call, timed with performance.now(); contestants in rotating order, ${cfg.trials} trial(s) each; the first trial of each also loads the output in a <video> (duration, a seek to the middle) and sends it back for ffprobe`,
    ffmpeg: ffmpegVersion(),
    input,
    truthS,
    bundles,
    contestants,
    goal,
    stopLatency: stop,
  };
}

// ------------------------------------------------------------------ main

async function runUpload(browser, url, tus) {
  const c = CONFIG.upload;
  const endpoint = `${url}files/`;
  const out = { config: c, throughput: { trials: [] }, mainThread: { trials: [] }, resume: {} };
  // Throughput: alternating, a fresh page each.
  for (let t = 0; t < c.trials; t++) {
    for (const contestant of t % 2 ? ['ours', 'tus-js-client'] : ['tus-js-client', 'ours']) {
      const { page, problems } = await openPage(browser, url, { input: false });
      await page.evaluate(() => window.bench.uploadLoad());
      const r = await page.evaluate((o) => window.bench.uploadThroughput(o), { contestant, bytes: c.bytes, chunkSize: c.chunkSize, pushBytes: c.pushBytes, endpoint });
      await page.close();
      tus.clear();
      out.throughput.trials.push({ contestant, ...r, mbps: (r.bytes / 2 ** 20) / (r.ms / 1000), problems });
      log(`upload: ${contestant}: ${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${r.ms.toFixed(0)} ms`);
    }
  }
  const of = (who) => out.throughput.trials.filter((x) => x.contestant === who);
  out.throughput.ours = med(of('ours').map((x) => x.mbps));
  out.throughput.tus = med(of('tus-js-client').map((x) => x.mbps));
  out.throughput.ratio = out.throughput.ours / out.throughput.tus;
  out.throughput.complete = of('ours').every((x) => x.acked === x.bytes && x.state === 'done');
  // Main-thread time per recorded second, with a tusSink and without.
  // A no-op sink object as well: what any sink costs (the stream's delivery loop runs
  // for it), apart from what tus costs.
  const kinds = ['none', 'noop', 'tus'];
  for (let t = 0; t < c.recordTrials; t++) {
    for (let k = 0; k < kinds.length; k++) {
      const sink = kinds[(k + t) % kinds.length];
      const { page } = await openPage(browser, url, { input: false });
      await page.evaluate(() => window.bench.uploadLoad());
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const before = await cdpMetrics(cdp);
      const r = await page.evaluate((o) => window.bench.uploadRecord(o), { seconds: c.recordSeconds, sink, endpoint });
      const after = await cdpMetrics(cdp);
      await page.close();
      const perSecond = ((after.TaskDuration - before.TaskDuration) * 1000) / c.recordSeconds;
      out.mainThread.trials.push({ sink, perSecond, ...r });
      log(`upload: recording ${c.recordSeconds} s, sink ${sink}: main thread ${perSecond.toFixed(2)} ms per recorded s`);
    }
  }
  const mt = (sink) => med(out.mainThread.trials.filter((x) => x.sink === sink).map((x) => x.perSecond));
  out.mainThread.none = mt('none');
  out.mainThread.noop = mt('noop');
  out.mainThread.tus = mt('tus');
  out.mainThread.ratio = out.mainThread.tus / out.mainThread.none;
  // Outages: the server down for downMs, then back; time to the next acknowledged PATCH.
  {
    const { page } = await openPage(browser, url, { input: false });
    await page.evaluate(() => window.bench.uploadLoad());
    await page.evaluate((o) => window.bench.uploadResumeStart(o), { endpoint, retryDelays: c.retryDelays });
    await new Promise((r) => setTimeout(r, 2000));
    const latencies = [];
    for (let i = 0; i < c.outages; i++) {
      tus.down = true;
      await new Promise((r) => setTimeout(r, c.downMs));
      tus.down = false;
      const up = Date.now();
      while (!tus.patches.some((p) => p > up) && Date.now() - up < 30_000) await new Promise((r) => setTimeout(r, 5));
      const first = tus.patches.find((p) => p > up);
      latencies.push(first ? first - up : null);
      await new Promise((r) => setTimeout(r, c.upMs));
    }
    const end = await page.evaluate(() => window.bench.uploadResumeStop());
    await page.close();
    const ok = latencies.filter((x) => x != null);
    out.resume = { latencies, p50: med(ok), max: Math.max(...ok), missed: latencies.length - ok.length, end };
    log(`upload: ${c.outages} outages of ${c.downMs} ms: resumed after p50 ${out.resume.p50} ms (max ${out.resume.max}); upload ${end.state}, ${end.retries} retries, dropped ${end.dropped}`);
  }
  out.goals = {
    throughput: out.throughput.ratio >= c.goal.throughput,
    mainThread: out.mainThread.ratio <= c.goal.mainThread,
    resume: out.resume.p50 != null && out.resume.p50 <= c.goal.resumeMs,
  };
  return out;
}

// ------------------------------------------------------------------ the WebCodecs engine (issue 16)

/** Video packets and duration ffprobe reads in `path`. */
function probeVideo(path) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  try {
    const j = JSON.parse(r.stdout);
    return { packets: Number(j.streams?.[0]?.nb_read_packets ?? NaN), duration: Number(j.format?.duration ?? NaN), error: r.stderr.trim() || null };
  } catch {
    return { packets: null, duration: null, error: r.stderr.trim() || 'no output' };
  }
}

/** Inter-arrival gaps of `chunks` ([t, size]) in ms: p50, p95, max. */
function gaps(chunks) {
  const g = chunks.slice(1).map((c, i) => c[0] - chunks[i][0]).sort((a, b) => a - b);
  return { p50: round(percentile(g, 50), 1), p95: round(percentile(g, 95), 1), max: round(g.at(-1) ?? null, 1) };
}

async function runCodecs(browser, url) {
  const c = CONFIG.codecs;
  const out = { config: c, mainThread: { trials: [] }, loaded: {}, step: {} };
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-codecs-'));
  const record = async (opts, during, warmMs = 0) => {
    const { page, problems } = await openPage(browser, url, { input: false });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.evaluate((o) => window.bench.codecsStart(o), opts);
    // Steady state: the recorder, encoders and Worker past their start.
    await sleep(warmMs);
    const before = await cdpMetrics(cdp);
    const extra = await during(page, cdp);
    const after = await cdpMetrics(cdp);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    const r = await page.evaluate(() => window.bench.codecsStop());
    await page.close();
    const path = join(dir, `${opts.contestant}-${Date.now()}.webm`);
    writeFileSync(path, Buffer.from(r.file, 'base64'));
    delete r.file;
    return { ...r, ...extra, problems, taskS: after.TaskDuration - before.TaskDuration, probe: probeVideo(path) };
  };
  // 1. Main-thread time per recorded second.
  const who = ['raw', 'mediarecorder', 'webcodecs'];
  for (let t = 0; t < c.trials; t++) {
    for (let k = 0; k < who.length; k++) {
      const contestant = who[(k + t) % who.length];
      const r = await record({ contestant }, async () => { await sleep(c.seconds * 1000); return {}; }, c.warmMs);
      const perSecond = (r.taskS * 1000) / c.seconds;
      out.mainThread.trials.push({ contestant, perSecond: round(perSecond, 3), chunks: r.chunks.length, bytes: r.bytes, longTasks: r.longTasks, longTaskMs: round(r.longTaskMs, 1), info: r.info, probe: r.probe, problems: r.problems });
      log(`codecs: ${contestant}: ${perSecond.toFixed(2)} ms main thread per recorded s (${r.chunks.length} chunks, ${r.info.engineMode ?? ''})`);
    }
  }
  const mt = (w) => med(out.mainThread.trials.filter((x) => x.contestant === w).map((x) => x.perSecond));
  for (const w of who) out.mainThread[w] = mt(w);
  out.mainThread.ratio = out.mainThread.webcodecs / out.mainThread.raw;
  // 2. Cadence and drops under load.
  const L = c.loaded;
  for (const contestant of ['seed', 'raw', 'mediarecorder', 'webcodecs']) {
    const r = await record({ contestant, busyMs: L.busyMs }, async (page, cdp) => {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: L.throttle });
      await sleep(L.seconds * 1000);
      return {};
    });
    const secs = (r.t1 - r.t0) / 1000;
    out.loaded[contestant] = {
      chunks: r.chunks.length,
      gaps: gaps(r.chunks),
      videoFps: r.probe.packets != null ? round(r.probe.packets / secs, 2) : null,
      probe: r.probe,
      droppedAfterEncoding: r.info.framesDropped ?? null,
      droppedBeforeEncoding: r.info.framesDroppedBeforeEncoding ?? null,
      engineMode: r.info.engineMode ?? null,
      problems: r.problems,
    };
    log(`codecs: loaded ${contestant}: ${out.loaded[contestant].videoFps} video fps, gaps p95 ${out.loaded[contestant].gaps.p95} ms, dropped before/after encoding ${out.loaded[contestant].droppedBeforeEncoding}/${out.loaded[contestant].droppedAfterEncoding}`);
  }
  // 3. Bitrate step response.
  const S = c.step;
  for (const contestant of ['webcodecs', 'mediarecorder']) {
    // Video only: the rate measured is the video bitrate asked for.
    const r = await record({ contestant, startBps: S.from, audio: false }, async (page) => {
      await sleep(S.atMs);
      const stepped = await page.evaluate((bps) => window.bench.codecsStep(bps), S.to);
      await sleep(S.seconds * 1000 - S.atMs);
      return { stepAt: stepped.at, how: stepped.how };
    });
    const rate = (from, to) => (r.chunks.filter(([t]) => t >= from && t < to).reduce((a, [, n]) => a + n, 0) * 8) / ((to - from) / 1000);
    const ok = (bps) => Math.abs(bps - S.to) <= S.to * S.tolerance;
    let responseMs = null;
    for (let d = 0; r.stepAt + d + S.windowMs <= r.t1; d += 100) {
      if (ok(rate(r.stepAt + d, r.stepAt + d + S.windowMs))) { responseMs = d + S.windowMs; break; }
    }
    const after = r.chunks.filter(([t]) => t > r.stepAt);
    const gapAfter = after.length ? Math.max(...after.map(([t], i) => t - (i ? after[i - 1][0] : r.stepAt))) : null;
    out.step[contestant] = {
      how: r.how,
      before: Math.round(rate(r.t0 + 500, r.stepAt)),
      after: Math.round(rate(r.stepAt + 1000, r.t1)),
      responseMs,
      longestGapAfterMs: round(gapAfter, 1),
      problems: r.problems,
      probe: r.probe,
    };
    log(`codecs: step ${contestant} (${r.how}): ${out.step[contestant].before} → ${out.step[contestant].after} bit/s, within ±${S.tolerance * 100} % of ${S.to} after ${responseMs} ms; longest gap ${out.step[contestant].longestGapAfterMs} ms`);
  }
  rmSync(dir, { recursive: true, force: true });
  out.goals = {
    mainThread: out.mainThread.ratio <= c.goal.mainThread,
    step: out.step.webcodecs.responseMs != null && out.step.webcodecs.responseMs <= c.goal.stepMs,
  };
  return out;
}

// ------------------------------------------------------------------ what a page fetches (issue 26)

/** The server's log entries `entries` as files: one row per path (how many requests),
 * whether it is the package's (under /pkg-shipped/) or the bench's, and the file's raw
 * and gzip -9 size on disk (the server sends it uncompressed). */
function fetched(entries, memory) {
  const byPath = new Map();
  for (const e of entries) {
    const row = byPath.get(e.path) ?? { path: e.path, requests: 0, statuses: [] };
    row.requests += 1;
    if (!row.statuses.includes(e.status)) row.statuses.push(e.status);
    byPath.set(e.path, row);
  }
  const rows = [...byPath.values()].map((r) => {
    const rel = r.path.replace(/^\//, '');
    let size = null;
    if (memory.has(r.path)) { const buf = Buffer.from(memory.get(r.path)); size = { bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length }; }
    else if (isFile(BENCH, rel)) size = fileSize(join(BENCH, rel));
    const what = r.path.startsWith('/pkg-shipped/') ? 'package' : r.path === `/pkg/${MEDIABUNNY_FILE}` ? 'mediabunny' : 'bench';
    return { ...r, what, ...(size ?? { bytes: null, gzip9: null }) };
  });
  const pkg = rows.filter((r) => r.what === 'package');
  return { files: rows, package: { count: pkg.length, bytes: pkg.reduce((a, r) => a + (r.bytes ?? 0), 0), gzip9: pkg.reduce((a, r) => a + (r.gzip9 ?? 0), 0) } };
}

async function runLoad(browser, server) {
  const c = CONFIG.load;
  const out = { config: c };
  const entryUrl = `${server.url}pkg-shipped/index.js`;
  const mbUrl = `${server.url}pkg/${MEDIABUNNY_FILE}`;
  // A fresh context (nothing cached) with the minimal page open; every request the
  // browser reports (Playwright, context-wide: workers too) and every console message.
  const fresh = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = [];
    const consoleMessages = [];
    const seen = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
    context.on('request', (r) => seen.push(r.url()));
    await page.goto(`${server.url}load.html`);
    await page.waitForFunction(() => window.loadReady === true, null, { timeout: 30_000 });
    return { context, page, problems, consoleMessages, seen };
  };
  const paths = (urls) => [...new Set(urls.filter((u) => u.startsWith(server.url)).map((u) => decodeURIComponent(new URL(u).pathname)))].sort();

  // 1. Import and record with MediaRecorder; 2. then a WebCodecs stream; 3. then a replay
  // stream (and a snapshot), in the same page: what each feature module adds.
  {
    server.log = [];
    const f = await fresh();
    const imp = await f.page.evaluate((u) => window.load.importModule(u), entryUrl);
    const afterImport = server.log.length;
    const rec = await f.page.evaluate((o) => window.load.record(o), { seconds: c.recordSeconds });
    const phase1 = server.log;
    const seen1 = f.seen.slice(); // the page itself included, as in the server's log
    // A later phase: what the page fetches while `options` records.
    const increment = async (options) => {
      server.log = [];
      const seenBefore = f.seen.length;
      let recording;
      try {
        recording = await f.page.evaluate((o) => window.load.record(o), options);
      } catch (e) {
        recording = { error: String(e.message || e).split('\n')[0] };
      }
      const requests = server.log;
      server.log = null;
      const seen = f.seen.slice(seenBefore);
      const r = { recording, ...fetched(requests, server.memory), browserSaw: paths(seen), serverSaw: [...new Set(requests.map((e) => e.path))].sort() };
      r.logsAgree = JSON.stringify(r.browserSaw) === JSON.stringify(r.serverSaw);
      return r;
    };
    server.log = null;
    out.webcodecs = await increment({ seconds: c.webcodecsSeconds, engine: 'webcodecs' });
    out.keep = await increment({ seconds: c.keepSeconds, replay: true, snapshotSeconds: c.snapshotSeconds });
    await f.context.close();
    const p1 = fetched(phase1, server.memory);
    out.mediarecorder = {
      importMs: round(imp.ms, 2), recording: rec, ...p1,
      requestsDuringRecording: phase1.length - afterImport,
      browserSaw: paths(seen1), serverSaw: [...new Set(phase1.map((e) => e.path))].sort(),
    };
    out.mediarecorder.logsAgree = JSON.stringify(out.mediarecorder.browserSaw) === JSON.stringify(out.mediarecorder.serverSaw);
    out.problems = f.problems;
    out.console = f.consoleMessages;
    const files = (p) => p.files.map((x) => x.path).join(', ') || 'nothing';
    const wc = out.webcodecs.recording;
    const kp = out.keep.recording;
    log(`load: MediaRecorder page fetched ${p1.package.count} package files, ${p1.package.gzip9} B gzip -9 (${p1.package.bytes} B raw): ${p1.files.filter((x) => x.what === 'package').map((x) => x.path).join(', ')}; ${rec.frames} frames (${rec.engine ?? '?'})`);
    log(`load: then engine 'webcodecs' fetched ${out.webcodecs.package.count} more, ${out.webcodecs.package.gzip9} B gzip -9: ${files(out.webcodecs)}; ${wc.error ? `error: ${wc.error}` : `${wc.frames} frames (${wc.engine}, ${wc.engineMode})`}`);
    log(`load: then replay: true fetched ${out.keep.package.count} more, ${out.keep.package.gzip9} B gzip -9: ${files(out.keep)}; ${kp.error ? `error: ${kp.error}` : `${kp.frames} frames, snapshot of ${kp.snapshot?.seconds} s: ${kp.snapshot?.bytes} B`}`);
  }

  // 4. Import → ready, cold, ours vs mediabunny's minimal recording import.
  out.importReady = { trials: [] };
  const who = [['ours', entryUrl], ['mediabunny', mbUrl]];
  for (let t = 0; t < c.trials; t++) {
    for (let k = 0; k < who.length; k++) {
      const [name, url] = who[(k + t) % who.length];
      server.log = [];
      const f = await fresh();
      const before = server.log.length;
      let r;
      try {
        r = await f.page.evaluate((u) => window.load.importModule(u), url);
      } catch (e) {
        r = { error: String(e.message || e).split('\n')[0] };
      }
      const requests = server.log.slice(before);
      server.log = null;
      await f.context.close();
      const fl = fetched(requests, server.memory);
      out.importReady.trials.push({ contestant: name, ms: r.ms == null ? null : round(r.ms, 2), error: r.error ?? null, files: fl.files.map((x) => x.path), gzip9: fl.files.reduce((a, x) => a + (x.gzip9 ?? 0), 0), problems: f.problems, console: f.consoleMessages });
    }
  }
  for (const [name] of who) {
    const ok = out.importReady.trials.filter((x) => x.contestant === name && x.ms != null);
    out.importReady[name] = ok.length ? { median: round(med(ok.map((x) => x.ms)), 2), min: Math.min(...ok.map((x) => x.ms)), max: Math.max(...ok.map((x) => x.ms)), n: ok.length, gzip9: ok[0].gzip9, files: ok[0].files } : null;
  }
  out.importReady.ratio = out.importReady.ours && out.importReady.mediabunny ? round(out.importReady.ours.median / out.importReady.mediabunny.median, 3) : null;
  log(`load: import → ready, cold, median of ${c.trials}: ours ${out.importReady.ours?.median} ms, mediabunny ${out.importReady.mediabunny?.median} ms (${out.importReady.ratio}×)`);
  // Everything the page fetched from the package over the three phases (every module, and the entry).
  const all = [out.mediarecorder, out.webcodecs, out.keep];
  out.fetchedInAll = { count: all.reduce((a, p) => a + p.package.count, 0), bytes: all.reduce((a, p) => a + p.package.bytes, 0), gzip9: all.reduce((a, p) => a + p.package.gzip9, 0) };
  out.goals = { coreFetched: out.mediarecorder.package.gzip9 <= c.goal.coreFetchedGzip9, fetchedInAll: out.fetchedInAll.gzip9 <= c.goal.togetherGzip9 };
  return out;
}

// ------------------------------------------------------------------ recordings you keep (issue 14)

/** One OPFS recording of `seconds` in `page`, sampled every `sampleMs` (none if 0), stopped
 * (stopStream timed), checked and deleted. */
async function keepOpfsRun(page, { name, seconds, sampleMs, checkTimeoutMs, label }) {
  const start = await page.evaluate((o) => window.bench.keepOpfsStart(o), { name });
  const began = Date.now();
  const samples = [];
  let nextLog = began + (QUICK ? 10_000 : 60_000);
  if (sampleMs) {
    samples.push(await page.evaluate(() => window.bench.keepOpfsSample()));
    for (let tick = began + sampleMs; tick < began + seconds * 1000; tick += sampleMs) {
      while (Date.now() < tick) await sleep(Math.min(1000, tick - Date.now()));
      samples.push(await page.evaluate(() => window.bench.keepOpfsSample()));
      if (Date.now() >= nextLog) {
        const x = samples.at(-1);
        log(`keep: ${label}: ${(x.t / 1000).toFixed(0)} s: held ${x.bytesHeld} B (budget ${x.budgetBytes} B), heap ${x.heap} B, file ${x.opfsBytes ?? '?'} B in ${x.opfsParts ?? '?'} parts`);
        nextLog += QUICK ? 10_000 : 60_000;
      }
    }
  }
  while (Date.now() < began + seconds * 1000) await sleep(Math.min(1000, began + seconds * 1000 - Date.now()));
  if (sampleMs) samples.push(await page.evaluate(() => window.bench.keepOpfsSample()));
  const stop = await page.evaluate((o) => window.bench.keepOpfsStop(o), { checkTimeoutMs });
  const d = stop.check?.duration;
  log(`keep: ${label}: ${stop.seconds.toFixed(1)} s recorded; stopStream ${stop.ms.toFixed(1)} ms; recording ${stop.recordingBytes} B${stop.isFile ? ' (a File)' : ''}, <video> duration ${typeof d === 'number' ? `${d.toFixed(2)} s` : d}; ${stop.deleted ? 'deleted' : `NOT deleted${stop.deleteError ? ` (${stop.deleteError})` : ''}`}`);
  return { name, start, samples, ...stop };
}

async function runKeep(browser, url) {
  const c = CONFIG.keep;
  const out = { config: c };
  {
    const { page, problems } = await openPage(browser, url, { input: false });
    const S = c.snapshot;
    log(`keep: snapshot: a replay stream (ring ${S.bufferMaxBytes / 2 ** 20} MiB, ${S.bufferCapacity} chunks), ${S.recordSeconds} s, then snapshot(id, { seconds: ${S.seconds} }) ×${S.n}, ${S.gapMs} ms apart`);
    const r = await page.evaluate((o) => window.bench.keepSnapshot(o), S);
    await page.close();
    const sorted = [...r.times].sort((a, b) => a - b);
    out.snapshot = {
      ...r, problems,
      p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? null, min: sorted[0] ?? null,
      bytes: med(r.sizes),
      durationOk: typeof r.check?.duration === 'number' && r.check.duration >= S.seconds * 0.9,
    };
    const d = r.check?.duration;
    log(`keep: snapshot: p50 ${out.snapshot.p50?.toFixed(2)} ms, p95 ${out.snapshot.p95?.toFixed(2)} ms, max ${out.snapshot.max?.toFixed(2)} ms; clip ${out.snapshot.bytes} B, <video> duration ${typeof d === 'number' ? `${d.toFixed(2)} s` : d} (${S.seconds} s asked); ring held ${r.held.bytesHeld} B in ${r.held.chunksHeld} chunks`);
  }
  {
    const { page, problems } = await openPage(browser, url, { input: false });
    const O = c.opfs;
    const stamp = Date.now();
    log(`keep: OPFS: a ${O.shortSeconds} s recording, then a ${O.seconds} s one sampled every ${O.sampleMs / 1000} s`);
    const short = await keepOpfsRun(page, { name: `bench-keep-${stamp}-short`, seconds: O.shortSeconds, sampleMs: 0, checkTimeoutMs: O.checkTimeoutMs, label: `OPFS ${O.shortSeconds} s` });
    const long = await keepOpfsRun(page, { name: `bench-keep-${stamp}`, seconds: O.seconds, sampleMs: O.sampleMs, checkTimeoutMs: O.checkTimeoutMs, label: `OPFS ${O.seconds} s` });
    await page.close();
    const held = long.samples.map((x) => x.bytesHeld);
    const budgets = long.samples.map((x) => x.budgetBytes).filter((x) => x != null);
    const heaps = long.samples.map((x) => x.heap).filter((x) => x != null);
    const files = long.samples.map((x) => x.opfsBytes).filter((x) => x != null);
    const budget = budgets.length ? Math.min(...budgets) : null;
    out.opfs = {
      short, long, problems,
      held: { first: held[0] ?? null, last: held.at(-1) ?? null, max: held.length ? Math.max(...held) : null },
      budget,
      heap: { first: heaps[0] ?? null, last: heaps.at(-1) ?? null, max: heaps.length ? Math.max(...heaps) : null },
      file: { first: files[0] ?? null, last: files.at(-1) ?? null, sampled: files.length },
      stopRatio: short.ms > 0 ? long.ms / short.ms : null,
    };
    out.opfs.heldWithinBudget = budget != null && out.opfs.held.max != null && out.opfs.held.max <= budget;
    const H = out.opfs.held;
    log(`keep: OPFS: bytes held first ${H.first}, last ${H.last}, max ${H.max} B vs budget ${budget} B (${out.opfs.heldWithinBudget ? 'within' : 'NOT within'}); file ${out.opfs.file.first} → ${out.opfs.file.last} B; stopStream ${long.ms.toFixed(1)} ms after ${long.seconds.toFixed(0)} s vs ${short.ms.toFixed(1)} ms after ${short.seconds.toFixed(0)} s (${out.opfs.stopRatio?.toFixed(2)}×)`);
  }
  out.goals = {
    snapshotP50: out.snapshot.p50 != null && out.snapshot.p50 <= c.goal.snapshotP50Ms,
    heldWithinBudget: out.opfs.heldWithinBudget,
    stop: out.opfs.long.ms <= c.goal.stopMs,
  };
  return out;
}

async function main() {
  let brokenRecording = null;
  mkdirSync(RESULTS, { recursive: true });
  const b = build(REV, PKG);
  const meta = {
    command: COMMAND,
    quick: QUICK,
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: REV ? git('rev-parse', REV) : git('rev-parse', 'HEAD'),
    built: REV ? `commit ${REV}` : 'working tree',
    dirty: REV ? false : (git('status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock') ?? '') !== '',
    buildMs: b.buildMs,
    config: CONFIG,
    only: ONLY ?? null,
    workloads: {},
    loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
  };
  // Every results file says which run made it (a partial run with --only keeps the others).
  const runInfo = () => ({
    command: meta.command, date: meta.date, chromium: meta.chromium ?? null, cores: meta.cores,
    commit: meta.commit, built: meta.built, dirty: meta.dirty, quick: QUICK,
  });
  const save = (name, data) => writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify({ run: runInfo(), ...data }, null, 1)}\n`);
  let metricsBuilds = null;
  if (runs('metrics')) {
    const commits = metricsCommits();
    if (commits && QUICK) {
      // A smoke test of the harness only: both variants are the build under test (no extra builds).
      metricsBuilds = { commits: { ...commits, quickSelfTest: true }, beforeDir: 'pkg', afterDir: 'pkg' };
    } else if (commits) {
      const beforeDir = 'pkg-before-metrics';
      const afterDir = 'pkg-after-metrics';
      build(commits.before, join(BENCH, beforeDir));
      build(commits.after, join(BENCH, afterDir));
      metricsBuilds = { commits, beforeDir, afterDir };
    } else {
      log('metrics: no commit adds src/web/monitor.rs in this history; skipped');
    }
  }
  {
    const layout = runs('size') || runs('load') ? shippedLayout(PKG, b.crateDir, SHIPPED) : null;
    const mbBundle = runs('size') || runs('load') ? bundleMediabunny() : null;
    if (mbBundle) writeFileSync(join(PKG, MEDIABUNNY_FILE), mbBundle.bundle);
    const size = runs('size') ? measureSize(b, layout, mbBundle) : null;
    const tus = tusServer();
    if (runs('upload')) await bundleUpload(ROOT, join(PKG, 'upload.js'));
    const server = await serve(BENCH, undefined, undefined, (req, res) => tus.handle(req, res));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      meta.chromium = browser.version();
      if (size) {
        save('size', size);
        log(`size: ${Object.entries(size.modules).map(([n, m]) => `${n} ${m.gzip9} B gzip -9 (${m.shipped.gzip9} B as shipped)`).join(', ')}; together ${size.together.gzip9} B (${size.together.shipped.gzip9} B as shipped); RecordRTC.min.js ${size.recordrtc.gzip9} B; mediabunny (esbuild, minimal recording import) ${size.mediabunny?.gzip9 ?? '?'} B`);
      }
      const { page } = await openPage(browser, server.url, { input: false });
      meta.page = await page.evaluate(() => window.bench.info());
      if (!meta.page.crossOriginIsolated) throw new Error('the bench page is not cross-origin isolated (COOP/COEP headers?)');
      log(`Chromium ${meta.chromium}, ${meta.cores} cores, crossOriginIsolated, timer step ${meta.page.timerStepUs} µs`);
      const needInput = runs('soak') || runs('per-chunk') || !!metricsBuilds;
      if (needInput) {
        log(`recording ${CONFIG.recordSeconds} s from the fake camera (timeslice 100 ms) as the input`);
        const rec = await page.evaluate((o) => window.bench.record(o), { seconds: CONFIG.recordSeconds });
        const bytes = Buffer.from(rec.base64, 'base64');
        const intervals = rec.arrivals.slice(1).map((t, i) => t - rec.arrivals[i]);
        const interval = intervals.length ? intervals.reduce((a, x) => a + x, 0) / intervals.length : 100;
        const inputMeta = { mimeType: rec.mimeType, sizes: rec.sizes, interval };
        server.memory.set('/input.json', JSON.stringify(inputMeta));
        server.memory.set('/input.bin', bytes);
        const sorted = [...rec.sizes].sort((a, x) => a - x);
        const input = {
          seconds: rec.seconds, mimeType: rec.mimeType, video: rec.video, chunks: rec.sizes.length, emptyChunks: rec.emptyChunks,
          bytes: bytes.length, meanIntervalMs: interval, bitrateKbps: (bytes.length * 8) / rec.seconds / 1000,
          chunkBytes: { min: sorted[0], p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1), mean: bytes.length / rec.sizes.length },
          sizes: rec.sizes,
        };
        save('input', input);
        log(`input: ${input.chunks} chunks, ${input.bytes} bytes, mean chunk ${input.chunkBytes.mean.toFixed(0)} B, every ${interval.toFixed(1)} ms`);
      }
      await page.close();
      // First: its import timings are the least disturbed by what ran before.
      if (runs('load')) {
        if (!mbBundle) throw new Error('load: the mediabunny bundle is needed (see above)');
        const t = Date.now();
        server.memory.set('/load.html', LOAD_HTML);
        save('load', await runLoad(browser, server));
        meta.workloads.load = Date.now() - t;
      }
      if (runs('soak')) { const t = Date.now(); save('soak', await runSoak(browser, server.url)); meta.workloads.soak = Date.now() - t; }
      if (runs('per-chunk')) { const t = Date.now(); save('per-chunk', await runPerChunk(browser, server.url)); meta.workloads['per-chunk'] = Date.now() - t; }
      if (runs('capture')) { const t = Date.now(); save('capture', await runCapture(browser, server.url)); meta.workloads.capture = Date.now() - t; }
      if (runs('pool')) { const t = Date.now(); save('pool', await runPool(browser, server.url)); meta.workloads.pool = Date.now() - t; }
      if (metricsBuilds) { const t = Date.now(); save('metrics', await runMetrics(browser, server.url, metricsBuilds)); meta.workloads.metrics = Date.now() - t; }
      if (runs('adaptive')) { const t = Date.now(); save('adaptive', await runAdaptive(browser, server.url)); meta.workloads.adaptive = Date.now() - t; }
      if (runs('seekable')) {
        const t = Date.now();
        const r = await runSeekable(browser, server);
        if (!arg('--contestants')) save('seekable', r); // a partial run is not a result
        meta.workloads.seekable = Date.now() - t;
      }
      if (runs('upload')) { const t = Date.now(); save('upload', await runUpload(browser, server.url, tus)); meta.workloads.upload = Date.now() - t; }
      if (runs('keep')) { const t = Date.now(); save('keep', await runKeep(browser, server.url)); meta.workloads.keep = Date.now() - t; }
      if (runs('codecs')) { const t = Date.now(); save('codecs', await runCodecs(browser, server.url)); meta.workloads.codecs = Date.now() - t; }
      if (runs('realtime-soak')) {
        const t = Date.now();
        const r = await runRealtimeSoak(browser, server.url);
        save('realtime-soak', r);
        meta.workloads['realtime-soak'] = Date.now() - t;
        if (!r.verdict.ok) brokenRecording = `realtime-soak: the recording's last minute is not intact (${r.verdict.problems.join('; ')}); see ${join(RESULTS, 'realtime-soak.json').replace(`${ROOT}/`, '')}`;
      }
    } finally {
      await browser.close();
      await server.close();
      tus.close();
    }
  }
  meta.totalMs = Date.now() - t0;
  meta.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
  save('meta', meta);
  const report = QUICK
    ? { md: join(RESULTS, 'BENCHMARKS.md'), plots: join(RESULTS, 'plots'), link: 'plots/' }
    : { md: join(ROOT, 'BENCHMARKS.md'), plots: join(BENCH, 'plots'), link: 'bench/plots/' };
  writeReport({ results: RESULTS, commentary: join(BENCH, 'COMMENTARY.md'), ...report });
  log(`done in ${(meta.totalMs / 1000).toFixed(1)} s; report: ${report.md.replace(`${ROOT}/`, '')}`);
  if (brokenRecording) {
    // A correctness fact, not a timing: the recording itself is broken.
    console.error(brokenRecording);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
