// The package's modules (issue 26) as files, and the load workload's page.
//
// `shippedLayout` lays bench/pkg out as `npm run build` ships it (scripts/package.mjs):
// index.js (js/index.js: imports the core, initialises it with a top-level await and
// registers the feature modules' loaders, since the keep split through web.js, which it
// imports), web/ (the core's glue, snippets and .wasm), keep/ (the keep module's glue,
// snippets and .wasm), codecs/ (codecs.js and codecs.wasm), the .js under web/, keep/ and
// codecs/ minified with esbuild the same way and the test hooks left out. The load
// workload's page imports that index.js, as a plain <script type="module"> app would, and
// the server logs what it fetches.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';

const walk = (dir) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])) : []);

/** Raw and gzip -9 bytes of a file. */
export function fileSize(path) {
  const buf = readFileSync(path);
  return { bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length };
}

/** The files of each module in a wasm-pack `--target web` output `pkg` (bench/pkg),
 * relative to `pkg`: core = the glue, its .wasm and the snippets the glue imports;
 * keep = keep/keep.js, keep/keep_bg.wasm and keep/snippets/**; codecs =
 * codecs/codecs.js and codecs/codecs.wasm (each absent in builds from before its split:
 * then null). */
export function moduleFiles(pkg) {
  const snippets = (dir) => walk(join(pkg, dir)).filter((f) => f.endsWith('.js')).map((f) => relative(pkg, f)).sort();
  const core = ['media_recorder_producer.js', 'media_recorder_producer_bg.wasm', ...snippets('snippets')];
  const keep = ['keep/keep.js', 'keep/keep_bg.wasm'];
  const codecs = ['codecs/codecs.js', 'codecs/codecs.wasm'];
  const has = (files) => files.every((f) => existsSync(join(pkg, f)));
  return { core, keep: has(keep) ? [...keep, ...snippets(join('keep', 'snippets'))] : null, codecs: has(codecs) ? codecs : null };
}

const HOOKS = /^[ \t]*\/\/ <test-hook>[^\n]*\n[\s\S]*?^[ \t]*\/\/ <\/test-hook>[^\n]*\n/gm;

/** Writes `out` (emptied first) as the package ships: see the top of this file. Returns
 * { entry, entryFiles, modules: { core, keep, codecs } } with paths relative to `out`
 * (`entryFiles`: the entry and the package file it imports, web.js, where it does). */
export function shippedLayout(pkg, root, out) { // root: the crate the build came from
  rmSync(out, { recursive: true, force: true });
  const m = moduleFiles(pkg);
  const put = (from, to) => {
    mkdirSync(dirname(join(out, to)), { recursive: true });
    if (!to.endsWith('.js')) return copyFileSync(from, join(out, to));
    const source = readFileSync(from, 'utf8').replace(HOOKS, '');
    if (source.includes('test-hook')) throw new Error(`${from}: an unmatched test-hook marker`);
    writeFileSync(join(out, to), transformSync(source, { minify: true, format: 'esm', target: 'es2022' }).code);
  };
  const core = m.core.map((f) => `web/${f}`);
  m.core.forEach((f, i) => put(join(pkg, f), core[i]));
  const { keep, codecs } = m;
  if (keep) keep.forEach((f) => put(join(pkg, f), f));
  if (codecs) codecs.forEach((f) => put(join(pkg, f), f));
  // The entry as the package has it (js/index.js); before the split (no loader to
  // register) one that initialises the core alone. Since the keep split it imports
  // web.js (js/web.js: init, and the loaders' registration), shipped beside it.
  const index = join(root, 'js', 'index.js');
  let entry = existsSync(index) ? readFileSync(index, 'utf8') : null;
  if (!codecs || !entry) entry = "import init from './web/media_recorder_producer.js';\n\nawait init();\n\nexport * from './web/media_recorder_producer.js';\n";
  // Shipped as written (scripts/package.mjs minifies web/, keep/ and codecs/ only).
  writeFileSync(join(out, 'index.js'), entry);
  const entryFiles = ['index.js'];
  if (/from\s*['"]\.\/web\.js['"]/.test(entry)) {
    copyFileSync(join(root, 'js', 'web.js'), join(out, 'web.js'));
    entryFiles.push('web.js');
  }
  return { entry: 'index.js', entryFiles, modules: { core, keep, codecs } };
}

/** Sizes of `files` (paths relative to `dir`), each and summed. */
export function sizeOf(dir, files) {
  const each = files.map((f) => ({ path: f, ...fileSize(join(dir, f)) }));
  return { files: each, bytes: each.reduce((a, f) => a + f.bytes, 0), gzip9: each.reduce((a, f) => a + f.gzip9, 0) };
}

/** Whether `path` is a file under `dir`. */
export const isFile = (dir, path) => { try { return statSync(join(dir, path)).isFile(); } catch { return false; } };

// The load workload's page, served from memory at /load.html: nothing but what the
// workload calls. `importModule(url)` times a cold dynamic import (ours: the entry's
// top-level await is the core's fetch, compile and instantiation, and the feature
// loaders' registration); `record` is an app that records into an onFrame listener
// (with `replay`, a replay stream, and a snapshot of its last `snapshotSeconds` before
// it stops).
export const LOAD_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>load</title><link rel="icon" href="data:,"></head>
<body>
<script type="module">
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let lib = null;
window.load = {
  async importModule(url) {
    const t0 = performance.now();
    const m = await import(url);
    const t1 = performance.now();
    lib = m;
    return { ms: t1 - t0, exports: Object.keys(m).length };
  },
  async record({ seconds, engine, replay, snapshotSeconds }) {
    const p = new lib.MediaRecorderProducer({ recordingInterval: 100 });
    let frames = 0;
    let bytes = 0;
    p.onFrame((f) => { frames++; bytes += f.data?.byteLength ?? f.data?.size ?? 0; });
    await p.connect();
    const s = await p.startStream({ width: 640, height: 360, ...(engine ? { engine } : {}), ...(replay ? { replay: true } : {}) });
    await sleep(seconds * 1000);
    let snapshot = null;
    if (replay) {
      const clip = await p.snapshot(s.id, { seconds: snapshotSeconds });
      snapshot = { seconds: snapshotSeconds, bytes: clip.size, type: clip.type };
    }
    const d = await p.stopStream(s.id);
    p.destroy();
    return { frames, bytes, engine: s.engine ?? null, engineMode: s.engineMode ?? null, mimeType: d?.mimeType ?? s.mimeType ?? null, snapshot };
  },
};
window.loadReady = true;
</script>
</body>
</html>
`;
