//! How a stream is put together, decided before anything is opened: which engine
//! records it and why, what MediaRecorder records (and whether one stands by), and
//! whether its chunks are indexed. Pure: the shell asks the browser (the WebCodecs
//! probe, `MediaRecorder.isTypeSupported`) and these functions decide.

use crate::core::config::{
    candidate_mime_types, is_indexable, negotiate_mime_type, webcodecs_plan, CodecsPlan,
    EngineChoice, ProducerConfig, Retain, Source, StreamRequest,
};
use crate::core::error::{ErrorKind, ProducerError};

/// What the shell's WebCodecs probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The browser lacks this API (`MediaStreamTrackProcessor`, `VideoEncoder`, …).
    Missing(String),
    /// The encoders do not take the stream's config (the string says which codec).
    Unsupported(String),
    /// The engine's module could not be loaded (the string says why).
    Unavailable(String),
    /// Everything is there; the video encoder runs with this `hardwareAcceleration`.
    Supported(Option<&'static str>),
}

/// The engine that records a capturing stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineKind {
    /// The browser's `MediaRecorder`.
    MediaRecorder,
    /// WebCodecs, writing `plan`, its video encoder at `hardware` acceleration;
    /// `standby` (`engine: "auto"`): MediaRecorder takes over if the encoder fails.
    WebCodecs {
        /// What it writes.
        plan: CodecsPlan,
        /// The video encoder's `hardwareAcceleration` (`None`: no video).
        hardware: Option<&'static str>,
        /// MediaRecorder stands by (`engine: "auto"`).
        standby: bool,
    },
}

/// The engine and why (`engineReason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineDecision {
    /// The engine.
    pub kind: EngineKind,
    /// Why, in words (`engineReason`).
    pub reason: String,
}

/// The first step of choosing: decided, or a WebCodecs plan to probe the browser for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineStep {
    /// Known without the browser.
    Decided(EngineDecision),
    /// WebCodecs would write this, if the browser has what it needs: probe it.
    Probe(CodecsPlan),
}

fn recorder(reason: String) -> EngineDecision {
    EngineDecision {
        kind: EngineKind::MediaRecorder,
        reason,
    }
}

/// WebCodecs cannot record the stream, for `why`: `"auto"` falls back to MediaRecorder
/// and says why; `"webcodecs"` is a `NotSupportedError` naming it.
fn cannot(choice: EngineChoice, why: &str) -> Result<EngineDecision, ProducerError> {
    if choice == EngineChoice::Auto {
        Ok(recorder(
            ["engine: \"auto\" chose MediaRecorder: ", why].concat(),
        ))
    } else {
        Err(ProducerError::new(
            ErrorKind::NotSupported,
            ["videoConfig.engine \"webcodecs\" cannot record here: ", why].concat(),
        ))
    }
}

/// The engine for a capturing stream, as far as it is known without the browser:
/// MediaRecorder when asked for (the default) or when the WebCodecs engine writes none
/// of the stream's types; otherwise the plan to probe for.
pub fn engine_step(req: &StreamRequest, cfg: &ProducerConfig) -> Result<EngineStep, ProducerError> {
    if req.engine == EngineChoice::MediaRecorder {
        return Ok(EngineStep::Decided(recorder(
            "engine: \"mediarecorder\" (the default)".into(),
        )));
    }
    match webcodecs_plan(req, cfg) {
        Ok(plan) => Ok(EngineStep::Probe(plan)),
        Err(why) => cannot(req.engine, &why).map(EngineStep::Decided),
    }
}

/// The engine once the browser was probed for `plan`.
pub fn engine_after_probe(
    choice: EngineChoice,
    plan: CodecsPlan,
    probe: Probe,
) -> Result<EngineDecision, ProducerError> {
    match probe {
        Probe::Missing(api) => cannot(choice, &["this browser has no ", &api].concat()),
        Probe::Unavailable(why) => cannot(choice, &why),
        Probe::Unsupported(what) => cannot(
            choice,
            &[
                "this browser's encoders do not take ",
                &what,
                " for this stream",
            ]
            .concat(),
        ),
        Probe::Supported(hardware) => {
            let auto = choice == EngineChoice::Auto;
            Ok(EngineDecision {
                kind: EngineKind::WebCodecs {
                    plan,
                    hardware,
                    standby: auto,
                },
                reason: if auto {
                    "engine: \"auto\" chose WebCodecs: MediaStreamTrackProcessor and the encoders are present and take the stream's config"
                } else {
                    "engine: \"webcodecs\""
                }
                .into(),
            })
        }
    }
}

/// A stream's types: the recording's, and MediaRecorder's if one records or stands by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTypes {
    /// `stream.mimeType`.
    pub mime_type: String,
    /// What MediaRecorder records: the stream's type, or (`auto`) the one standing by
    /// in case the WebCodecs encoder fails; `None` where no MediaRecorder is made.
    pub recorder: Option<String>,
}

/// The types of a stream recorded by `engine` (`None`: pushed chunks, no engine of the
/// library's). `NotSupportedError` when MediaRecorder must record and supports none of
/// the candidates.
pub fn stream_types(
    req: &StreamRequest,
    cfg: &ProducerConfig,
    engine: Option<&EngineKind>,
    is_supported: impl FnMut(&str) -> bool,
) -> Result<StreamTypes, ProducerError> {
    let codecs = match engine {
        None => {
            return Ok(StreamTypes {
                mime_type: req.mime_type.clone().unwrap_or_default(),
                recorder: None,
            })
        }
        Some(EngineKind::MediaRecorder) => None,
        Some(EngineKind::WebCodecs { plan, standby, .. }) => Some((plan, *standby)),
    };
    let wants_recorder = codecs.map_or(true, |(_, standby)| standby);
    let recorder = if wants_recorder {
        let candidates = candidate_mime_types(req, cfg);
        let found = negotiate_mime_type(&candidates, is_supported);
        if found.is_none() && codecs.is_none() {
            return Err(ProducerError::new(
                ErrorKind::NotSupported,
                [
                    "This browser's MediaRecorder supports none of: ",
                    &candidates.join(", "),
                ]
                .concat(),
            ));
        }
        found
    } else {
        None
    };
    let mime_type = match (codecs, &recorder) {
        (Some((plan, _)), _) => plan.mime_type.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => String::new(),
    };
    Ok(StreamTypes {
        mime_type,
        recorder,
    })
}

/// Whether a stream's chunks are indexed as they come: replay needs the index, and
/// `retain: "all"` and an OPFS file use it to make the recording seekable at stop
/// without reading it again. Only WebM and MP4 are indexed.
pub fn wants_index(req: &StreamRequest, cfg: &ProducerConfig, mime_type: &str) -> bool {
    (req.replay || cfg.retain == Retain::All || req.sink.is_some()) && is_indexable(mime_type)
}

/// Whether a stream captures from a device (else its chunks are pushed).
pub fn captures(req: &StreamRequest) -> bool {
    req.source != Source::External
}

/// A stream's display name: `name`, or its source and number (`"camera 1"`).
pub fn stream_name(req: &StreamRequest, n: u32) -> String {
    if let Some(name) = &req.name {
        return name.clone();
    }
    let source = match req.source {
        Source::Camera => "camera",
        Source::Microphone => "microphone",
        Source::Screen => "screen",
        Source::External => "external",
    };
    [source, " ", &n.to_string()].concat()
}
