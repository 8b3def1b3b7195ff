// The benchmark page: every contestant runs here, fed the same chunks. bench/run.mjs loads
// it (cross-origin isolated: COOP/COEP), calls the workloads through `window.bench` and
// collects what they return. Nothing here decides pass/fail: it measures and reports.
//
// Ours is `./pkg/` (the build under test) unless the URL says `?pkg=<dir>` (another build,
// e.g. the commit before a feature landed, for a before/after comparison).
import { NaiveProducer } from './baselines/naive.js';
import { OptimizedMediaRecorderProducer, OptimizedStreamManager } from './baselines/seed-design.js';

const PKG = new URLSearchParams(location.search).get('pkg') || 'pkg';
if (!/^pkg[\w-]*$/.test(PKG)) throw new Error(`bad ?pkg=${PKG}`);
const lib = await import(`./${PKG}/media_recorder_producer.js`);
const { MediaRecorderProducer, StreamPool } = lib;
const wasm = await lib.default();
// The feature modules (issue 26), loaded on first use as the package's entry (js/web.js)
// registers them; builds from before a module's split link it in. codecs: the WebCodecs
// engine; keep: recordings users keep (replay snapshots, retain "all", OPFS,
// makeSeekable), registered where this build has it (bench/run.mjs builds it into
// ./<pkg>/keep/). The keep loader's promise is kept here, so that a workload can load the
// module before it measures (`loadKeep`) and the core's own first call gets the same one;
// `keepWasm` is the keep module's exports (its memory), once loaded.
const hasKeep = !!lib.__setFeatureLoader && (await fetch(`./${PKG}/keep/keep.js`, { method: 'HEAD' })).ok;
let keepWasm = null;
let keepLoad = null;
function loadKeep() {
  if (keepLoad) return keepLoad;
  const p = import(`./${PKG}/keep/keep.js`).then(async (m) => {
    keepWasm = await m.default();
    return m.keepApi();
  });
  p.catch(() => { if (keepLoad === p) keepLoad = null; }); // a failed load is tried again, as the core does
  keepLoad = p;
  return p;
}
if (lib.__setFeatureLoader) {
  lib.__setFeatureLoader('codecs', () => import(`./${PKG}/codecs/codecs.js`));
  if (hasKeep) lib.__setFeatureLoader('keep', loadKeep);
}
/** Bytes of wasm memory: the core's, plus the keep module's once it is loaded. */
const wasmMemory = () => wasm.memory.buffer.byteLength + (keepWasm?.memory?.buffer.byteLength ?? 0);

const MIME = 'video/webm;codecs=vp9,opus';
const CLUSTER_ID = [0x1f, 0x43, 0xb6, 0x75];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// Long tasks, from page load on; each workload attributes them to its phases.
const longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch { /* not supported: reported as null below */ }

function heap() {
  return performance.memory ? performance.memory.usedJSHeapSize : null;
}

/** Index just past the first Cluster ID in `bytes` (a Uint8Array), or -1. */
function findCluster(bytes) {
  outer: for (let i = 0; i + 4 <= bytes.length; i++) {
    for (let k = 0; k < 4; k++) if (bytes[i + k] !== CLUSTER_ID[k]) continue outer;
    return i;
  }
  return -1;
}

/** Watches a sequence of chunks for the first Cluster start (the ID may straddle chunks). */
function clusterWatcher() {
  let tail = new Uint8Array(0);
  let found = false;
  return (buf) => {
    if (found) return false;
    const b = new Uint8Array(buf);
    const joined = new Uint8Array(tail.length + b.length);
    joined.set(tail);
    joined.set(b, tail.length);
    if (findCluster(joined) >= 0) {
      found = true;
      return true;
    }
    tail = joined.slice(Math.max(0, joined.length - 3));
    return false;
  };
}

// ---------------------------------------------------------------- the input recording

/** Records `seconds` from the fake camera+microphone at a 100 ms timeslice. */
async function record({ seconds }) {
  const media = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    audio: true,
  });
  const rec = new MediaRecorder(media, { mimeType: MIME, videoBitsPerSecond: 2_500_000, audioBitsPerSecond: 128_000 });
  const chunks = [];
  const t0 = now();
  rec.ondataavailable = (e) => chunks.push({ blob: e.data, t: now() - t0 });
  const stopped = new Promise((r) => { rec.onstop = r; });
  rec.start(100);
  await sleep(seconds * 1000);
  rec.stop();
  await stopped;
  const settings = media.getVideoTracks()[0].getSettings();
  media.getTracks().forEach((t) => t.stop());
  const kept = chunks.filter((c) => c.blob.size > 0);
  const whole = new Uint8Array(await new Blob(kept.map((c) => c.blob)).arrayBuffer());
  let s = '';
  for (let i = 0; i < whole.length; i += 0x8000) s += String.fromCharCode.apply(null, whole.subarray(i, i + 0x8000));
  return {
    mimeType: rec.mimeType || MIME,
    seconds,
    sizes: kept.map((c) => c.blob.size),
    arrivals: kept.map((c) => c.t),
    emptyChunks: chunks.length - kept.length,
    video: { width: settings.width, height: settings.height, frameRate: settings.frameRate },
    base64: btoa(s),
  };
}

// The input every contestant gets: the recording's chunks in order, then (to reach the
// workload's length) the chunks after the one where the first Cluster starts, cycled.
let input = null;
async function loadInput() {
  const meta = await (await fetch('./input.json')).json();
  const bytes = new Uint8Array(await (await fetch('./input.bin')).arrayBuffer());
  const offsets = [];
  let off = 0;
  for (const s of meta.sizes) { offsets.push(off); off += s; }
  // Chunk where the first Cluster starts: chunks after it are media only.
  let cycleFrom = 1;
  const watch = clusterWatcher();
  for (let i = 0; i < meta.sizes.length; i++) {
    if (watch(bytes.subarray(offsets[i], offsets[i] + meta.sizes[i]))) { cycleFrom = i + 1; break; }
  }
  input = { ...meta, bytes, offsets, cycleFrom, interval: meta.interval || 100 };
  return { chunks: meta.sizes.length, bytes: bytes.length, cycleFrom };
}

function chunkIndex(i) {
  const n = input.sizes.length;
  return i < n ? i : input.cycleFrom + ((i - n) % (n - input.cycleFrom));
}

/** A fresh Blob (its own copy of the bytes, as a recorder makes) for input chunk `i`. */
function makeBlob(i) {
  const j = chunkIndex(i);
  return new Blob([input.bytes.subarray(input.offsets[j], input.offsets[j] + input.sizes[j])], { type: input.mimeType });
}

// ---------------------------------------------------------------- contestants

/**
 * Every contestant behind one shape:
 *   subscribe(fn)   add a frame listener
 *   push(blob, ts)  one chunk arrives (ts: its media time); returns the chunk's key
 *   key(frame)      the key of a delivered frame
 *   bytesHeld()     bytes of chunk data the contestant keeps referenced now
 *   dropped()       chunks it dropped so far
 *   finish()        stop and release; returns its final counters
 */
