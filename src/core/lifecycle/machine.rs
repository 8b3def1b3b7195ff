//! [`Lifecycle`] itself: the state it keeps and every transition.

use super::{Action, Actions, EndReason, Event, FinalStep, RestartStep, State, Transition};
use crate::core::config::Retain;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::stream::StreamPhase;

/// The shortest segment a restart leaves behind when quality steps again right after
/// one (ms): a bitrate asked for while a restart runs waits until the new segment is
/// this long and has media, so quick steps never leave header-only segments.
pub const MIN_SEGMENT_MS: f64 = 1000.0;
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
            Event::RecorderFailed(e) | Event::SinkFailed(e) => self.end(EndReason::Failed(e)),
            Event::Destroyed => {
                let reason = self.end_reason().cloned().unwrap_or(EndReason::Stopped);
                self.state = State::Ended { reason };
                Actions::one(Action::Release)
            }
            Event::RestartRequested { video_bps } => self.restart(video_bps),
            Event::EngineSwitching(e) => match self.state {
                State::Recording | State::Paused => {
                    let paused = self.state == State::Paused;
                    self.retire(self.video_bps.unwrap_or(0));
                    if let State::Restarting { paused: p, .. } = &mut self.state {
                        *p = paused;
                    }
                    Actions::two(Action::Warn(e), Action::RetireRecorder)
                }
                _ => self.end(EndReason::Failed(e)),
            },
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
        // An audio-only stream that switched engines still has no video bitrate.
        self.video_bps = self.video_bps.map(|_| bps);
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
