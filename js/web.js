// "media-recorder-producer/web": the core module without the main entry's top-level
// await. Call the default export (or initSync) yourself, e.g. with your own URL or bytes
// of the wasm; it registers the feature modules' loaders as the main entry does.
import init0, { initSync as initSync0, __setFeatureLoader } from './web/media_recorder_producer.js';

// The feature modules (src/web/features.rs): codecs (the WebCodecs engine) and keep
// (replay, seekable output, makeSeekable, OPFS), each a static import() for bundlers.
const register = () => {
  __setFeatureLoader('codecs', () => import('./codecs/codecs.js'));
  __setFeatureLoader('keep', () => import('./keep/keep.js').then(async (m) => {
    await m.default();
    return m.keepApi();
  }));
};

export default async function init(options) {
  const exports = await init0(options);
  register();
  return exports;
}

export function initSync(options) {
  const exports = initSync0(options);
  register();
  return exports;
}

export * from './web/media_recorder_producer.js';