const CONTESTANTS = {
  // `frameData: "blob"`: frames carry the chunk's Blob unread (compared with naive).
  async oursBlob() {
    return CONTESTANTS.ours({ frameData: 'blob' });
  },

  async ours(extra = {}) {
    const producer = new MediaRecorderProducer({ probeOnConnect: false, ...extra });
    await producer.connect();
    const stream = await producer.startStream({ source: 'external', mimeType: input.mimeType });
    let dropped = 0;
    const errors = [];
    producer.onError((e) => {
      if (e.name === 'DataLossError') dropped += e.framesDropped || 0;
      else errors.push(`${e.name}: ${e.message}`);
    });
    return {
      subscribe: (fn) => producer.onFrame(fn),
      // The header run (chunks up to the first Cluster) is pinned as the recorder path
      // finds by itself; an external stream would otherwise pin only its first chunk.
      push: (blob, ts, i) => producer.pushChunk(stream.id, blob, i < input.cycleFrom ? { isHeader: true } : undefined),
      key: (frame) => frame.metadata.sequence,
      bytesHeld: () => producer.metrics().bytesHeld,
      wasmBytes: () => wasm.memory.buffer.byteLength,
      dropped: () => dropped,
      async finish() {
        await producer.stopStream(stream.id);
        const m = producer.metrics();
        producer.destroy();
        return { metrics: m, errors };
      },
    };
  },

  async seed() {
    const p = new OptimizedMediaRecorderProducer();
    p.startExternal();
    return {
      subscribe: (fn) => p.onFrame(fn),
      push: (blob, ts) => { p.handleChunk(blob, ts); return ts; },
      key: (frame) => frame.timestamp,
      bytesHeld: () => p.bytesHeld(),
      bytesPending: () => p.bytesPending(),
      dropped: () => p.framesDropped(),
      async finish() {
        await p.stopStream();
        const m = p.performanceMetrics.getMetrics();
        p.destroy();
        return { metrics: { ...m, memoryUsageTrend: m.memoryUsageTrend.length }, quality: p.frameProcessor.getCurrentQuality() };
      },
    };
  },

  async naive() {
    const p = new NaiveProducer();
    return {
      subscribe: (fn) => p.onFrame(fn),
      push: (blob) => { p.handleChunk(blob); return blob; },
      key: (frame) => frame.data,
      bytesHeld: () => p.bytesHeld(),
      dropped: () => 0,
      async finish() {
        const held = p.bytesHeld();
        await p.stop();
        return { heldAtStop: held };
      },
    };
  },

  // The floor: a loop that awaits blob.arrayBuffer() per chunk, in order, and calls the listeners.
  async floor() {
    const listeners = [];
    const queue = [];
    let seq = 0;
    let running = false;
    async function run() {
      running = true;
      while (queue.length) {
        const c = queue.shift();
        const data = await c.blob.arrayBuffer();
        const frame = { data, seq: c.seq };
        for (const l of listeners) l(frame);
      }
      running = false;
    }
    return {
      subscribe: (fn) => listeners.push(fn),
      push: (blob) => { const s = seq++; queue.push({ blob, seq: s }); if (!running) run(); return s; },
      key: (frame) => frame.seq,
      bytesHeld: () => queue.reduce((n, c) => n + c.blob.size, 0),
      dropped: () => 0,
      async finish() { return {}; },
    };
  },

  // The harness alone: listeners called at once with the Blob; subtracted as overhead.
  async none() {
    const listeners = [];
    let seq = 0;
    return {
      subscribe: (fn) => listeners.push(fn),
      push: (blob) => { const frame = { data: blob, seq: seq++ }; for (const l of listeners) l(frame); return frame.seq; },
      key: (frame) => frame.seq,
      bytesHeld: () => 0,
      dropped: () => 0,
      async finish() { return {}; },
    };
  },
};

// ---------------------------------------------------------------- soak

let wake = null;
/** Resolves when cond() holds; the last listener wakes it, a 25 ms timer re-checks (drops). */
function settle(cond, what, limitMs = 20000) {
  return new Promise((resolve, reject) => {
    const start = now();
    let timer = null;
    const check = () => {
      clearTimeout(timer);
      if (cond()) { wake = null; resolve(); return; }
      if (now() - start > limitMs) { wake = null; reject(new Error(`stalled: ${what()}`)); return; }
      wake = check;
      timer = setTimeout(check, 25);
    };
    check();
  });
}

let soakState = null;

/** Feeds `n` chunks in batches of `batch`: push a batch, sample, wait until every chunk of
 * it is delivered (or dropped), repeat. Samples right after a batch is pushed (the peak). */
async function soak({ contestant, n, batch, samples }) {
  const c = await CONTESTANTS[contestant]();
  let delivered = 0;
  c.subscribe(() => {});
  c.subscribe(() => { delivered++; if (wake) wake(); });
  const every = Math.max(batch, Math.ceil(n / samples / batch) * batch);
  const out = [];
  const t0 = now();
  const sample = (i) => out.push({
    i, t: now() - t0, held: c.bytesHeld(), heap: heap(),
    wasm: c.wasmBytes ? c.wasmBytes() : null, delivered, dropped: c.dropped(),
  });
  const base = now();
  sample(0);
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + batch);
    for (; i < end; i++) c.push(makeBlob(i), base + i * input.interval, i);
    if (i % every === 0 || i === n) sample(i);
    await settle(() => delivered + c.dropped() >= i, () => `${contestant} at ${i}: delivered ${delivered}, dropped ${c.dropped()}`);
  }
  const elapsed = now() - t0;
  const settled = { held: c.bytesHeld(), heap: heap(), wasm: c.wasmBytes ? c.wasmBytes() : null };
  soakState = { c, contestant };
  return { contestant, n, batch, sampleEvery: every, elapsedMs: elapsed, throughput: n / (elapsed / 1000), delivered, dropped: c.dropped(), samples: out, settled };
}

/** After the runner forced a GC (CDP): the heap and held bytes, then stop and release. */
async function soakEnd({ measureMemory }) {
  const { c } = soakState;
  const afterGc = { held: c.bytesHeld(), heap: heap(), wasm: c.wasmBytes ? c.wasmBytes() : null };
  let uaMemory = null;
  if (measureMemory && performance.measureUserAgentSpecificMemory) {
    const t = now();
    try {
      const r = await Promise.race([performance.measureUserAgentSpecificMemory(), sleep(measureMemory).then(() => null)]);
      uaMemory = r ? { bytes: r.bytes, ms: now() - t } : { timedOut: measureMemory };
    } catch (e) { uaMemory = { error: String(e) }; }
  }
  const fin = await c.finish();
  soakState = null;
  return { afterGc, uaMemory, finish: fin };
}

// ---------------------------------------------------------------- per-chunk cost

let pc = null;

/** Creates the contestant and `n` Blobs, and warms it up with `warm` chunks (not measured). */
async function perChunkPrepare({ contestant, n, warm }) {
  const c = await CONTESTANTS[contestant]();
  const arrivals = [];
  let delivered = 0;
  c.subscribe(() => {});
  c.subscribe((frame) => { arrivals.push([c.key(frame), now()]); delivered++; if (wake) wake(); });
  const base = now();
  let pushed = 0;
  for (let i = 0; i < warm; i++) { c.push(makeBlob(i), base + (pushed++) * input.interval, i); await sleep(2); }
  await settle(() => delivered + c.dropped() >= pushed, () => `warm-up of ${contestant}`);
  const blobs = [];
  for (let i = 0; i < n; i++) blobs.push(makeBlob(warm + i));
  arrivals.length = 0;
  pc = { c, blobs, arrivals, base, pushed, get delivered() { return delivered; } };
  return { contestant, n, warm };
}

/** Pushes the prepared Blobs one every `paceMs`; returns latency push → last listener
 * called, and the synchronous time spent inside push(). */
async function perChunkRun({ paceMs }) {
  const { c, blobs, arrivals, base } = pc;
  const sent = [];
  let syncMs = 0;
  const startDelivered = pc.delivered;
  const startDropped = c.dropped();
  const t0 = now();
  for (const blob of blobs) {
    const index = pc.pushed++;
    const ts = base + index * input.interval;
    const a = now();
    const key = c.push(blob, ts, index);
    const b = now();
    syncMs += b - a;
    sent.push([key, a]);
    await sleep(paceMs);
  }
  await settle(() => pc.delivered - startDelivered + c.dropped() - startDropped >= blobs.length, () => `per-chunk drain: ${pc.delivered - startDelivered}`);
  const wallMs = now() - t0;
  const at = new Map(arrivals);
  const lat = [];
  for (const [key, a] of sent) {
    const t = at.get(key);
    if (t !== undefined) lat.push(t - a);
  }
  const fin = await c.finish();
  pc = null;
  return { n: blobs.length, delivered: lat.length, dropped: c.dropped() - startDropped, syncMs, wallMs, latencies: lat, finish: fin };
}

/** Back to back (after `perChunkPrepare`): each prepared chunk is pushed as soon as the previous one reached the
 * last listener (or was dropped), so the contestant's code and caches stay warm; what is
 * left is the cost of its own work per chunk. */
