//! The machine's vocabulary: its states, the events it takes and the actions it
//! returns.

use super::Lifecycle;
use crate::core::error::ProducerError;
use crate::core::stream::StreamPhase;

/// Why a stream ended (or is ending). The first reason is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum EndReason {
    /// `stopStream`, `disconnect()` or `destroy()` (public state `"stopped"`).
    Stopped,
    /// A track ended, or the recorder stopped on its own (`"ended"`, reported).
    SourceLost(ProducerError),
    /// The recorder failed, could not be restarted, or the recording's file could not
    /// be written (`"ended"`, reported).
    Failed(ProducerError),
}

impl EndReason {
    /// The public state once the stream has ended for this reason.
    pub fn phase(&self) -> StreamPhase {
        match self {
            EndReason::Stopped => StreamPhase::Stopped,
            _ => StreamPhase::Ended,
        }
    }

    /// The error to report, if the stream ended on its own.
    pub fn error(&self) -> Option<&ProducerError> {
        match self {
            EndReason::Stopped => None,
            EndReason::SourceLost(e) | EndReason::Failed(e) => Some(e),
        }
    }
}

/// Where a recorder replacement (a new segment at a new bitrate) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartStep {
    /// The old recorder was asked to stop; waiting for its `stop` (its last chunk).
    Retiring,
    /// The old segment is complete; waiting for its header run to be known.
    Settling,
    /// The new recorder is being made and started.
    Launching,
}

/// Where the end of a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalStep {
    /// Every chunk is in; waiting for the header run to be known.
    Settling,
    /// The last frames are delivered without waiting for listeners' Promises.
    Flushing,
    /// The complete recording (`retain: "all"`) is being emitted.
    Completing,
}

/// A state of the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Media acquired, recorder not started yet.
    Starting,
    /// Recording (or taking pushed chunks).
    Recording,
    /// Paused by `pauseStream`.
    Paused,
    /// The recorder is being replaced by one at `video_bps` (a new segment).
    Restarting {
        /// How far it is.
        step: RestartStep,
        /// The bitrate of the new recorder (the latest asked for once it launches).
        video_bps: u32,
        /// A bitrate asked for meanwhile.
        next_bps: Option<u32>,
        /// Paused meanwhile: the new recorder is paused as soon as it starts.
        paused: bool,
        /// An end asked for while the new recorder launches: it is stopped once started.
        ending: Option<EndReason>,
    },
    /// The recorder was asked to stop; waiting for its `stop` (its last chunk).
    Stopping {
        /// Why.
        reason: EndReason,
    },
    /// The last frames are going out; runs once.
    Finalizing {
        /// How far it is.
        step: FinalStep,
        /// Why.
        reason: EndReason,
    },
    /// Over: everything released, nothing more is delivered.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

/// Something that happened, told to [`Lifecycle::apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The recorder started (or an external source is ready).
    Started {
        /// When, epoch ms (the first segment's start).
        at_ms: f64,
    },
    /// `pauseStream`.
    PauseRequested,
    /// `resumeStream`.
    ResumeRequested,
    /// `stopStream` or `disconnect()`.
    StopRequested,
    /// Adaptive quality wants the video recorded at another bitrate.
    RestartRequested {
        /// Bits per second.
        video_bps: u32,
    },
    /// The recorder being replaced fired `stop`: its last chunk is in. While it is the
    /// only recorder (Retiring, or Stopping after an end asked for then), a
    /// [`Event::RecorderStopped`] counts the same, and this one ends a Stopping wait.
    RecorderRetired,
    /// The header scan has seen every chunk pushed so far (answers [`Action::SettleHeader`]).
    HeaderSettled,
    /// The new recorder of a restart started (answers [`Action::StartNewSegment`]).
    SegmentStarted {
        /// When, epoch ms.
        at_ms: f64,
    },
    /// The new recorder of a restart could not be made or started.
    SegmentFailed(ProducerError),
    /// The recorder fired `stop` (asked for or not): its last chunk is in.
    RecorderStopped,
    /// The recorder fired `error`.
    RecorderFailed(ProducerError),
    /// The encoder failed and the engine has another to switch to (`engine: "auto"`:
    /// WebCodecs → MediaRecorder). While recording or paused this is a restart: the
    /// failed encoder's last chunk is waited for ([`Event::RecorderRetired`]), then a
    /// new segment starts with the other engine. During an end it ends the stream as
    /// [`Event::RecorderFailed`] would.
    EngineSwitching(ProducerError),
    /// A track ended (device unplugged, permission revoked).
    SourceLost(ProducerError),
    /// The stream's recording file could not be written (a full disk): what was
    /// written is kept, and the stream ends with the error.
    SinkFailed(ProducerError),
    /// A chunk arrived. `Err` if the stream takes no more chunks.
    ChunkArrived,
    /// The drain tick.
    Tick {
        /// Now, epoch ms.
        now_ms: f64,
        /// Whether the current segment has media (its header run is closed).
        segment_has_media: bool,
    },
    /// The delivery loop went idle.
    DeliveryIdle,
    /// The complete recording went out (answers [`Action::EmitComplete`]).
    CompleteEmitted,
    /// Memory relief released the chunks kept for `retain: "all"`.
    CompleteAbandoned,
    /// `destroy()`.
    Destroyed,
}

/// What the shell does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start the delivery loop if it is idle.
    Deliver,
    /// Pause the recorder (may fail: see the module docs).
    PauseRecorder,
    /// Resume the recorder (may fail: see the module docs).
    ResumeRecorder,
    /// Stop the recorder; its `stop` answers ([`Event::RecorderStopped`]).
    StopRecorder,
    /// Stop the recorder and keep it as the one retiring; its `stop` answers
    /// ([`Event::RecorderRetired`]).
    RetireRecorder,
    /// Let the header scan finish and close an open header run ([`Event::HeaderSettled`]).
    SettleHeader,
    /// Begin a ring segment and start a recorder at `video_bps` ([`Event::SegmentStarted`]).
    StartNewSegment {
        /// Bits per second.
        video_bps: u32,
    },
    /// Deliver the rest without awaiting listeners' Promises ([`Event::DeliveryIdle`]).
    BeginFlush,
    /// Emit the complete recording (`metadata.isComplete`) ([`Event::CompleteEmitted`]).
    EmitComplete,
    /// Release everything the stream owns; its final state is [`Lifecycle::phase`].
    Release,
    /// Report why the stream ended (`onError`, status error).
    Report(ProducerError),
    /// Report an error the stream lives on after (`onError` only).
    Warn(ProducerError),
}

/// The actions of one transition, in order (at most two; no allocation, as a chunk
/// arrival is a transition).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions([Option<Action>; 2]);

impl Actions {
    pub(super) fn none() -> Self {
        Actions::default()
    }

    pub(super) fn one(a: Action) -> Self {
        Actions([Some(a), None])
    }

    pub(super) fn two(a: Action, b: Action) -> Self {
        Actions([Some(a), Some(b)])
    }

    /// The actions in order.
    pub fn iter(&self) -> impl Iterator<Item = &Action> {
        self.0.iter().flatten()
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.0[0].is_none()
    }

    /// Whether `action` is among them.
    pub fn contains(&self, action: &Action) -> bool {
        self.iter().any(|a| a == action)
    }
}

impl IntoIterator for Actions {
    type Item = Action;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<Action>, 2>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().flatten()
    }
}

/// The result of [`Lifecycle::step`]: the next state and what to do to get there.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The lifecycle after the event.
    pub next: Lifecycle,
    /// What the shell does, in order.
    pub actions: Actions,
}
