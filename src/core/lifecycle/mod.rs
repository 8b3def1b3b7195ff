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

mod machine;
mod types;

pub use machine::{Lifecycle, MIN_SEGMENT_MS};
pub use types::{Action, Actions, EndReason, Event, FinalStep, RestartStep, State, Transition};

// For the intra-doc links only.
#[cfg(doc)]
use crate::core::stream::StreamPhase;

#[cfg(test)]
mod tests;
