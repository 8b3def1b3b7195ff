// media-recorder-producer's main entry: the `web` build of the wasm module, initialised
// on import with a top-level await, so that importing the package is all an app does.
// Bundlers (webpack 5, Vite) emit the .wasm from the glue's
// `new URL('media_recorder_producer_bg.wasm', import.meta.url)`; a plain
// <script type="module"> fetches it from beside the glue. One .wasm serves this entry
// and "media-recorder-producer/web" (which leaves init() to the app).
import init from './web/media_recorder_producer.js';

await init();

export * from './web/media_recorder_producer.js';
