// "media-recorder-producer/web": the core module; call the default export (or
// initSync) before using it.
export * from './web/media_recorder_producer.js';
export { default, initSync } from './web/media_recorder_producer.js';
