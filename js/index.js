// media-recorder-producer's main entry: the core module (the `web` build of the wasm),
// initialised on import with a top-level await, so that importing the package is all an
// app does. Bundlers (webpack 5, Vite) emit the .wasm from the glue's
// `new URL('media_recorder_producer_bg.wasm', import.meta.url)`; a plain
// <script type="module"> fetches it from beside the glue. web.js's init registers the
// feature modules, fetched with import() only when a stream first needs one (a bundler
// makes each a chunk of its own).
import init from './web.js';

await init();

export * from './web.js';
