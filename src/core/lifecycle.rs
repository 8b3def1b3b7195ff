//! [`Lifecycle`]: the life of one stream as one pure state machine.
//!
//! The browser shell feeds it [`Event`]s (a call from the app, a recorder or track
//! event, the answer to an earlier action) and does the [`Action`]s it returns, in
//! order. The machine decides; the shell only moves data between it and the browser.
//! A request that does not fit the state now (pause while stopping) is refused with an
//! `InvalidStateError` and leaves the machine as it was. Time comes in as numbers.
//!
//! # States
//!
//! ```text
//!  Starting ─Started─► Recording ◄─PauseRequested / ResumeRequested─► Paused
//!     │                  │    ▲
//!     │ RestartRequested │    │ SegmentStarted (to Paused if paused meanwhile)
//!     │ or Tick (due)    ▼    │
//!     │   Restarting: Retiring ─RecorderRetired─► Settling ─HeaderSettled─► Launching
//!     │                  │                           │                       │
//!     │   end (Recording,│Paused, Retiring)          │ end                   │ SegmentFailed
//!     │                  ▼                           │                       │
//!     │              Stopping ─RecorderStopped─┐     │                       │
//!     │                                        ▼     ▼                       ▼
//!     │              Finalizing: Settling ─HeaderSettled─► Flushing ─DeliveryIdle─► Completing
//!     │                                                      │ no complete         │
//!     │ end before Started                                   ▼ recording           │ CompleteEmitted
//!     └───────────────────────────────────────────────────► Ended ◄──────────────┘
//!
//!  end = StopRequested | SourceLost | RecorderFailed. While Launching, an end waits for
//!  SegmentStarted and then goes to Stopping. A recorder that stops unasked (Recording,
//!  Paused) goes straight to Finalizing. Destroyed: any state ──► Ended (Release only).
//! ```
//!
//! | state | public `state` ([`StreamPhase`]) |
//! |---|---|
//! | `Starting`, `Recording` | `"recording"` (a starting stream is not visible yet) |
//! | `Paused` | `"paused"` |
//! | `Restarting` | `"recording"`, `"paused"` if paused meanwhile, `"stopping"` once an end is asked |
//! | `Stopping`, `Finalizing` | `"stopping"` |
//! | `Ended` | `"stopped"` ([`EndReason::Stopped`]), else `"ended"` |
//!
//! An end asked for during a restart ends at the old recorder where it can: while the
//! old recorder is retiring, its `stop` is the last chunk the stream waits for; once
//! its segment is complete, no new recorder is started. Only a recorder already being
//! launched is started and then stopped. A bitrate waiting for the next restart is
//! called off. The first end reason is kept: a source lost while stopping changes
//! nothing.
//!
//! Errors the machine makes (a refused pause, a recorder that stopped on its own) name
//! no stream: the shell puts `Stream {id}: ` (or the call's stream id) in front.
//!
//! # Replacing today's flags (`src/web/stream.rs`)
//!
//! | today | with the machine |
//! |---|---|
//! | `info.state`, `info.active` | [`Lifecycle::phase`], `phase().is_active()` |
//! | `scanning` | stays the scan task's own flag; waiting for it is [`Action::SettleHeader`] → [`Event::HeaderSettled`] |
//! | `delivering` | stays the delivery loop's own flag; `kick_delivery` on [`Action::Deliver`]; `go_idle` sends [`Event::DeliveryIdle`] (the shell sends it at once after [`Action::BeginFlush`] if the loop is idle) |
//! | `flushing` | [`Lifecycle::is_flushing`]; set by [`Action::BeginFlush`] (resolve `flush_signal` there and at [`Action::Release`]) |
//! | `finalizing` | `Finalizing` or `Ended`; `finalize()` becomes the actions SettleHeader → BeginFlush → EmitComplete → Release |
//! | `stop_requested` | [`Event::StopRequested`]; its checks (ignore a lost source, a restart) are the machine's: it ignores those events once an end is under way |
//! | `end_reason` | [`Lifecycle::end_reason`] ([`EndReason`]) |
//! | `restarting` | `Restarting` |
//! | `retired` | `Restarting { step: Retiring }` → `Settling` on [`Event::RecorderRetired`] (the `stop` of the recorder in `retiring`) |
//! | `next_bps` | `Restarting { next_bps }` during a restart, [`Lifecycle::deferred_bps`] after it; the 100 ms poll becomes [`Event::Tick`] |
//! | `video_bps` | [`Lifecycle::video_bps`] (changes on [`Event::SegmentStarted`]) |
//! | `complete_abandoned` | [`Event::CompleteAbandoned`] (memory relief); [`Action::EmitComplete`] never follows it |
//! | `Stream::is_finalized` | [`Lifecycle::is_ended`] |
//!
//! What the shell answers: [`Action::StopRecorder`] with [`Event::RecorderStopped`],
//! [`Action::RetireRecorder`] with [`Event::RecorderRetired`] (both at once when no
//! recorder runs, e.g. a `source: "external"` stream), [`Action::SettleHeader`] with
//! [`Event::HeaderSettled`], [`Action::StartNewSegment`] with [`Event::SegmentStarted`]
//! or [`Event::SegmentFailed`], [`Action::BeginFlush`] with [`Event::DeliveryIdle`],
//! [`Action::EmitComplete`] with [`Event::CompleteEmitted`] (also when no listener
//! took it). [`Action::PauseRecorder`] and [`Action::ResumeRecorder`] can fail in the
//! browser: the shell applies the event with [`Lifecycle::step`] and keeps the new
//! state only if they did not, so a refused pause leaves the stream as it was.
//!
//! ```
//! use media_recorder_producer::core::config::Retain;
//! use media_recorder_producer::core::error::ErrorKind;
//! use media_recorder_producer::core::lifecycle::{Action, Event, Lifecycle};
//! use media_recorder_producer::core::stream::StreamPhase;
//!
//! let mut stream = Lifecycle::new(Some(2_500_000), Retain::All);
//! stream.apply(Event::Started { at_ms: 0.0 })?;
//! assert!(stream.apply(Event::StopRequested)?.contains(&Action::StopRecorder));
//! assert_eq!(stream.phase(), StreamPhase::Stopping);
//! let refused = stream.apply(Event::PauseRequested).unwrap_err();
//! assert_eq!(refused.kind, ErrorKind::InvalidState);
//!
//! // The recorder's last chunk is in; the shell answers each action.
//! assert!(stream.apply(Event::RecorderStopped)?.contains(&Action::SettleHeader));
//! assert!(stream.apply(Event::HeaderSettled)?.contains(&Action::BeginFlush));
//! assert!(stream.apply(Event::DeliveryIdle)?.contains(&Action::EmitComplete));
//! let last = stream.apply(Event::CompleteEmitted)?;
//! assert_eq!(last.iter().collect::<Vec<_>>(), [&Action::Release]);
//! assert_eq!(stream.phase(), StreamPhase::Stopped);
//! assert!(stream.apply(Event::Tick { now_ms: 5000.0, segment_has_media: true })?.is_empty());
//! # Ok::<(), media_recorder_producer::core::error::ProducerError>(())
//! ```

