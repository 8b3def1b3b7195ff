//! The WebCodecs engine: `MediaStreamTrackProcessor` → `VideoEncoder`/`AudioEncoder`
//! (in a dedicated Worker where one can be made) → the library's WebM muxer.
//!
//! The engine's loop lives in the package's `codecs` module ([`crate::web::features`]),
//! loaded when a stream first chooses this engine: the main thread makes a processor
//! per track and hands their `readable`s to the loop (`js/codecs.js`), which runs in a
//! Worker made from its own source (the streams are transferred) or, where that fails,
//! on the main thread. Either way it muxes with its own instance of the module's muxer
//! (`src/mux_abi.rs`) and sends one finished chunk (a Blob) per timeslice, as a
//! MediaRecorder's `dataavailable` would: this side only relays chunks and figures.
//!
//! What MediaRecorder cannot do, this engine does:
//! - the video bitrate changes in place, with a new `configure()` between frames: no
//!   new segment, no gap ([`Reconfig::InPlace`]);
//! - frames are dropped before encoding when the encoder's queue is full or its time
//!   per frame is over `maxProcessingTime` (then every other one), counted as
//!   `framesDroppedBeforeEncoding`, apart from the ring's drops;
//! - the encoder runs off the main thread.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MediaStreamTrack;

use super::{EncoderLoad, Engine, EngineSink, Reconfig};
use crate::core::config::CodecsPlan;
use crate::core::ebml::muxer::VideoCodec;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::ring::HeaderPolicy;
use crate::web::features::{Codecs, EncoderLoop};
use crate::web::interop::{self, from_js, get, set};

/// Frames the video encoder may have queued before the next frame is dropped instead
/// of encoded (mediabunny drops at 8, the W3C sample at 30; realtime encoding that
/// falls this far behind is better served by fewer frames than by more latency).
pub const MAX_ENCODE_QUEUE: u32 = 8;

/// Keyframe interval when the stream asks for none, ms.
pub const DEFAULT_KEYFRAME_MS: u32 = 2_000;

/// What the engine records and how.
pub struct CodecsSetup {
    /// The type, codecs and tracks it writes.
    pub plan: CodecsPlan,
    /// The video track (of the pipeline's lease), if any.
    pub video: Option<MediaStreamTrack>,
    /// The audio track, if any.
    pub audio: Option<MediaStreamTrack>,
    /// Video size and frame rate at the start (the track's settings).
    pub width: u32,
    /// Height at the start.
    pub height: u32,
    /// Frame rate at the start, if known.
    pub frame_rate: Option<f64>,
    /// Video bitrate, bits/s.
    pub video_bps: u32,
    /// Audio bitrate, bits/s.
    pub audio_bps: u32,
    /// One chunk per this many ms.
    pub timeslice_ms: u32,
    /// A keyframe at least this often, ms.
    pub keyframe_ms: u32,
    /// `"prefer-hardware"` or `"no-preference"`.
    pub hardware: &'static str,
    /// Encode time per frame above which every other frame is dropped before encoding
    /// (`maxProcessingTime`), ms.
    pub budget_ms: f64,
    /// Run the loop on the main thread even where a Worker could be made.
    pub main_thread: bool,
    /// The `codecs` module (loaded when the engine was chosen).
    pub codecs: Rc<Codecs>,
}

/// The loop's messages reach the engine through this (held until `close`).
type MessageHandler = Closure<dyn FnMut(JsValue)>;

struct Inner {
    setup: CodecsSetup,
    sink: RefCell<Option<Rc<dyn EngineSink>>>,
    looped: RefCell<Option<EncoderLoop>>,
    on_message: RefCell<Option<MessageHandler>>,
    mode: Cell<&'static str>,
    video_bps: Cell<u32>,
    paused: Cell<bool>,
    /// `stop` was asked for (or the loop failed): `stopped` follows its `flushed`.
    stopping: Cell<bool>,
    /// The loop sent `flushed`: nothing more comes.
    finished: Cell<bool>,
    failed: Cell<bool>,
    dropped_before_encoding: Cell<u64>,
    /// The encoder's figures since the last [`Engine::take_encoder_load`].
    window: Cell<Window>,
}

