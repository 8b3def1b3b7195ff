// The package's `codecs` module: the WebCodecs engine's encoding loop, loaded with
// `import()` the first time a stream chooses that engine (src/web/features.rs). It
// reads VideoFrames and AudioData from the processors' streams, encodes them
// (VideoEncoder, AudioEncoder: Opus) and muxes them into WebM with the module's muxer
// (codecs.wasm beside this file, built from src/mux_abi.rs: plain exports, no imports),
// handing back one chunk (a Blob) per timeslice. It runs in a dedicated Worker made
// from its own source (a Blob URL: no file for a bundler to find; the compiled muxer
// comes in the init message, no second download) or, where a Worker cannot be made or
// the streams cannot be transferred, on the main thread with an instance of its own.
// `encoderLoop` uses nothing from outside its body, so its source runs on its own.
function encoderLoop(scope) {
  const now = () => performance.timeOrigin + performance.now(); // ms, comparable across threads
  let video = null;
  let audio = null;
  let cfg = null;
  let paused = false;
  let pauseStart = 0;
  let pauseTotalUs = 0;
  let stopping = false;
  let flushed = false;
  let failed = false;
  let timer = 0;
  let droppedBeforeEncoding = 0;
  let queueMax = 0;
  let encodedFrames = 0;

  const post = (m, transfer) => scope.postMessage(m, transfer || []);
  const fail = (where, e) => {
    if (failed || flushed) return;
    failed = true;
    post({ type: 'error', message: where + ': ' + ((e && e.message) || String(e)) });
    stop();
  };

  // Per track: the first frame's own timestamp and when it was read, so that both
  // tracks share one time line from the recording's start (their clocks differ), and
  // the pause offsets in force from each raw timestamp on.
  const side = (kind) => ({ kind, anchor: null, offsets: [], reader: null, encoder: null });
  const mapTime = (s, raw) => {
    let off = 0;
    for (const [from, us] of s.offsets) if (raw >= from) off = us;
    return Math.max(0, Math.round(raw - s.anchor.raw + s.anchor.atUs - off));
  };
  const anchor = (s, raw) => {
    if (!s.anchor) s.anchor = { raw, atUs: (now() - cfg.t0) * 1000 - pauseTotalUs };
    const last = s.offsets.length ? s.offsets[s.offsets.length - 1][1] : 0;
    if (last !== pauseTotalUs) s.offsets.push([raw, pauseTotalUs]);
  };

  // The muxer: an instance of the compiled module for this loop alone, so this thread
  // makes the WebM chunks and their Blobs. Its imports all throw: the muxer's exports
  // use none (the browser tests hand over their own build, which has imports).
  let mux = null;
  const muxStart = async (module) => {
    const trap = () => { throw new Error('a wasm import was called by the muxer'); };
    const imports = new Proxy({}, { get: () => new Proxy({}, { get: () => trap }) });
    const x = (await WebAssembly.instantiate(module, imports)).exports;
    const v = cfg.video;
    const e = v && v.encoder;
    const h = x.mrp_mux_new(e ? (e.codec === 'vp8' ? 1 : 2) : 0, e ? e.width : 0, e ? e.height : 0, cfg.audio ? 1 : 0);
    if (!h) throw new Error('the muxer could not be made');
    mux = { x, h };
  };
  // One frame (or the OpusHead, with `call`) into the muxer's input buffer.
  const muxIn = (len, fill, call) => {
    const at = mux.x.mrp_mux_input(mux.h, len);
    fill(new Uint8Array(mux.x.memory.buffer, at, len));
    call();
  };
  const encoded = (track, ts, key, chunk) => {
    if (mux) muxIn(chunk.byteLength, (d) => chunk.copyTo(d), () => mux.x.mrp_mux_push(mux.h, track, ts, key));
  };

  let reported = 0;
  let encodeMs = 0;
  let encodeN = 0;
  const batch = (last) => {
    const stats = { droppedBeforeEncoding, queueMax, encodedFrames, encodeMs: encodeN ? encodeMs / encodeN : 0, encodeN };
    queueMax = 0;
    encodeMs = 0;
    encodeN = 0;
    if (mux) {
      const n = mux.x.mrp_mux_take(mux.h, last ? 1 : 0);
      if (n) {
        const bytes = new Uint8Array(mux.x.memory.buffer, mux.x.mrp_mux_output(mux.h), n);
        post({ type: 'blob', blob: new Blob([bytes], { type: cfg.mimeType }), stats });
        reported = droppedBeforeEncoding;
        return;
      }
    }
    // Nothing muxed: a message only if the drop count moved.
    if (reported !== droppedBeforeEncoding) post({ type: 'stats', stats });
    reported = droppedBeforeEncoding;
  };

  // The VideoEncoderConfig the library built once (and probed), at the frames' size and
  // the bitrate now.
  const videoConfig = (w, h, bitrate) => {
    const v = cfg.video;
    return Object.assign({}, v.encoder, { width: w, height: h, bitrate: bitrate || v.bitrate, hardwareAcceleration: v.hardwareAcceleration });
  };

  async function pump(s, onFrame) {
    try {
      for (;;) {
        const { value, done } = await s.reader.read();
        if (done) return;
        if (stopping || paused || failed) {
          value.close();
          continue;
        }
        try {
          onFrame(value);
        } finally {
          value.close();
        }
      }
    } catch (e) {
      if (!stopping) fail(s.kind + ' track', e);
    }
  }

  function startVideo(readable) {
    const v = cfg.video;
    const s = side('video');
    s.size = [v.encoder.width, v.encoder.height];
    s.lastKey = -Infinity;
    s.forceKey = true;
    // encode() → output time per frame (raw timestamp → when it was handed over).
    s.pending = new Map();
    video = s;
    s.encoder = new VideoEncoder({
      output: (chunk) => {
        encodedFrames++;
        const at = s.pending.get(chunk.timestamp);
        if (at !== undefined) {
          s.pending.delete(chunk.timestamp);
          const ms = performance.now() - at;
          encodeMs += ms;
          encodeN++;
          s.latency = s.latency ? s.latency * 0.75 + ms * 0.25 : ms;
        }
        encoded(0, mapTime(s, chunk.timestamp), chunk.type === 'key' ? 1 : 0, chunk);
      },
      error: (e) => fail('VideoEncoder', e),
    });
    s.encoder.configure(videoConfig(s.size[0], s.size[1]));
    s.reader = readable.getReader();
    pump(s, (frame) => {
      const q = s.encoder.encodeQueueSize;
      if (q > queueMax) queueMax = q;
      anchor(s, frame.timestamp);
      const t = mapTime(s, frame.timestamp);
      const key = s.forceKey || t - s.lastKey >= v.keyframeMs * 1000;
      // Dropped before encoding: the encoder's queue is full, or each frame takes it
      // longer than the budget (then every other frame; a keyframe never).
      const late = s.latency > v.budgetMs && !key && !s.skipped;
      s.skipped = late;
      if (q >= v.maxQueue || late) {
        droppedBeforeEncoding++;
        return;
      }
      if (s.drainUntil && now() >= s.drainUntil) {
        s.drainUntil = 0;
        s.encoder.configure(videoConfig(s.size[0], s.size[1]));
      }
      // <test-hook> (the shipped package leaves this out: scripts/package.mjs)
      if (v.faultAfter && encodedFrames >= v.faultAfter) {
        // Test hook (see startEncoder): a size no VP8/VP9 encoder takes, so the real
        // encoder fails through its error callback.
        v.faultAfter = 0;
        s.encoder.configure(videoConfig(70000, 70000));
      }
      // </test-hook>
      const w = frame.displayWidth;
      const h = frame.displayHeight;
      if (w !== s.size[0] || h !== s.size[1]) {
        // The track's size changed (quality level, rotation): encode at the new size.
        s.size = [w, h];
        s.drainUntil = 0;
        s.encoder.configure(videoConfig(w, h));
        s.forceKey = true;
      }
      const keyNow = key || s.forceKey;
      if (keyNow) {
        s.lastKey = t;
        s.forceKey = false;
      }
      s.pending.set(frame.timestamp, performance.now());
      // Frames the encoder itself dropped never come out: forget the oldest.
      if (s.pending.size > 64) s.pending.delete(s.pending.keys().next().value);
      s.encoder.encode(frame, { keyFrame: keyNow });
    });
  }

  function startAudio(readable) {
    const a = cfg.audio;
    const s = side('audio');
    s.reader = readable.getReader();
    audio = s;
    pump(s, (data) => {
      if (!s.encoder) {
        s.encoder = new AudioEncoder({
          output: (chunk, meta) => {
            const desc = meta && meta.decoderConfig && meta.decoderConfig.description;
            if (desc && !s.described) {
              s.described = true;
              const head = desc instanceof ArrayBuffer ? new Uint8Array(desc) : new Uint8Array(desc.buffer, desc.byteOffset, desc.byteLength);
              if (mux) muxIn(head.byteLength, (d) => d.set(head), () => mux.x.mrp_mux_opus_head(mux.h));
            }
            encoded(1, mapTime(s, chunk.timestamp), 1, chunk);
          },
          error: (e) => fail('AudioEncoder', e),
        });
        s.encoder.configure({
          codec: 'opus',
          sampleRate: data.sampleRate,
          numberOfChannels: data.numberOfChannels,
          bitrate: a.bitrate,
        });
        if (mux) mux.x.mrp_mux_audio_format(mux.h, data.sampleRate, data.numberOfChannels);
      }
      anchor(s, data.timestamp);
      s.encoder.encode(data);
    });
  }

  async function stop() {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    const sides = [video, audio].filter(Boolean);
    await Promise.all(sides.map((s) => s.reader && s.reader.cancel().catch(() => {})));
    await Promise.all(
      sides.map((s) =>
        s.encoder && s.encoder.state === 'configured' ? s.encoder.flush().catch(() => {}) : null,
      ),
    );
    for (const s of sides) {
      if (s.encoder && s.encoder.state !== 'closed') s.encoder.close();
    }
    batch(true);
    if (mux) mux.x.mrp_mux_free(mux.h);
    mux = null;
    flushed = true;
    post({ type: 'flushed' });
  }

  const handle = (m, streams) => {
    switch (m.type) {
      case 'init':
        cfg = m;
        if (cfg.video) cfg.video.bitrate = cfg.video.encoder.bitrate;
        (async () => {
          try {
            await muxStart(m.module);
          } catch (e) {
            fail('muxer', e);
            return;
          }
          if (stopping) return;
          try {
            if (streams.video) startVideo(streams.video);
            if (streams.audio) startAudio(streams.audio);
          } catch (e) {
            fail('start', e);
            return;
          }
          timer = setInterval(() => batch(false), cfg.timesliceMs);
        })();
        break;
      case 'bitrate':
        if (video && !stopping && video.encoder.state === 'configured') {
          const old = cfg.video.bitrate;
          cfg.video.bitrate = m.bps;
          // libvpx's CBR has banked up to a second of bits at the old rate: a step down
          // first spends 400 ms at new²/old, so that the output meets the new target at
          // once (measured, 400 → 250 kbit/s: the first second after the step at 242k
          // instead of 336k, the next at 246k).
          const drain = m.bps < old ? Math.round((m.bps * m.bps) / old) : 0;
          video.drainUntil = drain ? now() + 400 : 0;
          try {
            video.encoder.configure(videoConfig(video.size[0], video.size[1], drain));
          } catch (e) {
            fail('VideoEncoder', e);
          }
        }
        break;
      case 'pause':
        if (!paused) {
          paused = true;
          pauseStart = now();
        }
        break;
      case 'resume':
        if (paused) {
          paused = false;
          pauseTotalUs += (now() - pauseStart) * 1000;
          if (video) video.forceKey = true;
        }
        break;
      case 'stop':
        stop();
        break;
    }
  };
  scope.onmessage = (e) => handle(e.data, { video: e.data.videoStream, audio: e.data.audioStream });
  return handle;
}