use crate::core::config::Retain;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::stream::StreamPhase;

/// The shortest segment a restart leaves behind when quality steps again right after
/// one (ms): a bitrate asked for while a restart runs waits until the new segment is
/// this long and has media, so quick steps never leave header-only segments.
pub const MIN_SEGMENT_MS: f64 = 1000.0;

/// Why a stream ended (or is ending). The first reason is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum EndReason {
    /// `stopStream`, `disconnect()` or `destroy()` (public state `"stopped"`).
    Stopped,
    /// A track ended, or the recorder stopped on its own (`"ended"`, reported).
    SourceLost(ProducerError),
    /// The recorder failed, or could not be restarted (`"ended"`, reported).
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
    /// A track ended (device unplugged, permission revoked).
    SourceLost(ProducerError),
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
}

/// The actions of one transition, in order (at most two; no allocation, as a chunk
/// arrival is a transition).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions([Option<Action>; 2]);

impl Actions {
    fn none() -> Self {
        Actions::default()
    }

    fn one(a: Action) -> Self {
        Actions([Some(a), None])
    }

    fn two(a: Action, b: Action) -> Self {
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

/// The complete recording of a `retain: "all"` stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Complete {
    /// `retain: "bounded"`: there is none.
    NotKept,
    /// Kept; emitted at the end.
    Kept,
    /// Memory relief released it: never emitted.
    Abandoned,
    /// Emitted (once).
    Emitted,
}

/// The lifecycle of one stream. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    state: State,
    complete: Complete,
    video_bps: Option<u32>,
    deferred_bps: Option<u32>,
    segment_since_ms: f64,
}

