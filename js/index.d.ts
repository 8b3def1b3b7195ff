// The main entry: everything of the `web` build, its wasm already initialised.
export * from './web/media_recorder_producer.js';
