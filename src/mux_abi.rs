//! The WebM muxer as plain wasm exports (numbers in, numbers out): the wasm of the
//! package's `codecs` module, which the WebCodecs engine's loop (`js/codecs.js`)
//! instantiates in its Worker, or on the main thread where it runs there.
//!
//! Built alone (`--no-default-features --features mux-abi`: no shell, no
//! wasm-bindgen), the module has no imports; these functions use no JS values and do
//! not panic, only memory: bytes travel through the instance's memory at the addresses
//! they return. (The browser tests link them into their own build instead, feature
//! `linked-codecs`, and hand the loop that module.)
//!
//! A muxer is a handle (a slot number + 1; 0 means "none"). Per frame: `mrp_mux_input`
//! gives the address of a buffer of the frame's length, the Worker copies the frame
//! there, `mrp_mux_push` queues it. `mrp_mux_take` moves the bytes ready into the output
//! buffer and returns their length; `mrp_mux_output` gives its address.

use std::cell::RefCell;

use crate::core::ebml::muxer::{MuxerOptions, TrackKind, VideoCodec, VideoTrack, WebmMuxer};

struct Slot {
    muxer: WebmMuxer,
    input: Vec<u8>,
    output: Vec<u8>,
}

thread_local! {
    static SLOTS: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

fn with<R>(h: u32, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
    SLOTS.with(|slots| {
        let mut slots = slots.try_borrow_mut().ok()?;
        let i = usize::try_from(h.checked_sub(1)?).ok()?;
        slots.get_mut(i)?.as_mut().map(f)
    })
}

/// A new muxer: `video` 0 (none), 1 (VP8) or 2 (VP9) at `width`×`height`; `audio` 1 for
/// an Opus track. Returns its handle (0 if it could not be made).
#[no_mangle]
pub extern "C" fn mrp_mux_new(video: u32, width: u32, height: u32, audio: u32) -> u32 {
    let codec = match video {
        1 => Some(VideoCodec::Vp8),
        2 => Some(VideoCodec::Vp9),
        _ => None,
    };
    let slot = Slot {
        muxer: WebmMuxer::new(MuxerOptions::live(
            codec.map(|codec| VideoTrack {
                codec,
                width,
                height,
            }),
            audio != 0,
        )),
        input: Vec::new(),
        output: Vec::new(),
    };
    SLOTS
        .with(|slots| {
            let mut slots = slots.try_borrow_mut().ok()?;
            slots.push(Some(slot));
            u32::try_from(slots.len()).ok()
        })
        .unwrap_or(0)
}

/// The address of the input buffer, made `len` bytes long (0 for a bad handle).
#[no_mangle]
pub extern "C" fn mrp_mux_input(h: u32, len: u32) -> u32 {
    with(h, |s| {
        s.input.clear();
        s.input.resize(len as usize, 0);
        s.input.as_mut_ptr() as u32
    })
    .unwrap_or(0)
}

/// Queues the input buffer as a frame of `track` (0 video, 1 audio) at `ts_us`.
#[no_mangle]
pub extern "C" fn mrp_mux_push(h: u32, track: u32, ts_us: f64, key: u32) {
    with(h, |s| {
        let kind = if track == 0 {
            TrackKind::Video
        } else {
            TrackKind::Audio
        };
        s.muxer
            .push(kind, ts_us.max(0.0) as u64, key != 0, &s.input);
    });
}

/// The input buffer is the audio encoder's OpusHead.
#[no_mangle]
pub extern "C" fn mrp_mux_opus_head(h: u32) {
    with(h, |s| s.muxer.set_opus_head(&s.input));
}

/// The audio input's sample rate and channels.
#[no_mangle]
pub extern "C" fn mrp_mux_audio_format(h: u32, rate: u32, channels: u32) {
    with(h, |s| s.muxer.set_audio_format(rate, channels));
}

/// Moves the bytes ready (all of them, the queues drained, if `finish` is 1) into the
/// output buffer; returns their length.
#[no_mangle]
pub extern "C" fn mrp_mux_take(h: u32, finish: u32) -> u32 {
    with(h, |s| {
        s.output = if finish != 0 {
            s.muxer.finish()
        } else {
            s.muxer.take()
        };
        s.output.len() as u32
    })
    .unwrap_or(0)
}

/// The address of the output buffer.
#[no_mangle]
pub extern "C" fn mrp_mux_output(h: u32) -> u32 {
    with(h, |s| s.output.as_ptr() as u32).unwrap_or(0)
}

/// Frees the muxer.
#[no_mangle]
pub extern "C" fn mrp_mux_free(h: u32) {
    SLOTS.with(|slots| {
        if let (Ok(mut slots), Some(i)) = (slots.try_borrow_mut(), h.checked_sub(1)) {
            if let Some(slot) = slots.get_mut(i as usize) {
                *slot = None;
            }
        }
    });
}