async function perChunkBackToBack() {
  const { c, blobs } = pc;
  const n = blobs.length;
  const startDropped = c.dropped();
  const startDelivered = pc.delivered;
  const handled = () => pc.delivered - startDelivered + c.dropped() - startDropped;
  // No timer per chunk (it would cost more than some contestants): the last listener
  // wakes the loop; a watchdog fails a loop that stalls (a drop is not a listener call).
  let stall = null;
  let seen = -1;
  const watchdog = setInterval(() => { if (handled() === seen && stall) stall(new Error(`back-to-back stalled at ${seen}`)); seen = handled(); }, 5000);
  const t0 = now();
  try {
    for (let i = 0; i < n; i++) {
      const index = pc.pushed++;
      const next = new Promise((resolve, reject) => {
        stall = reject;
        wake = () => { if (handled() > i) { wake = null; resolve(); } };
      });
      c.push(blobs[i], pc.base + index * input.interval, index);
      if (wake) wake();
      await next;
    }
  } finally {
    clearInterval(watchdog);
  }
  const wallMs = now() - t0;
  const fin = await c.finish();
  pc = null;
  return { n, wallMs, dropped: c.dropped() - startDropped, finish: fin };
}

// ---------------------------------------------------------------- real capture

const CAMERA = { video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 }, facingMode: 'user' }, audio: true };

/** A contestant recording from the fake camera, with phases connect/start/stop/destroy. */
const CAPTURERS = {
  async ours() {
    let producer = null;
    let streamId = null;
    const counts = { frames: 0, bytes: 0, firstAt: null, usefulAt: null };
    const watch = clusterWatcher();
    return {
      counts,
      async connect() {
        producer = new MediaRecorderProducer();
        producer.onFrame((frame) => {
          const t = now();
          counts.frames++;
          counts.bytes += frame.data.byteLength;
          if (counts.firstAt === null) counts.firstAt = t;
          if (counts.usefulAt === null && watch(frame.data)) counts.usefulAt = t;
        });
        await producer.connect();
      },
      async start() { streamId = (await producer.startStream()).id; },
      async stop() { const s = await producer.stopStream(streamId); counts.mimeType = s.mimeType; },
      async destroy() { counts.metrics = producer.metrics(); producer.destroy(); },
      dropped: () => counts.metrics ? counts.metrics.framesDropped : null,
    };
  },

  // A hand-written MediaRecorder loop: getUserMedia, new MediaRecorder, start(100), keep Blobs.
  async raw() {
    let media = null;
    let rec = null;
    const chunks = [];
    const counts = { frames: 0, bytes: 0, firstAt: null, usefulAt: null };
    return {
      counts,
      async connect() {},
      async start() {
        media = await navigator.mediaDevices.getUserMedia(CAMERA);
        rec = new MediaRecorder(media, { mimeType: MIME, videoBitsPerSecond: 2_500_000, audioBitsPerSecond: 128_000 });
        rec.ondataavailable = (e) => {
          const t = now();
          if (e.data.size === 0) return;
          counts.frames++;
          counts.bytes += e.data.size;
          if (counts.firstAt === null) counts.firstAt = t;
          chunks.push({ blob: e.data, t });
        };
        rec.start(100);
      },
      async stop() {
        const stopped = new Promise((r) => { rec.onstop = r; });
        rec.stop();
        await stopped;
        media.getTracks().forEach((t) => t.stop());
        counts.mimeType = rec.mimeType;
        // The first useful chunk (holding the first Cluster start), read after the fact.
        const watch = clusterWatcher();
        for (const c of chunks) {
          if (watch(await c.blob.arrayBuffer())) { counts.usefulAt = c.t; break; }
        }
      },
      async destroy() { chunks.length = 0; },
      dropped: () => 0,
    };
  },

  async seed() {
    let p = null;
    const counts = { frames: 0, bytes: 0, firstAt: null, usefulAt: null };
    const watch = clusterWatcher();
    return {
      counts,
      async connect() {
        p = new OptimizedMediaRecorderProducer();
        p.onFrame((frame) => {
          const t = now();
          counts.frames++;
          counts.bytes += frame.data.byteLength;
          if (counts.firstAt === null) counts.firstAt = t;
          if (counts.usefulAt === null && watch(frame.data)) counts.usefulAt = t;
        });
        await p.connect();
      },
      async start() { const s = await p.startStream(); counts.mimeType = s.mimeType; },
      async stop() { await p.stopStream(); },
      async destroy() { counts.dropped = p.framesDropped(); counts.quality = p.frameProcessor.getCurrentQuality(); p.destroy(); },
      dropped: () => counts.dropped ?? null,
    };
  },
};

async function warmCamera() {
  const t = now();
  const m = await navigator.mediaDevices.getUserMedia(CAMERA);
  m.getTracks().forEach((tr) => tr.stop());
  return now() - t;
}

/** One start → first frame trial: connect (not timed), then time start() to the first
 * frame and to the first frame holding media (the first Cluster). */
async function firstFrame({ contestant, waitMs }) {
  const k = await CAPTURERS[contestant]();
  await k.connect();
  const t0 = now();
  await k.start();
  const started = now() - t0;
  const end = now() + waitMs;
  while ((k.counts.usefulAt === null || k.counts.firstAt === null) && now() < end) {
    await sleep(5);
    if (contestant === 'raw' && k.counts.frames >= 3) break; // raw: useful found at stop
  }
  await k.stop();
  await k.destroy();
  return {
    contestant,
    startCallMs: started,
    firstFrameMs: k.counts.firstAt === null ? null : k.counts.firstAt - t0,
    firstUsefulMs: k.counts.usefulAt === null ? null : k.counts.usefulAt - t0,
  };
}

/** A long recording: phases timed, frames and drops counted, long tasks per phase. */
async function capture({ contestant, seconds }) {
  const k = await CAPTURERS[contestant]();
  const phases = {};
  const phase = async (name, fn) => {
    const a = now();
    await fn();
    phases[name] = { start: a, end: now() };
  };
  const ltFrom = longTasks.length;
  await phase('connect', () => k.connect());
  await phase('start', () => k.start());
  await phase('record', () => sleep(seconds * 1000));
  await phase('stop', () => k.stop());
  await phase('destroy', () => k.destroy());
  await sleep(100); // let the observer report tasks of the last phase
  const tasks = longTasks.slice(ltFrom);
  const out = { contestant, seconds, frames: k.counts.frames, bytes: k.counts.bytes, dropped: k.dropped(), mimeType: k.counts.mimeType, phases: {} };
  for (const [name, p] of Object.entries(phases)) {
    const mine = tasks.filter((t) => t.start < p.end && t.start + t.duration > p.start);
    out.phases[name] = {
      ms: p.end - p.start,
      longTasks: mine.length,
      longestTaskMs: mine.reduce((m, t) => Math.max(m, t.duration), 0),
    };
  }
  out.extra = { metrics: k.counts.metrics ?? null, quality: k.counts.quality ?? null };
  return out;
}

// ---------------------------------------------------------------- stream pool (issue 3)

const POOL_CONFIG = { width: 1280, height: 720, frameRate: 30 };

async function timeIt(fn) {
  const a = now();
  const v = await fn();
  return [now() - a, v];
}

/** Acquire times: raw getUserMedia, our pool with nothing pooled (maxPoolSize 0) and with
 * reuse, the seed's OptimizedStreamManager fresh and reused; `rounds` each. */