impl Lifecycle {
    /// A stream about to start. `video_bps` is the video recorder's bitrate (`None`:
    /// no video recorder, so restarts are ignored); with [`Retain::All`] the complete
    /// recording is emitted once at the end.
    pub fn new(video_bps: Option<u32>, retain: Retain) -> Self {
        Lifecycle {
            state: State::Starting,
            complete: match retain {
                Retain::All => Complete::Kept,
                Retain::Bounded => Complete::NotKept,
            },
            video_bps,
            deferred_bps: None,
            segment_since_ms: 0.0,
        }
    }

    /// The state now.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The public state (`SensorStream.state`).
    pub fn phase(&self) -> StreamPhase {
        match &self.state {
            State::Starting | State::Recording => StreamPhase::Recording,
            State::Paused => StreamPhase::Paused,
            State::Restarting {
                ending: Some(_), ..
            } => StreamPhase::Stopping,
            State::Restarting { paused: true, .. } => StreamPhase::Paused,
            State::Restarting { .. } => StreamPhase::Recording,
            State::Stopping { .. } | State::Finalizing { .. } => StreamPhase::Stopping,
            State::Ended { reason } => reason.phase(),
        }
    }

    /// Why the stream ends or ended, once an end is under way.
    pub fn end_reason(&self) -> Option<&EndReason> {
        match &self.state {
            State::Restarting { ending, .. } => ending.as_ref(),
            State::Stopping { reason }
            | State::Finalizing { reason, .. }
            | State::Ended { reason } => Some(reason),
            _ => None,
        }
    }

