// Node side of the seekable workload (issue 13): bundles the contestants for the page with
// esbuild (into the git-ignored bench/build/), measures their minified + gzip -9 sizes, checks
// files with ffprobe/ffmpeg, and reads the renderer process's memory from /proc (peak RSS:
// what no in-page sampler can see while a contestant blocks the main thread).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const SEEKABLE_CONTESTANTS = ['ours', 'ts-ebml', 'fix-webm-duration', 'mediabunny'];

const version = (root, pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

/** esbuild options every bundle shares: for the browser, ES module, minified. ts-ebml needs
 * two things a bundler user has to provide: Node's global `Buffer` (it and the `ebml` package
 * under it use it), here the `buffer` package injected (webpack 5 and esbuild polyfill
 * nothing); and `ebml` resolved to its CommonJS build, as ts-ebml's own package.json tells
 * browserify (aliasify): the `browser` field of `ebml` points at an IIFE that exports nothing. */
function options(bench, name) {
  return {
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
    absWorkingDir: bench,
    ...(name === 'ts-ebml' ? { inject: [join(bench, 'seekable', 'buffer-shim.mjs')], alias: { ebml: 'ebml/lib/ebml.js' } } : {}),
  };
}

async function bundleSize(bench, name, contents) {
  const r = await build({ ...options(bench, name), stdin: { contents, resolveDir: bench, loader: 'js' } });
  const buf = Buffer.from(r.outputFiles[0].contents);
  return { bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length };
}

/**
 * Bundles each contestant's adapter (bench/seekable/<name>.mjs) into
 * bench/build/seekable-<name>.js for the page, and measures the minimal imports' sizes
 * (esbuild --minify, then gzip -9). Ours: the wasm-bindgen glue for `makeSeekable` bundled
 * the same way, plus the whole .wasm (gzip -9); the wasm is not tree-shaken by import.
 * Since the keep split (issue 26) the core's `makeSeekable` loads the keep module on the
 * first call: what an app that calls it fetches is the core (its glue bundled, its .wasm)
 * and the keep module (keep.js and its snippets bundled the same way, keep_bg.wasm).
 */
export async function bundleSeekable({ bench, root, pkg }) {
  const out = join(bench, 'build');
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  for (const name of SEEKABLE_CONTESTANTS.filter((n) => n !== 'ours')) {
    const r = await build({ ...options(bench, name), entryPoints: [join(bench, 'seekable', `${name}.mjs`)] });
    writeFileSync(join(out, `seekable-${name}.js`), r.outputFiles[0].contents);
  }
  const gz = (path) => { const buf = readFileSync(path); return { bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length }; };
  const oursJs = await bundleSize(bench, 'ours', `export { makeSeekable, default } from ${JSON.stringify(join(pkg, 'media_recorder_producer.js'))};`);
  const oursWasm = gz(join(pkg, 'media_recorder_producer_bg.wasm'));
  const keepPath = join(pkg, 'keep', 'keep.js');
  let ours;
  if (existsSync(keepPath)) {
    const keepJs = await bundleSize(bench, 'ours', `export { keepApi, default } from ${JSON.stringify(keepPath)};`);
    const keepWasm = gz(join(pkg, 'keep', 'keep_bg.wasm'));
    const core = { bytes: oursJs.bytes + oursWasm.bytes, gzip9: oursJs.gzip9 + oursWasm.gzip9 };
    const keep = { bytes: keepJs.bytes + keepWasm.bytes, gzip9: keepJs.gzip9 + keepWasm.gzip9 };
    ours = {
      what: '`import { makeSeekable } from "media-recorder-producer"`: the core (its glue minified + its whole .wasm) and the keep module its makeSeekable fetches on the first call (keep.js with its snippets minified + its whole .wasm)',
      js: oursJs, wasm: oursWasm, core, keep: { js: keepJs, wasm: keepWasm, ...keep },
      bytes: core.bytes + keep.bytes, gzip9: core.gzip9 + keep.gzip9,
    };
  } else {
    ours = { what: '`import init, { makeSeekable } from "media-recorder-producer"`: the glue minified + the whole .wasm', js: oursJs, wasm: oursWasm, bytes: oursJs.bytes + oursWasm.bytes, gzip9: oursJs.gzip9 + oursWasm.gzip9 };
  }
  const sizes = {
    ours,
    'ts-ebml': { version: version(root, 'ts-ebml'), what: '`import { Decoder, Reader, tools } from "ts-ebml"` + the `buffer` polyfill it needs', ...(await bundleSize(bench, 'ts-ebml', `export { Decoder, Reader, tools } from 'ts-ebml';`)) },
    'fix-webm-duration': { version: version(root, '@fix-webm-duration/fix'), what: '`import { fixWebmDuration } from "@fix-webm-duration/fix"`', ...(await bundleSize(bench, 'fix-webm-duration', `export { fixWebmDuration } from '@fix-webm-duration/fix';`)) },
    mediabunny: { version: version(root, 'mediabunny'), what: '`import { Input, BlobSource, WEBM, Output, WebMOutputFormat, BufferTarget, Conversion } from "mediabunny"`', ...(await bundleSize(bench, 'mediabunny', `export { Input, BlobSource, WEBM, Output, WebMOutputFormat, BufferTarget, Conversion } from 'mediabunny';`)) },
  };
  // Issue 13's other reference points: recording libraries' minimal imports.
  const others = {
    recordrtc: { version: version(root, 'recordrtc'), what: '`import RecordRTC from "recordrtc"` (its getSeekableBlob also needs ts-ebml\'s EBML global, not counted)', ...(await bundleSize(bench, 'recordrtc', `export { default } from 'recordrtc';`)) },
    mediabunnyRecording: { version: version(root, 'mediabunny'), what: '`import { Output, WebMOutputFormat, BufferTarget, MediaStreamVideoTrackSource, MediaStreamAudioTrackSource } from "mediabunny"`', ...(await bundleSize(bench, 'mediabunny', `export { Output, WebMOutputFormat, BufferTarget, MediaStreamVideoTrackSource, MediaStreamAudioTrackSource } from 'mediabunny';`)) },
  };
  return { esbuild: version(root, 'esbuild'), method: 'esbuild (bundle, --minify, format esm, platform browser) of the import alone, then gzip -9 (node zlib)', sizes, others, ms: Date.now() - started };
}

// ------------------------------------------------------------------ checks with ffmpeg

/** ffprobe's format duration (seconds, or null when it says N/A), and a full demux of every
 * packet (`ffmpeg -v error -i f -c copy -f null -`): what it printed. */
export function probeFile(path) {
  const p = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name', '-of', 'json', path], { encoding: 'utf8' });
  let duration = null;
  let streams = [];
  try {
    const j = JSON.parse(p.stdout);
    duration = j.format?.duration != null && j.format.duration !== 'N/A' ? Number(j.format.duration) : null;
    streams = (j.streams ?? []).map((s) => `${s.codec_type} ${s.codec_name}`);
  } catch { /* reported through printed below */ }
  const d = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-c', 'copy', '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const printed = `${p.stderr}${d.stderr}`.split('\n').filter(Boolean);
  return { duration, streams, clean: p.status === 0 && d.status === 0 && printed.length === 0, printedLines: printed.length, printed: printed.slice(0, 5) };
}

// ------------------------------------------------------------------ renderer memory

const readText = (p) => { try { return readFileSync(p, 'utf8'); } catch { return null; } };

/** Chromium renderer processes started (through the browser process and its zygote) by this
 * Node process. */
export function rendererPids() {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = readText(`/proc/${d}/cmdline`);
    if (!cmd || !cmd.includes('--type=renderer') || cmd.includes('--extension-process')) continue;
    // Walk up to this process.
    let p = Number(d);
    for (let hop = 0; hop < 8 && p > 1; hop++) {
      const stat = readText(`/proc/${p}/stat`);
      if (!stat) break;
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (p === process.pid) { pids.push(Number(d)); break; }
    }
  }
  return pids;
}

/** { rss, hwm } of a process in bytes (VmRSS, VmHWM: the peak since start or the last reset). */
export function memOf(pid) {
  const s = readText(`/proc/${pid}/status`);
  if (!s) return null;
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) ?? [])[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets a process's peak RSS to its current RSS (`echo 5 > /proc/pid/clear_refs`, Linux ≥ 4.0).
 * Returns false where not allowed. */
export function resetPeak(pid) {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

/** ffmpeg's version line (stated with the results). */
export function ffmpegVersion() {
  try { return execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0]; } catch { return null; }
}