async function poolAcquire({ rounds }) {
  const out = { raw: [], oursFresh: [], oursPooled: [], seedFresh: [], seedPooled: [] };
  const constraints = { video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }, audio: true };
  for (let i = 0; i < rounds; i++) {
    const [t, m] = await timeIt(() => navigator.mediaDevices.getUserMedia(constraints));
    m.getTracks().forEach((tr) => tr.stop());
    out.raw.push(t);
  }
  const fresh = new StreamPool({ maxPoolSize: 0 });
  for (let i = 0; i < rounds; i++) {
    const [t, m] = await timeIt(() => fresh.acquire(POOL_CONFIG));
    fresh.release(m);
    out.oursFresh.push(t);
  }
  fresh.destroy();
  const pool = new StreamPool();
  pool.release(await pool.acquire(POOL_CONFIG)); // the one creation; every later acquire reuses it
  for (let i = 0; i < rounds; i++) {
    const [t, m] = await timeIt(() => pool.acquire(POOL_CONFIG));
    pool.release(m);
    out.oursPooled.push(t);
  }
  const stats = pool.stats();
  pool.destroy();
  // The seed's OptimizedStreamManager: fresh (a new manager each time) and reused.
  const seedCfg = { ...POOL_CONFIG, facingMode: 'user' };
  for (let i = 0; i < rounds; i++) {
    const mgr = new OptimizedStreamManager();
    const [t, m] = await timeIt(() => mgr.getOptimizedStream(seedCfg));
    out.seedFresh.push(t);
    mgr.releaseStream(m, seedCfg);
    mgr.destroy();
  }
  const mgr = new OptimizedStreamManager();
  mgr.releaseStream(await mgr.getOptimizedStream(seedCfg), seedCfg);
  for (let i = 0; i < rounds; i++) {
    const [t, m] = await timeIt(() => mgr.getOptimizedStream(seedCfg));
    mgr.releaseStream(m, seedCfg);
    out.seedPooled.push(t);
  }
  mgr.destroy();
  return { rounds, times: out, oursStats: stats };
}

/** Start → first frame through a producer using a pool: cold (the pool is empty) and
 * warm (the previous stream was given back to it). */
async function poolFirstFrame({ trials, waitMs }) {
  const out = [];
  for (let t = 0; t < trials; t++) {
    const pool = new StreamPool();
    const producer = new MediaRecorderProducer({ probeOnConnect: false });
    producer.usePool(pool);
    await producer.connect();
    let first = null;
    let useful = null;
    let watch = clusterWatcher();
    producer.onFrame((frame) => {
      const at = now();
      if (first === null) first = at;
      if (useful === null && watch(frame.data)) useful = at;
    });
    for (const kind of ['cold', 'warm']) {
      first = null;
      useful = null;
      watch = clusterWatcher();
      const t0 = now();
      const s = await producer.startStream(POOL_CONFIG);
      const started = now() - t0;
      const end = now() + waitMs;
      while (useful === null && now() < end) await sleep(5);
      out.push({ trial: t, kind, startCallMs: started, firstFrameMs: first === null ? null : first - t0, firstUsefulMs: useful === null ? null : useful - t0 });
      await producer.stopStream(s.id);
    }
    out.at(-1).stats = pool.stats();
    producer.destroy();
    pool.destroy();
  }
  return out;
}

// ---------------------------------------------------------------- adaptive quality (issue 5)