// `probeEncoders(video, audio, preferHardware)`: what this browser lacks for the
// engine, or whether the video config is supported, and with which hardwareAcceleration
// (a hardware encoder first if asked for, then any). `video` is the VideoEncoder config
// without hardwareAcceleration, or null. Resolves to { missing } or { supported,
// hardwareAcceleration }.
export async function probeEncoders(video, audio, preferHardware) {
  const g = globalThis;
  for (const [need, name] of [
    [true, 'MediaStreamTrackProcessor'],
    [!!video, 'VideoEncoder'],
    [audio, 'AudioEncoder'],
  ]) {
    if (need && typeof g[name] !== 'function') return { missing: name };
  }
  if (audio) {
    const a = await AudioEncoder.isConfigSupported({ codec: 'opus', sampleRate: 48000, numberOfChannels: 1 });
    if (!a.supported) return { supported: false, what: 'opus' };
  }
  if (!video) return { supported: true, hardwareAcceleration: null };
  for (const hw of preferHardware ? ['prefer-hardware', 'no-preference'] : ['no-preference']) {
    const r = await VideoEncoder.isConfigSupported(Object.assign({}, video, { hardwareAcceleration: hw }));
    if (r.supported) return { supported: true, hardwareAcceleration: hw };
  }
  return { supported: false, what: video.codec };
}