/// The loop's owner: an engine dropped without `close` (a pipeline torn down on an
/// error path) still ends its Worker and its processors, as `close` does.
impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(l) = self.looped.get_mut().take() {
            l.close();
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Window {
    queue: u32,
    encode_ms_sum: f64,
    encoded: u32,
    drops_at_start: u64,
}

/// Records a `MediaStream`'s tracks with WebCodecs. See the module docs.
pub struct CodecsEngine {
    inner: Rc<Inner>,
}

impl CodecsEngine {
    /// An engine for `setup` (nothing runs before [`Engine::start`]).
    pub fn new(mut setup: CodecsSetup) -> Self {
        // A stream that got no audio track (a camera without a microphone) records
        // video only: no Opus track to wait for.
        if setup.audio.is_none() && setup.plan.audio && setup.plan.video.is_some() {
            setup.plan.audio = false;
            if let Some(v) = setup.plan.video {
                setup.plan.mime_type = ["video/webm;codecs=", v.mime_name()].concat();
            }
        }
        let video_bps = setup.video_bps;
        CodecsEngine {
            inner: Rc::new(Inner {
                setup,
                sink: RefCell::new(None),
                looped: RefCell::new(None),
                on_message: RefCell::new(None),
                mode: Cell::new("main-thread"),
                video_bps: Cell::new(video_bps),
                paused: Cell::new(false),
                stopping: Cell::new(false),
                finished: Cell::new(false),
                failed: Cell::new(false),
                dropped_before_encoding: Cell::new(0),
                window: Cell::new(Window::default()),
            }),
        }
    }
}

pub use crate::core::assembly::Probe;

/// Whether this browser can run the engine for `plan` at `width`×`height` and
/// `video_bps`, asking for a hardware encoder first if `prefer_hardware`.
pub async fn probe(
    codecs: &Codecs,
    plan: &CodecsPlan,
    width: u32,
    height: u32,
    video_bps: u32,
    prefer_hardware: bool,
) -> Result<Probe, ProducerError> {
    let video = match plan.video {
        Some(codec) => encoder_config(codec, width, height, video_bps, None),
        None => JsValue::NULL,
    };
    let r = wasm_bindgen_futures::JsFuture::from(codecs.module.probe_encoders(
        &video,
        plan.audio,
        prefer_hardware,
    ))
    .await
    .map_err(|e| from_js(&e))?;
    if let Some(m) = get(&r, "missing").as_string() {
        return Ok(Probe::Missing(m));
    }
    if get(&r, "supported").as_bool() != Some(true) {
        return Ok(Probe::Unsupported(
            get(&r, "what").as_string().unwrap_or_default(),
        ));
    }
    Ok(Probe::Supported(
        match get(&r, "hardwareAcceleration").as_string().as_deref() {
            Some("prefer-hardware") => Some("prefer-hardware"),
            Some(_) => Some("no-preference"),
            None => None,
        },
    ))
}

/// The `VideoEncoderConfig` (without `hardwareAcceleration`) of `codec` at
/// `width`×`height` and `bps`, built once: the probe asks the browser about it and the
/// loop configures it, at the frames' size and the bitrate of the moment. Realtime, and
/// constant: libvpx's CBR meets a target within about 2 s of a change, keyframes
/// included; its VBR here stayed 20–40 % over a lowered target (measured).
fn encoder_config(
    codec: VideoCodec,
    width: u32,
    height: u32,
    bps: u32,
    frame_rate: Option<f64>,
) -> JsValue {
    let v = interop::object();
    set(&v, "codec", &codec.webcodecs().into());
    set(&v, "width", &width.into());
    set(&v, "height", &height.into());
    set(&v, "bitrate", &bps.into());
    set(&v, "latencyMode", &"realtime".into());
    set(&v, "bitrateMode", &"constant".into());
    if let Some(f) = frame_rate {
        set(&v, "framerate", &f.into());
    }
    v
}

/// A message from the encoding loop, read once.
enum LoopMessage {
    /// A finished chunk (muxed by the loop), with the loop's figures.
    Chunk(Option<web_sys::Blob>, JsValue),
    /// The loop's figures alone.
    Stats(JsValue),
    /// The Worker was refused after it was made: the main thread runs the loop.
    MainThread,
    /// The encoder (or the loop) failed, with why.
    Failed(String),
    /// Everything encoded was handed over: nothing more comes.
    Flushed,
    /// A message this side does not know.
    Other,
}

impl LoopMessage {
    fn read(m: &JsValue) -> Self {
        match get(m, "type").as_string().as_deref() {
            Some("blob") => LoopMessage::Chunk(get(m, "blob").dyn_into().ok(), get(m, "stats")),
            Some("stats") => LoopMessage::Stats(get(m, "stats")),
            Some("mode") => LoopMessage::MainThread,
            Some("error") => LoopMessage::Failed(get(m, "message").as_string().unwrap_or_default()),
            Some("flushed") => LoopMessage::Flushed,
            _ => LoopMessage::Other,
        }
    }
}

fn message(kind: &str) -> JsValue {
    let m = interop::object();
    set(&m, "type", &kind.into());
    m
}

impl Inner {
    fn sink(&self) -> Option<Rc<dyn EngineSink>> {
        self.sink.borrow().clone()
    }

    fn post(&self, m: &JsValue) {
        if let Some(l) = self.looped.borrow().as_ref() {
            l.post(m);
        }
    }

    fn on_message(&self, m: JsValue) {
        match LoopMessage::read(&m) {
            LoopMessage::Chunk(blob, stats) => {
                self.take_stats(&stats);
                if let (Some(blob), Some(s)) = (blob, self.sink()) {
                    s.chunk(blob);
                }
            }
            LoopMessage::Stats(stats) => self.take_stats(&stats),
            // A CSP without `blob:` refused the Worker after it was made: the main
            // thread runs the loop from the start.
            LoopMessage::MainThread => self.mode.set("main-thread"),
            LoopMessage::Failed(why) => {
                if self.failed.replace(true) {
                    return;
                }
                self.stopping.set(true);
                let err = ProducerError::new(
                    ErrorKind::Encoder,
                    [
                        "the WebCodecs encoder failed (",
                        why.as_str(),
                        "); what was encoded before it was kept",
                    ]
                    .concat(),
                );
                if let Some(s) = self.sink() {
                    s.failed(err);
                }
            }
            LoopMessage::Flushed => {
                if self.finished.replace(true) {
                    return;
                }
                let looped = self.looped.borrow_mut().take();
                if let Some(l) = looped {
                    l.close();
                }
                if let Some(s) = self.sink() {
                    s.stopped();
                }
            }
            LoopMessage::Other => {}
        }
    }

    /// The loop's figures (`stats`) into the engine's window.
    fn take_stats(&self, stats: &JsValue) {
        if let Some(n) = get(stats, "droppedBeforeEncoding").as_f64() {
            self.dropped_before_encoding.set(n as u64);
        }
        let mut w = self.window.get();
        let q = get(stats, "queueMax").as_f64().unwrap_or(0.0) as u32;
        w.queue = w.queue.max(q);
        let n = get(stats, "encodeN").as_f64().unwrap_or(0.0);
        w.encode_ms_sum += get(stats, "encodeMs").as_f64().unwrap_or(0.0) * n;
        w.encoded += n as u32;
        self.window.set(w);
    }
}

impl Engine for CodecsEngine {
    fn start(&self, sink: Rc<dyn EngineSink>) -> Result<(), ProducerError> {
        let inner = &self.inner;
        *inner.sink.borrow_mut() = Some(sink);
        let s = &inner.setup;
        let video = s.video.clone().filter(|_| s.plan.video.is_some());
        let audio = s.audio.clone().filter(|_| s.plan.audio);
        let init = message("init");
        set(&init, "t0", &(js_sys::Date::now()).into());
        set(&init, "mimeType", &s.plan.mime_type.as_str().into());
        // The compiled muxer, for the loop's own instance (src/mux_abi.rs).
        set(&init, "module", &s.codecs.mux);
        set(&init, "timesliceMs", &s.timeslice_ms.into());
        if let Some(codec) = s.plan.video {
            let v = interop::object();
            let encoder = encoder_config(codec, s.width, s.height, s.video_bps, s.frame_rate);
            set(&v, "encoder", &encoder);
            set(&v, "hardwareAcceleration", &s.hardware.into());
            set(&v, "keyframeMs", &s.keyframe_ms.into());
            set(&v, "maxQueue", &MAX_ENCODE_QUEUE.into());
            set(&v, "budgetMs", &s.budget_ms.into());
            set(&init, "video", &v);
        }
        if s.plan.audio {
            let a = interop::object();
            set(&a, "bitrate", &s.audio_bps.into());
            set(&init, "audio", &a);
        }
        let weak: Weak<Inner> = Rc::downgrade(inner);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
            if let Some(inner) = weak.upgrade() {
                inner.on_message(m);
            }
        });
        let looped = s
            .codecs
            .module
            .start_encoder(
                &init,
                video,
                audio,
                on_message.as_ref().unchecked_ref(),
                s.main_thread,
            )
            .map_err(|e| from_js(&e))?;
        inner.mode.set(if looped.mode() == "worker" {
            "worker"
        } else {
            "main-thread"
        });
        *inner.looped.borrow_mut() = Some(looped);
        *inner.on_message.borrow_mut() = Some(on_message);
        Ok(())
    }

    fn pause(&self) -> Result<(), ProducerError> {
        if !self.inner.paused.replace(true) {
            self.inner.post(&message("pause"));
        }
        Ok(())
    }

    fn resume(&self) -> Result<(), ProducerError> {
        if self.inner.paused.replace(false) {
            self.inner.post(&message("resume"));
        }
        Ok(())
    }

    fn stop(&self) -> bool {
        let inner = &self.inner;
        if inner.finished.get() || inner.looped.borrow().is_none() {
            return false;
        }
        if !inner.stopping.replace(true) {
            inner.post(&message("stop"));
        }
        true
    }

    fn reconfigure(&self, video_bps: u32) -> Reconfig {
        if self.inner.setup.plan.video.is_none() {
            return Reconfig::Unsupported;
        }
        if self.inner.video_bps.replace(video_bps) != video_bps {
            let m = message("bitrate");
            set(&m, "bps", &video_bps.into());
            self.inner.post(&m);
        }
        Reconfig::InPlace
    }

    fn retire(&self) -> bool {
        false
    }

    fn start_segment(&self, _video_bps: u32) -> Result<(), ProducerError> {
        Ok(())
    }

    fn header_policy(&self) -> HeaderPolicy {
        HeaderPolicy::Scan
    }

    fn mime_type(&self) -> String {
        self.inner.setup.plan.mime_type.clone()
    }

    fn captures(&self) -> bool {
        true
    }

    fn close(&self) {
        let inner = &self.inner;
        inner.finished.set(true);
        let looped = inner.looped.borrow_mut().take();
        if let Some(l) = looped {
            l.close();
        }
        let closure = inner.on_message.borrow_mut().take();
        drop(closure);
        let sink = inner.sink.borrow_mut().take();
        drop(sink);
    }

    fn name(&self) -> &'static str {
        "webcodecs"
    }

    fn mode(&self) -> Option<&'static str> {
        Some(self.inner.mode.get())
    }

    fn dropped_before_encoding(&self) -> Option<u64> {
        Some(self.inner.dropped_before_encoding.get())
    }

    fn take_encoder_load(&self) -> Option<EncoderLoad> {
        let inner = &self.inner;
        let drops = inner.dropped_before_encoding.get();
        let w = inner.window.replace(Window {
            drops_at_start: drops,
            ..Window::default()
        });
        Some(EncoderLoad {
            queue: w.queue,
            encode_ms: if w.encoded > 0 {
                w.encode_ms_sum / f64::from(w.encoded)
            } else {
                0.0
            },
            encoded: w.encoded,
            drops: drops.saturating_sub(w.drops_at_start),
        })
    }

    fn bitrate_in_place(&self) -> bool {
        self.inner.setup.plan.video.is_some()
    }
}