/** FNV-1a (32 bit) over every byte: the consumer's per-frame work. */
function fnv1a(buf, h = 0x811c9dc5) {
  const b = new Uint8Array(buf);
  for (let i = 0; i < b.length; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

let ad = null;

/** How many FNV-1a passes over a `bytes`-long buffer take `targetMs` (unthrottled). */
function adaptiveCalibrate({ bytes, targetMs }) {
  const buf = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = (i * 2654435761) >>> 24;
  let h = 0;
  for (let i = 0; i < 20; i++) h ^= fnv1a(buf.buffer); // warm the JIT
  const ms = [];
  for (let r = 0; r < 5; r++) {
    const a = now();
    for (let i = 0; i < 20; i++) h ^= fnv1a(buf.buffer);
    ms.push((now() - a) / 20);
  }
  ms.sort((x, y) => x - y);
  const msPerPass = ms[2];
  return { bytes, targetMs, msPerPass, passes: Math.max(1, Math.round(targetMs / msPerPass)), h };
}

/** Starts one contestant recording from the fake camera with a realistic consumer: every
 * frame's bytes checksummed (FNV-1a) and posted (structured clone, a copy) through a
 * MessageChannel whose other port, in this page, counts what arrives. Samples every
 * `sampleMs`: frames, drops, the quality level, the track's settings, the sampler's own
 * lateness. The runner throttles the CPU (CDP) between adaptiveMark() calls. */
async function adaptiveStart({ contestant, sampleMs, qualityWindow, passes = 1 }) {
  const channel = new MessageChannel();
  const got = { messages: 0, bytes: 0, checksums: 0 };
  channel.port2.onmessage = (e) => { got.messages++; got.bytes += e.data.data.byteLength; got.checksums ^= e.data.sum; };
  channel.port2.start();
  const arrivals = [];
  let seq = 0;
  let consumerMs = 0;
  const consume = (buf) => {
    const a = now();
    let sum = 0x811c9dc5;
    for (let p = 0; p < passes; p++) sum = fnv1a(buf, sum); // passes > 1: the heavy consumer
    channel.port1.postMessage({ seq: seq++, sum, data: buf });
    const b = now();
    consumerMs += b - a;
    arrivals.push([round3(a - t0), buf.byteLength]);
  };
  const events = [];
  const errors = [];
  const marks = [];
  let t0 = now();
  let k;
  if (contestant === 'ours') {
    const producer = new MediaRecorderProducer({ qualityWindow });
    producer.onFrame((frame) => consume(frame.data));
    producer.onQualityChange((e) => events.push({
      t: round3(now() - t0), reason: e.reason,
      from: { index: e.from.index, quality: e.from.quality, width: e.from.width, height: e.from.height, frameRate: e.from.frameRate },
      to: { index: e.to.index, quality: e.to.quality, width: e.to.width, height: e.to.height, frameRate: e.to.frameRate },
      sample: e.sample, streams: e.streams,
    }));
    producer.onError((e) => errors.push({ t: round3(now() - t0), name: e.name, message: e.message, framesDropped: e.framesDropped ?? null }));
    await producer.connect();
    const stream = await producer.startStream();
    const track = () => producer.getMediaStream(stream.id)?.getVideoTracks()[0];
    const q0 = producer.quality();
    k = {
      start: { mimeType: stream.mimeType ?? null, quality: { level: q0.level, floor: q0.floor, ladder: q0.ladder, profile: q0.profile, enabled: q0.enabled } },
      read() {
        const m = producer.metrics();
        const lv = producer.quality().level;
        return { dropped: m.framesDropped, quality: m.qualityLevel, levelQuality: lv.quality, index: lv.index, avgProcessingMs: round3(m.averageProcessingTime), adaptations: m.qualityAdaptations, deliveredFps: m.deliveredFps, trackFrameRate: m.trackFrameRate, backlog: m.chunksHeld };
      },
      settings: () => track()?.getSettings() ?? {},
      async stop() {
        await producer.stopStream(stream.id);
        const m = producer.metrics();
        const q = producer.quality();
        producer.destroy();
        return { metrics: { ...m, memoryTrend: m.memoryTrend.length, streams: m.streams.length }, quality: q.level };
      },
    };
  } else {
    const p = new OptimizedMediaRecorderProducer();
    const origWarn = console.warn;
    p.onFrame((frame) => consume(frame.data));
    await p.connect();
    const s = await p.startStream();
    // The seed's reduceQuality() warns on the console; count those as its "events".
    console.warn = (...a) => { if (String(a[0]).startsWith('Reducing video quality')) events.push({ t: round3(now() - t0), message: String(a[0]), quality: p.frameProcessor.currentQuality }); else origWarn(...a); };
    k = {
      start: { mimeType: s.mimeType, quality: { currentQuality: p.frameProcessor.currentQuality, config: p.frameProcessor.config } },
      read: () => ({ dropped: p.framesDropped(), quality: p.frameProcessor.currentQuality, avgProcessingMs: p.frameProcessor.getAverageProcessingTime(), backlog: p.chunkBuffer.size }),
      settings: () => p.mediaStream?.getVideoTracks()[0]?.getSettings() ?? {},
      async stop() {
        await p.stopStream();
        const m = p.performanceMetrics.getMetrics();
        const out = { metrics: { ...m, memoryUsageTrend: m.memoryUsageTrend.length }, quality: p.frameProcessor.getCurrentQuality(), framesDelivered: p.framesDelivered, framesDropped: p.framesDropped() };
        p.destroy();
        console.warn = origWarn;
        return out;
      },
    };
  }
  t0 = now(); // the clock starts when the recording has started
  const samples = [];
  const ltFrom = longTasks.length;
  let expected = now() + sampleMs;
  const sample = () => {
    const t = now();
    const st = k.settings();
    samples.push({ t: round3(t - t0), late: round3(t - expected), frames: arrivals.length, received: got.messages, ...k.read(), width: st.width ?? null, height: st.height ?? null, frameRate: st.frameRate == null ? null : round3(st.frameRate) });
    expected = t + sampleMs;
  };
  sample();
  const timer = setInterval(sample, sampleMs);
  ad = { contestant, k, t0, marks, samples, arrivals, events, errors, got, timer, ltFrom, channel, get consumerMs() { return consumerMs; } };
  return { contestant, start: k.start };
}

const round3 = (x) => Math.round(x * 1000) / 1000;

/** Marks a phase boundary (the runner calls it right after changing the throttling). */
function adaptiveMark({ name }) {
  const t = round3(now() - ad.t0);
  ad.marks.push({ name, t, frames: ad.arrivals.length, consumerMs: round3(ad.consumerMs) });
  return t;
}

async function adaptiveStop() {
  const a = ad;
  clearInterval(a.timer);
  const end = round3(now() - a.t0);
  const fin = await a.k.stop();
  await sleep(200); // the last messages and long-task entries
  a.channel.port1.close();
  a.channel.port2.close();
  const tasks = longTasks.slice(a.ltFrom).map((x) => ({ start: round3(x.start - a.t0), duration: round3(x.duration) })).filter((x) => x.start >= 0);
  ad = null;
  return {
    contestant: a.contestant, endT: end, marks: a.marks, samples: a.samples, arrivals: a.arrivals, events: a.events,
    errors: a.errors, received: a.got, consumerMs: round3(a.consumerMs), longTasks: tasks, finish: fin,
  };
}

// ---------------------------------------------------------------- real-time soak (issue 11)

let rt = null;

/** Base64 of an ArrayBuffer (in 32 KiB slices, as record() does). */
function toBase64(buf) {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Records from the fake camera and microphone through ours with the default config plus
 * `recordingInterval: timesliceMs` (adaptive quality on, as by default). A listener checksums
 * every frame (FNV-1a over its bytes), checks that sequence numbers are consecutive and
 * queues the frame for the runner, which takes the queue every few seconds
 * (realtimeSoakTake) and keeps what it needs in Node. Every `sampleMs` the page samples bytes
 * held, JS heap, wasm memory, delivered/dropped and the quality level; samples are handed
 * over on take too, so the page itself keeps nothing that grows with the run's length.
 */
async function realtimeSoakStart({ timesliceMs, sampleMs }) {
  const producer = new MediaRecorderProducer({ recordingInterval: timesliceMs });
  const st = {
    producer, stream: null, t0: 0, queue: [], samples: [], events: [], errors: [], droppedEvents: 0,
    delivered: 0, bytes: 0, lastSeq: null, seqGaps: 0, seqMissing: 0, outOfOrder: 0, headerFrames: 0,
    consumerMs: 0, lag: { n: 0, sum: 0, max: 0 }, lagAll: { n: 0, sum: 0, max: 0 }, timer: null, expected: 0,
  };
  producer.onFrame((frame) => {
    const a = now();
    const data = frame.data;
    const sum = fnv1a(data);
    const seq = frame.metadata.sequence;
    if (st.lastSeq !== null) {
      if (seq > st.lastSeq + 1) { st.seqGaps++; st.seqMissing += seq - st.lastSeq - 1; }
      if (seq <= st.lastSeq) st.outOfOrder++;
    }
    st.lastSeq = seq;
    st.delivered++;
    st.bytes += data.byteLength;
    if (frame.metadata.isHeader) st.headerFrames++;
    const lag = Date.now() - frame.timestamp; // arrival (epoch ms) → this listener
    for (const l of [st.lag, st.lagAll]) { l.n++; l.sum += lag; if (lag > l.max) l.max = lag; }
    st.queue.push({ seq, t: round3(a - st.t0), isHeader: !!frame.metadata.isHeader, sum, data });
    st.consumerMs += now() - a;
  });
  producer.onError((e) => {
    if (e.name === 'DataLossError') st.droppedEvents += e.framesDropped || 0;
    st.errors.push({ t: round3(now() - st.t0), name: e.name, message: e.message, framesDropped: e.framesDropped ?? null });
  });
  producer.onQualityChange((e) => st.events.push({
    t: round3(now() - st.t0), reason: e.reason,
    from: { index: e.from.index, quality: e.from.quality, width: e.from.width, height: e.from.height, frameRate: e.from.frameRate },
    to: { index: e.to.index, quality: e.to.quality, width: e.to.width, height: e.to.height, frameRate: e.to.frameRate },
    sample: e.sample,
  }));
  await producer.connect();
  st.t0 = now(); // times are from the startStream() call
  st.stream = await producer.startStream();
  const startMs = round3(now() - st.t0);
  const media = producer.getMediaStream(st.stream.id);
  const q0 = producer.quality();
  rt = st;
  realtimeSoakSample(st, { sampleMs });
  st.timer = setInterval(() => realtimeSoakSample(st, { sampleMs, timer: true }), sampleMs);
  return {
    startMs,
    mimeType: st.stream.mimeType ?? null,
    tracks: media ? media.getTracks().map((tr) => ({ kind: tr.kind, label: tr.label, settings: tr.getSettings() })) : [],
    quality: { enabled: q0.enabled, level: q0.level, floor: q0.floor, ladder: q0.ladder, profile: q0.profile },
    preciseMemory: !!performance.memory,
  };
}

/** One sample; `timer`: from the interval timer (its lateness is recorded). */
function realtimeSoakSample(st, { sampleMs = 0, timer = false } = {}) {
  const t = now();
  const m = st.producer.metrics();
  const mem = st.producer.memory();
  const lv = st.producer.quality().level;
  const tr = st.producer.getMediaStream(st.stream.id)?.getVideoTracks()[0];
  const s = tr ? tr.getSettings() : {};
  st.samples.push({
    t: round3(t - st.t0), late: timer ? round3(t - st.expected) : null,
    held: mem.bytesHeld, heldMetrics: m.bytesHeld, chunksHeld: m.chunksHeld,
    heap: heap(), heapMemory: mem.jsHeapUsed, wasm: mem.wasmMemoryBytes, wasmBuffer: wasm.memory.buffer.byteLength, uaMemory: mem.uaMemoryBytes,
    delivered: st.delivered, bytes: st.bytes, recorded: m.framesRecorded, deliveredMetrics: m.framesDelivered,
    dropped: m.framesDropped, bytesDropped: m.bytesDropped, droppedEvents: st.droppedEvents, seqMissing: st.seqMissing,
    quality: m.qualityLevel, level: { index: lv.index, quality: lv.quality, width: lv.width, height: lv.height, frameRate: lv.frameRate },
    adaptations: m.qualityAdaptations, deliveredFps: round3(m.deliveredFps), trackFrameRate: m.trackFrameRate,
    processingMs: round3(m.averageProcessingTime), consumerMs: round3(st.consumerMs),
    lagMs: st.lag.n ? { mean: round3(st.lag.sum / st.lag.n), max: st.lag.max, n: st.lag.n } : null,
    width: s.width ?? null, height: s.height ?? null, frameRate: s.frameRate == null ? null : round3(s.frameRate),
  });
  st.lag = { n: 0, sum: 0, max: 0 };
  if (sampleMs) st.expected = t + sampleMs;
}

/** Hands the runner every frame queued since the last take (base64) and the new samples. */
function realtimeSoakTake() {
  const st = rt;
  const frames = st.queue.map((f) => ({ seq: f.seq, t: f.t, isHeader: f.isHeader, sum: f.sum, b64: toBase64(f.data) }));
  st.queue = [];
  const samples = st.samples;
  st.samples = [];
  const events = st.events;
  st.events = [];
  const errors = st.errors;
  st.errors = [];
  return { t: round3(now() - st.t0), frames, samples, events, errors };
}

/** Read right after the runner forced a garbage collection (CDP). */
function realtimeSoakGcSample() {
  const mem = rt.producer.memory();
  return { t: round3(now() - rt.t0), heap: heap(), held: mem.bytesHeld, wasm: mem.wasmMemoryBytes };
}

/** Stops the stream (the last frames are delivered first), samples once more, takes the rest. */
async function realtimeSoakStop() {
  const st = rt;
  clearInterval(st.timer);
  realtimeSoakSample(st);
  const stopAt = round3(now() - st.t0);
  const done = await st.producer.stopStream(st.stream.id);
  realtimeSoakSample(st);
  const afterStop = st.samples.pop(); // the stream is gone: not part of the fitted series
  const last = realtimeSoakTake();
  const m = st.producer.metrics();
  const q = st.producer.quality();
  const out = {
    ...last, stopAt, afterStop,
    stream: { mimeType: done.mimeType ?? null, totalFrames: done.totalFrames ?? null },
    listener: {
      delivered: st.delivered, bytes: st.bytes, headerFrames: st.headerFrames, seqGaps: st.seqGaps, seqMissing: st.seqMissing,
      outOfOrder: st.outOfOrder, consumerMs: round3(st.consumerMs), droppedEvents: st.droppedEvents,
      lagMs: st.lagAll.n ? { mean: round3(st.lagAll.sum / st.lagAll.n), max: st.lagAll.max } : null,
    },
    metrics: { ...m, memoryTrend: m.memoryTrend.length, streams: m.streams },
    quality: q.level,
  };
  st.producer.destroy();
  rt = null;
  return out;
}

// ---------------------------------------------------------------- seekable (issue 13)

/** A plain MediaRecorder recording (no library) from the fake camera and microphone: the
 * source the runner repeats into the seekable workload's long input. */
async function seekableSource({ seconds, width, height, mimeType, videoBitsPerSecond, timesliceMs }) {
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: { exact: width }, height: { exact: height }, frameRate: { ideal: 30 } }, audio: true });
  const rec = new MediaRecorder(media, { mimeType, videoBitsPerSecond, audioBitsPerSecond: 64_000 });
  const chunks = [];
  rec.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  const stopped = new Promise((r) => { rec.onstop = r; });
  rec.start(timesliceMs);
  await sleep(seconds * 1000);
  rec.stop();
  await stopped;
  const settings = media.getVideoTracks()[0].getSettings();
  media.getTracks().forEach((t) => t.stop());
  const whole = new Uint8Array(await new Blob(chunks).arrayBuffer());
  return { mimeType: rec.mimeType, seconds, video: { width: settings.width, height: settings.height, frameRate: settings.frameRate }, base64: toBase64(whole.buffer) };
}