// `startEncoder(init, videoTrack, audioTrack, onMessage, mainThread)`: makes a
// MediaStreamTrackProcessor per track and starts the loop in a Worker (the processors'
// readables are transferred), or on the main thread if `mainThread` is set or the
// Worker cannot be made. Returns { mode, post(msg), close() }. Messages to
// `onMessage` come asynchronously, never from inside `post`.
export function startEncoder(init, videoTrack, audioTrack, onMessage, mainThread) {
  // <test-hook> (the shipped package leaves this out: scripts/package.mjs)
  // `globalThis.__mrpEncoderFault = n` makes the next stream's real video encoder fail
  // after n frames came out (there is no other way to make one fail on demand). Read
  // once, here. The browser tests (wasm-pack test) run this source as it is.
  const fault = globalThis.__mrpEncoderFault;
  if (init.video && fault > 0) {
    init.video.faultAfter = fault;
    globalThis.__mrpEncoderFault = 0;
  }
  // </test-hook>
  const video = videoTrack ? new MediaStreamTrackProcessor({ track: videoTrack }).readable : null;
  const audio = audioTrack ? new MediaStreamTrackProcessor({ track: audioTrack }).readable : null;
  if (!mainThread && typeof Worker === 'function') {
    let url = null;
    try {
      // The Worker says `ready` first thing: see inWorker.
      url = URL.createObjectURL(
        new Blob(['postMessage({ type: "ready" });(' + encoderLoop.toString() + ')(self);'], {
          type: 'text/javascript',
        }),
      );
      return inWorker(new Worker(url), url, init, video, audio, onMessage);
    } catch (e) {
      // No Worker here (one that throws at once, as some CSPs make it): the main
      // thread runs the loop.
      if (url) URL.revokeObjectURL(url);
    }
  }
  return onMainThread(init, video, audio, onMessage);
}