    /// Whether the stream is over (released; nothing more is delivered).
    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended { .. })
    }

    /// Whether the last frames go out without waiting for listeners' Promises, and a
    /// header candidate is delivered without waiting for the scan.
    pub fn is_flushing(&self) -> bool {
        matches!(
            self.state,
            State::Finalizing {
                step: FinalStep::Flushing | FinalStep::Completing,
                ..
            } | State::Ended { .. }
        )
    }

    /// The bitrate the current recorder records video at.
    pub fn video_bps(&self) -> Option<u32> {
        self.video_bps
    }

    /// A bitrate waiting for the current segment to be [`MIN_SEGMENT_MS`] long with
    /// media (asked for during a restart, or while paused).
    pub fn deferred_bps(&self) -> Option<u32> {
        self.deferred_bps
    }

    /// `event` applied to a copy: the next state and its actions; `self` is unchanged.
    pub fn step(&self, event: Event) -> Result<Transition, ProducerError> {
        let mut next = self.clone();
        let actions = next.apply(event)?;
        Ok(Transition { next, actions })
    }

    /// Applies `event` and returns what the shell does next, in order. An `Err`
    /// (`InvalidStateError`) refuses a request that does not fit the state now and
    /// changes nothing.
    pub fn apply(&mut self, event: Event) -> Result<Actions, ProducerError> {
        Ok(match event {
            Event::PauseRequested => self.pause_or_resume(true)?,
            Event::ResumeRequested => self.pause_or_resume(false)?,
            Event::ChunkArrived if self.is_ended() => {
                return Err(ProducerError::new(
                    ErrorKind::InvalidState,
                    "the stream has ended; it takes no more chunks",
                ))
            }
            _ if self.is_ended() => Actions::none(),
            Event::ChunkArrived => Actions::one(Action::Deliver),
            Event::Started { at_ms } => {
                if self.state == State::Starting {
                    self.state = State::Recording;
                    self.segment_since_ms = at_ms;
                }
                Actions::none()
            }
            Event::StopRequested => self.end(EndReason::Stopped),
            Event::SourceLost(e) => self.end(EndReason::SourceLost(e)),
            Event::RecorderFailed(e) => self.end(EndReason::Failed(e)),
            Event::Destroyed => {
                let reason = self.end_reason().cloned().unwrap_or(EndReason::Stopped);
                self.state = State::Ended { reason };
                Actions::one(Action::Release)
            }
            Event::RestartRequested { video_bps } => self.restart(video_bps),
            Event::Tick {
                now_ms,
                segment_has_media,
            } => self.tick(now_ms, segment_has_media),
            Event::RecorderRetired => self.recorder_stopped(true),
            Event::RecorderStopped => self.recorder_stopped(false),
            Event::HeaderSettled => self.header_settled(),
            Event::SegmentStarted { at_ms } => self.segment_started(at_ms),
            Event::SegmentFailed(e) => match &mut self.state {
                State::Restarting {
                    step: RestartStep::Launching,
                    ending,
                    ..
                } => {
                    let reason = ending.take().unwrap_or(EndReason::Failed(e));
                    self.finalize(reason)
                }
                _ => Actions::none(),
            },
            Event::DeliveryIdle => match &self.state {
                State::Finalizing {
                    step: FinalStep::Flushing,
                    reason,
                } if self.complete == Complete::Kept => {
                    self.complete = Complete::Emitted;
                    self.state = State::Finalizing {
                        step: FinalStep::Completing,
                        reason: reason.clone(),
                    };
                    Actions::one(Action::EmitComplete)
                }
                State::Finalizing {
                    step: FinalStep::Flushing,
                    reason,
                } => self.ended(reason.clone()),
                _ => Actions::none(),
            },
            Event::CompleteEmitted => match &self.state {
                State::Finalizing {
                    step: FinalStep::Completing,
                    reason,
                } => self.ended(reason.clone()),
                _ => Actions::none(),
            },
            Event::CompleteAbandoned => {
                if self.complete == Complete::Kept {
                    self.complete = Complete::Abandoned;
                }
                Actions::none()
            }
        })
    }

    /// `pauseStream`/`resumeStream`: a no-op if already there, as today.
    fn pause_or_resume(&mut self, pause: bool) -> Result<Actions, ProducerError> {
        let actions = match &mut self.state {
            State::Recording if pause => {
                self.state = State::Paused;
                Actions::one(Action::PauseRecorder)
            }
            State::Paused if !pause => {
                self.state = State::Recording;
                Actions::one(Action::ResumeRecorder)
            }
            State::Recording | State::Paused => Actions::none(),
            // No recorder to pause now: the new one is paused as soon as it starts.
            State::Restarting {
                paused,
                ending: None,
                ..
            } => {
                *paused = pause;
                Actions::none()
            }
            _ => return Err(self.refusal(pause)),
        };
        Ok(actions)
    }

    fn refusal(&self, pause: bool) -> ProducerError {
        let (what, wanted) = if pause {
            ("pauseStream()", StreamPhase::Recording)
        } else {
            ("resumeStream()", StreamPhase::Paused)
        };
        let message = if self.state == State::Starting {
            format!("{what}: the stream has not started yet")
        } else {
            format!(
                "{what}: the stream is {}, not {}",
                self.phase().as_str(),
                wanted.as_str()
            )
        };
        ProducerError::new(ErrorKind::InvalidState, message)
    }

    /// An end is asked for (stop, lost source, failed recorder); the first reason wins.
    fn end(&mut self, reason: EndReason) -> Actions {
        self.deferred_bps = None;
        match &mut self.state {
            // Nothing recorded yet: `startStream` rejects with the error, so no report.
            State::Starting => {
                self.state = State::Ended { reason };
                Actions::one(Action::Release)
            }
            State::Recording | State::Paused => {
                self.state = State::Stopping { reason };
                Actions::one(Action::StopRecorder)
            }
            State::Restarting {
                step,
                next_bps,
                ending,
                ..
            } => {
                *next_bps = None;
                let reason = ending.take().unwrap_or(reason);
                match step {
                    // Its `stop` (already asked for) is the last chunk to wait for.
                    RestartStep::Retiring => {
                        self.state = State::Stopping { reason };
                    }
                    // The settle under way is the end's settle: no new recorder.
                    RestartStep::Settling => {
                        self.state = State::Finalizing {
                            step: FinalStep::Settling,
                            reason,
                        };
                    }
                    RestartStep::Launching => *ending = Some(reason),
                }
                Actions::none()
            }
            State::Stopping { .. } | State::Finalizing { .. } | State::Ended { .. } => {
                Actions::none()
            }
        }
    }

    fn restart(&mut self, bps: u32) -> Actions {
        let Some(current) = self.video_bps else {
            return Actions::none(); // no video recorder
        };
        match &mut self.state {
            State::Recording if self.deferred_bps.is_none() => {
                if bps == current {
                    return Actions::none();
                }
                self.retire(bps);
                Actions::one(Action::RetireRecorder)
            }
            // After a restart, or while paused: the next waits for a segment with media.
            State::Recording | State::Paused => {
                self.deferred_bps = (bps != current).then_some(bps);
                Actions::none()
            }
            State::Restarting {
                next_bps,
                ending: None,
                ..
            } => {
                *next_bps = Some(bps);
                Actions::none()
            }
            _ => Actions::none(),
        }
    }

    /// A restart at `bps` begins: the old recorder is asked to stop.
    fn retire(&mut self, bps: u32) {
        self.deferred_bps = None;
        self.state = State::Restarting {
            step: RestartStep::Retiring,
            video_bps: bps,
            next_bps: None,
            paused: false,
            ending: None,
        };
    }

    fn tick(&mut self, now_ms: f64, segment_has_media: bool) -> Actions {
        match self.deferred_bps {
            Some(bps)
                if self.state == State::Recording
                    && segment_has_media
                    && now_ms - self.segment_since_ms >= MIN_SEGMENT_MS =>
            {
                self.retire(bps);
                Actions::two(Action::Deliver, Action::RetireRecorder)
            }
            _ => Actions::one(Action::Deliver),
        }
    }

    fn recorder_stopped(&mut self, retired: bool) -> Actions {
        match &mut self.state {
            // Only the old recorder lives now: its `stop`, however it is told.
            State::Restarting {
                step: step @ RestartStep::Retiring,
                ..
            } => {
                *step = RestartStep::Settling;
                Actions::one(Action::SettleHeader)
            }
            State::Stopping { reason } => {
                let reason = reason.clone();
                self.finalize(reason)
            }
            State::Recording | State::Paused if !retired => {
                self.deferred_bps = None;
                self.finalize(EndReason::SourceLost(ProducerError::new(
                    ErrorKind::DeviceLost,
                    "the recorder stopped on its own (its tracks ended); the recording was ended",
                )))
            }
            _ => Actions::none(),
        }
    }

    fn header_settled(&mut self) -> Actions {
        match &mut self.state {
            State::Restarting {
                step: step @ RestartStep::Settling,
                video_bps,
                next_bps,
                ..
            } => {
                // The latest bitrate asked for while the old recorder stopped.
                if let Some(next) = next_bps.take() {
                    *video_bps = next;
                }
                *step = RestartStep::Launching;
                Actions::one(Action::StartNewSegment {
                    video_bps: *video_bps,
                })
            }
            State::Finalizing {
                step: step @ FinalStep::Settling,
                ..
            } => {
                *step = FinalStep::Flushing;
                Actions::one(Action::BeginFlush)
            }
            _ => Actions::none(),
        }
    }

    fn segment_started(&mut self, at_ms: f64) -> Actions {
        let State::Restarting {
            step: RestartStep::Launching,
            video_bps,
            next_bps,
            paused,
            ending,
        } = &mut self.state
        else {
            return Actions::none();
        };
        let (bps, paused) = (*video_bps, *paused);
        self.video_bps = Some(bps);
        self.segment_since_ms = at_ms;
        self.deferred_bps = next_bps.filter(|n| *n != bps);
        if let Some(reason) = ending.take() {
            self.deferred_bps = None;
            self.state = State::Stopping { reason };
            Actions::one(Action::StopRecorder)
        } else if paused {
            self.state = State::Paused;
            Actions::one(Action::PauseRecorder)
        } else {
            self.state = State::Recording;
            Actions::none()
        }
    }

    /// Every chunk is in: the end begins (once).
    fn finalize(&mut self, reason: EndReason) -> Actions {
        self.state = State::Finalizing {
            step: FinalStep::Settling,
            reason,
        };
        Actions::one(Action::SettleHeader)
    }

    fn ended(&mut self, reason: EndReason) -> Actions {
        let report = reason.error().cloned();
        self.state = State::Ended { reason };
        match report {
            Some(e) => Actions::two(Action::Release, Action::Report(e)),
            None => Actions::one(Action::Release),
        }
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