// One contestant in one fresh page: its function, the input Blob, its output.
let sk = null;

/** Loads the contestant (ours: the package this page imported, and since the keep split
 * the keep module, which its makeSeekable fetches on the first call, loaded here through
 * the registered loader, as the others' bundles are loaded before the call; the others:
 * their esbuild bundles in ./build/) and fetches the input into a Blob (its bytes in the
 * browser's blob storage, not in this page's heap). */
async function seekableLoad({ contestant, url }) {
  let keepLoadMs = null;
  if (contestant === 'ours' && hasKeep) {
    const t0 = now();
    await loadKeep();
    keepLoadMs = round3(now() - t0);
  }
  const fn = contestant === 'ours' ? lib.makeSeekable : (await import(`./build/seekable-${contestant}.js`)).makeSeekable;
  if (typeof fn !== 'function') throw new Error(`seekable: ${contestant} has no makeSeekable`);
  const fetched = await (await fetch(url)).blob();
  sk = { contestant, fn, blob: new Blob([fetched], { type: 'video/webm' }), out: null };
  return { bytes: sk.blob.size, keepLoadMs };
}

/** Runs the contestant once on the input: wall time (performance.now() around the call), the
 * JS heap sampled every `sampleMs` (a timer: it cannot fire while the contestant blocks the
 * main thread, hence `maxGapMs`), wasm memory before and after. Keeps the output. */