// The loop in `worker`. Nothing goes to it, the processors' streams least of all, until
// it says `ready`: a Worker that the page's CSP refuses (`worker-src 'self'`, no
// `blob:`) is made without complaint and fails afterwards with an `error` event, and
// then the streams must still be here for the main thread, which takes over and says
// so (a `mode` message). Messages posted meanwhile wait and go to whichever runs.
function inWorker(worker, url, init, video, audio, onMessage) {
  let queue = [];
  let target = null;
  let closed = false;
  const end = () => {
    worker.terminate();
    URL.revokeObjectURL(url);
  };
  const handle = {
    mode: 'worker',
    post: (m) => (target ? target.post(m) : queue.push(m)),
    close: () => {
      closed = true;
      if (target) target.close();
      else end();
    },
  };
  const begin = (t) => {
    target = t;
    for (const m of queue) t.post(m);
    queue = [];
  };
  worker.onmessage = (e) => {
    if (target) onMessage(e.data);
    else if (e.data && e.data.type === 'ready' && !closed) {
      const streams = [video, audio].filter(Boolean);
      worker.postMessage(Object.assign({}, init, { videoStream: video, audioStream: audio }), streams);
      begin({ post: (m) => worker.postMessage(m), close: end });
    }
  };
  worker.onerror = (e) => {
    e.preventDefault();
    if (!target) {
      end();
      if (closed) return;
      handle.mode = 'main-thread';
      onMessage({ type: 'mode', mode: 'main-thread', reason: 'worker: ' + (e.message || 'refused') });
      begin(onMainThread(init, video, audio, onMessage));
      return;
    }
    onMessage({ type: 'error', message: 'worker: ' + (e.message || 'failed') });
    onMessage({ type: 'flushed' });
  };
  return handle;
}

// The loop on the main thread, with its own instance of the muxer.
function onMainThread(init, video, audio, onMessage) {
  let closed = false;
  const scope = {
    postMessage: (m) => queueMicrotask(() => closed || onMessage(m)),
  };
  const handle = encoderLoop(scope);
  handle(init, { video, audio });
  return {
    mode: 'main-thread',
    post: (m) => queueMicrotask(() => closed || handle(m, {})),
    close: () => {
      closed = true;
      handle({ type: 'stop' }, {});
    },
  };
}

// `muxModule()`: the compiled muxer (codecs.wasm, beside this file; a bundler emits it
// from this `new URL`), fetched and compiled once, streaming where the server sends
// `application/wasm`.
let muxing = null;
export function muxModule() {
  if (!muxing) {
    const url = new URL('./codecs.wasm', import.meta.url);
    muxing = WebAssembly.compileStreaming(fetch(url))
      .catch(() => fetch(url).then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return r.arrayBuffer();
      }).then((b) => WebAssembly.compile(b)));
    muxing.catch(() => { muxing = null; });
  }
  return muxing;
}

// <test-hook> (the shipped package leaves this out: scripts/package.mjs)
// The browser tests link this file and the muxer into their one wasm (the feature
// `linked-codecs`): this namespace stands in for the loaded module, with their own
// compiled module as the muxer.
export function linked(module) {
  return { startEncoder, probeEncoders, muxModule: () => Promise.resolve(module) };
}
// </test-hook>