async function seekableRun({ durationMs, sampleMs }) {
  const { fn, blob } = sk;
  const heapBefore = heap();
  const wasmBefore = wasmMemory();
  let heapPeak = heapBefore;
  let samples = 0;
  let last = now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const h = heap();
    if (h > heapPeak) heapPeak = h;
    const t = now();
    maxGapMs = Math.max(maxGapMs, t - last);
    last = t;
    samples++;
  }, sampleMs);
  let out = null;
  let error = null;
  const t0 = now();
  try {
    out = await fn(blob, { durationMs });
  } catch (e) {
    error = `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
  }
  const ms = now() - t0;
  clearInterval(timer);
  maxGapMs = Math.max(maxGapMs, now() - last);
  const heapAfter = heap();
  heapPeak = Math.max(heapPeak, heapAfter);
  sk.out = out;
  return {
    ms: round3(ms), error, heapBefore, heapPeak, heapAfter, samples, maxGapMs: round3(maxGapMs),
    wasmBefore, wasmAfter: wasmMemory(),
    outBytes: out?.size ?? null, outType: out?.type ?? null,
    // fix-webm-duration hands back its input when it cannot parse it.
    unchanged: out === blob,
  };
}

/** Plays the output in a <video>: the duration it reports once metadata has loaded, then a
 * seek to `seekS` (does `seeked` fire within `timeoutMs`, and where does it land). */
async function seekableCheck({ seekS, timeoutMs }) {
  if (!sk.out) return { loaded: false, error: 'no output' };
  const url = URL.createObjectURL(sk.out);
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'metadata';
  document.body.append(v);
  const wait = (event) => new Promise((resolve) => {
    const done = (ok) => { clearTimeout(timer); v.removeEventListener(event, onEvent); v.removeEventListener('error', onError); resolve(ok); };
    const onEvent = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(null), timeoutMs); // null: timed out
    v.addEventListener(event, onEvent);
    v.addEventListener('error', onError);
  });
  const t0 = now();
  const metadata = wait('loadedmetadata');
  v.src = url;
  const loaded = await metadata;
  const loadMs = now() - t0;
  const d = v.duration;
  const out = { loaded, loadMs: round3(loadMs), duration: Number.isFinite(d) ? d : String(d), seeked: null, seekMs: null, currentTime: null };
  if (loaded) {
    const t1 = now();
    const seeked = wait('seeked');
    v.currentTime = seekS;
    out.seeked = await seeked;
    out.seekMs = round3(now() - t1);
    out.currentTime = v.currentTime;
  }
  out.error = v.error ? `${v.error.code} ${v.error.message}` : null;
  v.removeAttribute('src');
  v.load();
  v.remove();
  URL.revokeObjectURL(url);
  return out;
}

/** Sends the output to the runner (POST), for ffprobe. */
async function seekableUpload({ url }) {
  if (!sk.out) return false;
  const r = await fetch(url, { method: 'POST', body: sk.out });
  return r.ok;
}

/** stopStream latency of ours from the fake camera and microphone: `seconds` of recording,
 * then the time `stopStream()` takes to resolve, with `retain` "bounded" or "all" (which
 * makes the whole recording seekable before it resolves). */
async function seekableStopLatency({ retain, seconds }) {
  const producer = new MediaRecorderProducer({ retain, probeOnConnect: false, adaptiveQuality: false });
  await producer.connect();
  const stream = await producer.startStream();
  let bytes = 0;
  producer.onFrame((f) => { bytes += f.data?.byteLength ?? f.data?.size ?? 0; });
  await sleep(seconds * 1000);
  const t0 = now();
  const done = await producer.stopStream(stream.id);
  const ms = now() - t0;
  const out = { retain, seconds, ms: round3(ms), bytes, recordingBytes: done.recording?.size ?? null, segments: done.recordingSegments?.length ?? null, mimeType: done.mimeType ?? null };
  producer.destroy();
  return out;
}

function info() {
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hasKeep,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    deviceMemory: navigator.deviceMemory ?? null,
    preciseMemory: !!performance.memory,
    longTaskObserver: PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false,
    measureUserAgentSpecificMemory: typeof performance.measureUserAgentSpecificMemory === 'function',
    timerStepUs: (() => {
      // Smallest non-zero step of performance.now() seen in a tight loop.
      let min = Infinity;
      let last = now();
      for (let i = 0; i < 200000 && min > 0.001; i++) {
        const t = now();
        if (t !== last) { min = Math.min(min, t - last); last = t; }
      }
      return Math.round(min * 1000 * 10) / 10;
    })(),
  };
}

// ------------------------------------------------------------------ upload (issue 15)

let upload = null;
/** Loads bench/pkg/upload.js (tusSink + tus-js-client, bundled by the runner). */
async function uploadLoad() {
  upload ??= await import('./pkg/upload.js');
  return true;
}

/** `bytes` of incompressible, deterministic data as a Blob (1 MiB tiles). */
function uploadBlob(bytes) {
  const tile = new Uint8Array(1 << 20);
  let x = 12345;
  for (let i = 0; i < tile.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; tile[i] = x >>> 24; }
  const parts = [];
  for (let n = 0; n < bytes; n += tile.length) parts.push(n + tile.length <= bytes ? tile : tile.subarray(0, bytes - n));
  return new Blob(parts);
}

/** Throughput: tus-js-client uploading a finished Blob, or ours: the same bytes pushed
 * as chunks of `pushBytes` into an external stream with a tusSink, until stopStream
 * resolves (the server has it all). */
async function uploadThroughput({ contestant, bytes, chunkSize, pushBytes, endpoint }) {
  const blob = uploadBlob(bytes);
  // Both contestants start with the Blob's bytes in the browser's blob storage: a read
  // (of its last byte) waits until the renderer has handed all of it over, which
  // otherwise happens while the first PATCH goes.
  await blob.slice(bytes - 1).arrayBuffer();
  if (contestant === 'tus-js-client') {
    const t0 = now();
    let url = null;
    await new Promise((resolve, reject) => {
      const u = new upload.Upload(blob, { endpoint, chunkSize, retryDelays: [0], onSuccess: () => { url = u.url; resolve(); }, onError: reject });
      u.start();
    });
    return { ms: now() - t0, bytes, url };
  }
  const producer = new MediaRecorderProducer({ probeOnConnect: false, bufferMaxBytes: 512 * 2 ** 20, bufferCapacity: 100000 });
  await producer.connect();
  const s = await producer.startStream({ source: 'external', mimeType: 'video/webm', sinks: [upload.tusSink({ endpoint, chunkSize })] });
  // The chunks exist before the clock starts, as tus-js-client's Blob does: a recorder
  // hands them out as Blobs. (Made inside the timed loop, their 800 Blob.slice() calls
  // alone took ~150 ms of the ~1.7 s measured: the benchmark's cost, not the upload's.)
  const chunks = [];
  for (let at = 0; at < bytes; at += pushBytes) chunks.push(blob.slice(at, at + pushBytes));
  const t0 = now();
  for (let i = 0; i < chunks.length; i++) producer.pushChunk(s.id, chunks[i], { isHeader: i === 0 });
  const done = await producer.stopStream(s.id);
  const ms = now() - t0;
  producer.destroy();
  const u = done.uploads[0];
  return { ms, bytes, acked: u.bytesAcknowledged, state: u.state, url: u.url };
}

/** Records `seconds` from the fake camera: `sink` "tus" (a tusSink to `endpoint`),
 * "noop" (a sink object that does nothing) or "none". */
async function uploadRecord({ seconds, sink, endpoint }) {
  const producer = new MediaRecorderProducer({ probeOnConnect: false, adaptiveQuality: false });
  await producer.connect();
  const sinks = { tus: () => [upload.tusSink({ endpoint })], noop: () => [{ write() {}, close() {} }], none: () => [] }[sink]();
  const s = await producer.startStream(sinks.length ? { sinks } : {});
  await sleep(seconds * 1000);
  const done = await producer.stopStream(s.id);
  const m = producer.metrics();
  producer.destroy();
  const u = done.uploads?.[0];
  return { recorded: m.bytesRecorded ?? null, acked: u?.bytesAcknowledged ?? null, state: u?.state ?? null };
}

let resumeProducer = null;
let resumeStream = null;
/** Starts recording with a tusSink, for the runner's outages. */
async function uploadResumeStart({ endpoint, retryDelays }) {
  resumeProducer = new MediaRecorderProducer({ probeOnConnect: false, adaptiveQuality: false });
  await resumeProducer.connect();
  resumeStream = await resumeProducer.startStream({ sinks: [upload.tusSink({ endpoint, retryDelays })] });
  return true;
}
async function uploadResumeStop() {
  const done = await resumeProducer.stopStream(resumeStream.id);
  const m = resumeProducer.metrics();
  resumeProducer.destroy();
  const { error, ...u } = done.uploads[0];
  return { ...u, error: error ? String(error) : null, dropped: m.framesDropped };
}

// ---------------------------------------------------------------- recordings you keep (issue 14)

/** The duration a <video> reports for `blob` once its metadata has loaded (a number if
 * finite, else its string, e.g. "Infinity"), or null if it did not load within `timeoutMs`. */
async function videoDuration(blob, timeoutMs) {
  const url = URL.createObjectURL(blob);
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'metadata';
  document.body.append(v);
  const t0 = now();
  const loaded = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    v.addEventListener('loadedmetadata', () => { clearTimeout(timer); resolve(true); }, { once: true });
    v.addEventListener('error', () => { clearTimeout(timer); resolve(false); }, { once: true });
    v.src = url;
  });
  const d = v.duration;
  const out = { loaded, loadMs: round3(now() - t0), duration: loaded ? (Number.isFinite(d) ? d : String(d)) : null, error: v.error ? `${v.error.code} ${v.error.message}` : null };
  v.removeAttribute('src');
  v.load();
  v.remove();
  URL.revokeObjectURL(url);
  return out;
}

/** Snapshot latency: a `replay: true, keyframeInterval: 1000` stream from the fake camera
 * and microphone with a ring of `bufferMaxBytes` / `bufferCapacity` chunks, recorded for
 * `recordSeconds`, then `snapshot(id, { seconds })` `n` times, `gapMs` apart, each timed
 * with performance.now() until its Blob resolves. The first clip's duration comes from a
 * <video>. */
async function keepSnapshot({ recordSeconds, seconds, n, gapMs, bufferMaxBytes, bufferCapacity, checkTimeoutMs }) {
  const producer = new MediaRecorderProducer({ bufferMaxBytes, bufferCapacity });
  const errors = [];
  producer.onError((e) => errors.push(`${e.name}: ${e.message}`));
  await producer.connect();
  const s = await producer.startStream({ replay: true, keyframeInterval: 1000 });
  await sleep(recordSeconds * 1000);
  const st = (m) => m.streams.find((x) => x.streamId === s.id) ?? {};
  const m0 = producer.metrics();
  const held = { bytesHeld: m0.bytesHeld, chunksHeld: m0.chunksHeld, budgetBytes: st(m0).budgetBytes ?? null, bytesRecorded: m0.bytesRecorded, framesRecorded: m0.framesRecorded, framesDropped: m0.framesDropped };
  const times = [];
  const sizes = [];
  let first = null;
  for (let i = 0; i < n; i++) {
    if (i) await sleep(gapMs);
    const t0 = now();
    const clip = await producer.snapshot(s.id, { seconds });
    times.push(round3(now() - t0));
    sizes.push(clip.size);
    first ??= clip;
  }
  const check = await videoDuration(first, checkTimeoutMs);
  const video = producer.getMediaStream(s.id)?.getVideoTracks()[0]?.getSettings() ?? {};
  await producer.stopStream(s.id);
  const m1 = producer.metrics();
  producer.destroy();
  return {
    recordSeconds, seconds, times, sizes, check, held, errors, mimeType: s.mimeType ?? null, keepModule: hasKeep,
    video: { width: video.width ?? null, height: video.height ?? null, frameRate: video.frameRate ?? null },
    framesDroppedAtEnd: m1.framesDropped,
  };
}

// One OPFS recording at a time, driven by the runner: start, samples, stop.
let keepRec = null;

/** Starts a stream with the OPFS sink `name` (otherwise the default config). */
async function keepOpfsStart({ name }) {
  const producer = new MediaRecorderProducer();
  const errors = [];
  producer.onError((e) => errors.push(`${e.name}: ${e.message}`));
  await producer.connect();
  const s = await producer.startStream({ sink: { type: 'opfs', name } });
  keepRec = { producer, s, name, errors, t0: now() };
  return { id: s.id, mimeType: s.mimeType ?? null };
}

/** One sample: bytes held and the ring's budget (metrics()), the JS heap, wasm memory and
 * the bytes committed to the file so far (listRecordings(), timed). */
async function keepOpfsSample() {
  const { producer, s, name, t0 } = keepRec;
  const t = now();
  const m = producer.metrics();
  const st = m.streams.find((x) => x.streamId === s.id) ?? {};
  const sample = {
    t: round3(t - t0), bytesHeld: m.bytesHeld, chunksHeld: m.chunksHeld, budgetBytes: st.budgetBytes ?? null,
    heap: heap(), wasm: wasmMemory(), wasmKeep: keepWasm?.memory?.buffer.byteLength ?? null, bytesRecorded: m.bytesRecorded, framesDropped: m.framesDropped,
    opfsBytes: null, opfsParts: null, listMs: null, listError: null,
  };
  try {
    const l0 = now();
    const list = await lib.listRecordings();
    sample.listMs = round3(now() - l0);
    const r = list.find((x) => x.name === name);
    if (r) { sample.opfsBytes = r.bytes; sample.opfsParts = r.parts; }
  } catch (e) {
    sample.listError = `${e?.name}: ${e?.message}`;
  }
  return sample;
}

/** Stops the stream, timed until stopStream resolves with the seekable `recording`; the
 * recording's duration from a <video>; then deletes it (and checks it is gone). */
async function keepOpfsStop({ checkTimeoutMs }) {
  const { producer, s, name, errors, t0 } = keepRec;
  const seconds = (now() - t0) / 1000;
  const m0 = producer.metrics();
  const t = now();
  const done = await producer.stopStream(s.id);
  const ms = now() - t;
  const m1 = producer.metrics();
  const rec = done.recording ?? null;
  const check = rec ? await videoDuration(rec, checkTimeoutMs) : null;
  const listed = (await lib.listRecordings()).find((x) => x.name === name) ?? null;
  producer.destroy();
  keepRec = null;
  let deleted = false;
  let deleteError = null;
  try {
    await lib.deleteRecording(name);
    deleted = !(await lib.listRecordings()).some((x) => x.name === name);
  } catch (e) {
    deleteError = `${e?.name}: ${e?.message}`;
  }
  return {
    seconds: round3(seconds), ms: round3(ms), recordingBytes: rec?.size ?? null, isFile: rec instanceof File, check,
    listed: listed ? { bytes: listed.bytes, parts: listed.parts, finished: listed.finished } : null,
    bytesRecorded: m1.bytesRecorded, framesDropped: m1.framesDropped, heldBeforeStop: m0.bytesHeld,
    deleted, deleteError, errors,
  };
}

// ---------------------------------------------------------------- the WebCodecs engine (issue 16)

/** Starts one contestant recording the fake camera (640×480, with audio unless `audio`
 * is false, timeslice 100 ms): "raw" (a hand-written MediaRecorder loop keeping its Blobs), "mediarecorder"
 * and "webcodecs" (ours, frameData "blob": no read per chunk, as raw), or "seed" (the
 * seed design's producer, which reads every chunk). Optionally keeps the main thread
 * busy (`busyMs` of work every `busyEveryMs`). `codecsStep(bps)` asks ours for a new
 * bitrate; `codecsStop()` stops and returns chunk arrival times and sizes, the stream's
 * counters and the recording (base64). */
let codecsRun = null;
async function codecsStart({ contestant, busyMs = 0, busyEveryMs = 100, startBps = 400_000, codec = 'vp8', audio = true }) {
  const st = { chunks: [], keep: [], info: {}, stepped: null, busyTimer: null };
  const video = { width: { ideal: 640 }, height: { ideal: 480 } };
  const arrive = (size, blob) => { st.chunks.push([now(), size]); st.keep.push(blob); };
  if (contestant === 'raw') {
    const media = await navigator.mediaDevices.getUserMedia({ video, audio });
    const rec = new MediaRecorder(media, { mimeType: `video/webm;codecs=${codec}${audio ? ',opus' : ''}`, videoBitsPerSecond: startBps });
    rec.ondataavailable = (e) => { if (e.data.size) arrive(e.data.size, e.data); };
    rec.start(100);
    st.stop = async () => {
      const done = new Promise((r) => { rec.onstop = r; });
      rec.stop();
      await done;
      media.getTracks().forEach((t) => t.stop());
      st.info = { mimeType: rec.mimeType };
    };
  } else if (contestant === 'seed') {
    const p = new OptimizedMediaRecorderProducer({ videoBitsPerSecond: startBps });
    p.onFrame((f) => arrive(f.data.byteLength, new Blob([f.data])));
    await p.connect();
    await p.startStream({ width: 640, height: 480 });
    st.stop = async () => { await p.stopStream(); st.info = { framesDropped: p.framesDropped() }; p.destroy(); };
  } else {
    const p = new MediaRecorderProducer({ frameData: 'blob', adaptiveQuality: false, probeOnConnect: false });
    p.onFrame((f) => arrive(f.size, f.data));
    await p.connect();
    const s = await p.startStream({ width: 640, height: 480, engine: contestant, codec, bitrate: startBps, audio });
    st.step = (bps) => { st.stepped = { at: now(), how: p.setBitrate(s.id, bps) }; };
    st.stop = async () => {
      const d = await p.stopStream(s.id);
      st.info = { mimeType: d.mimeType, engine: d.engine, engineMode: d.engineMode ?? null, framesDropped: d.framesDropped, framesDroppedBeforeEncoding: d.framesDroppedBeforeEncoding ?? null };
      p.destroy();
    };
  }
  if (busyMs > 0) {
    st.busyTimer = setInterval(() => { const end = now() + busyMs; while (now() < end) { /* busy */ } }, busyEveryMs);
  }
  st.t0 = now();
  codecsRun = st;
  return true;
}
function codecsStep(bps) {
  codecsRun.step(bps);
  return codecsRun.stepped;
}
async function codecsStop() {
  const st = codecsRun;
  codecsRun = null;
  clearInterval(st.busyTimer);
  st.t1 = now();
  await st.stop();
  const u = new Uint8Array(await new Blob(st.keep).arrayBuffer());
  let b64 = '';
  for (let i = 0; i < u.length; i += 0x8000) b64 += String.fromCharCode(...u.subarray(i, i + 0x8000));
  // Long tasks (≥ 50 ms) on the page while it recorded (null where the browser has no
  // Long Tasks API).
  const long = longTasks.filter((e) => e.start >= st.t0 && e.start < st.t1);
  return { t0: st.t0, t1: st.t1, chunks: st.chunks, stepped: st.stepped, info: st.info, bytes: u.length, file: b64.length ? btoa(b64) : '', longTasks: long.length, longTaskMs: long.reduce((a, e) => a + e.duration, 0) };
}

window.bench = { info, record, loadInput, soak, soakEnd, perChunkPrepare, perChunkRun, perChunkBackToBack, warmCamera, firstFrame, capture, poolAcquire, poolFirstFrame, adaptiveCalibrate, adaptiveStart, adaptiveMark, adaptiveStop, realtimeSoakStart, realtimeSoakTake, realtimeSoakGcSample, realtimeSoakStop, seekableSource, seekableLoad, seekableRun, seekableCheck, seekableUpload, seekableStopLatency, uploadLoad, uploadThroughput, uploadRecord, uploadResumeStart, uploadResumeStop, keepSnapshot, keepOpfsStart, keepOpfsSample, keepOpfsStop, codecsStart, codecsStep, codecsStop, pkg: PKG, hasKeep, hasPool: typeof StreamPool === 'function' };
window.benchReady = true;
