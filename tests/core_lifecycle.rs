//! Property tests of the stream lifecycle over random event sequences.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::config::Retain;
use media_recorder_producer::core::error::{ErrorKind, ProducerError};
use media_recorder_producer::core::lifecycle::{
    Action, EndReason, Event, FinalStep, Lifecycle, RestartStep, State,
};
use media_recorder_producer::core::stream::StreamPhase;
use proptest::prelude::*;
use std::collections::VecDeque;

const BPS: [u32; 3] = [500_000, 1_000_000, 2_500_000];

fn err(kind: ErrorKind) -> ProducerError {
    ProducerError::new(kind, "test")
}

fn bps() -> impl Strategy<Value = u32> {
    prop::sample::select(BPS.to_vec())
}

fn ms() -> impl Strategy<Value = f64> {
    (0u32..100_000).prop_map(f64::from)
}

/// What a browser or an app can do on its own, short of ending the stream.
fn live_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => ms().prop_map(|at_ms| Event::Started { at_ms }),
        2 => Just(Event::PauseRequested),
        2 => Just(Event::ResumeRequested),
        3 => bps().prop_map(|video_bps| Event::RestartRequested { video_bps }),
        3 => Just(Event::ChunkArrived),
        3 => (ms(), any::<bool>()).prop_map(|(now_ms, segment_has_media)| Event::Tick { now_ms, segment_has_media }),
        1 => Just(Event::CompleteAbandoned),
    ]
}

/// What a browser or an app can do on its own.
fn outside_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        16 => live_event(),
        1 => Just(Event::StopRequested),
        1 => Just(Event::RecorderStopped),
        1 => Just(Event::RecorderFailed(err(ErrorKind::Recorder))),
        1 => Just(Event::EngineSwitching(err(ErrorKind::Encoder))),
        1 => Just(Event::SourceLost(err(ErrorKind::DeviceLost))),
        1 => Just(Event::SinkFailed(err(ErrorKind::Other("QuotaExceededError".into())))),
    ]
}

/// Any event at all, answers out of turn included.
fn any_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        8 => outside_event(),
        2 => Just(Event::RecorderRetired),
        2 => Just(Event::HeaderSettled),
        2 => ms().prop_map(|at_ms| Event::SegmentStarted { at_ms }),
        1 => Just(Event::SegmentFailed(err(ErrorKind::Recorder))),
        2 => Just(Event::DeliveryIdle),
        1 => Just(Event::CompleteEmitted),
        1 => Just(Event::Destroyed),
    ]
}

fn retain() -> impl Strategy<Value = Retain> {
    prop_oneof![Just(Retain::All), Just(Retain::Bounded)]
}

fn video_bps() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![3 => bps().prop_map(Some), 1 => Just(None)]
}

/// 0 while recording or paused, 1 while stopping, 2 once over.
fn rank(phase: StreamPhase) -> u8 {
    match phase {
        StreamPhase::Recording | StreamPhase::Paused => 0,
        StreamPhase::Stopping => 1,
        StreamPhase::Stopped | StreamPhase::Ended => 2,
    }
}

/// Applies events one at a time and checks every invariant after each.
struct Checked {
    lc: Lifecycle,
    retain: Retain,
    releases: usize,
    reports: usize,
    completes: usize,
    abandoned: bool,
    /// Every action so far, in order.
    log: Vec<Action>,
}

impl Checked {
    fn new(video_bps: Option<u32>, retain: Retain) -> Self {
        Checked {
            lc: Lifecycle::new(video_bps, retain),
            retain,
            releases: 0,
            reports: 0,
            completes: 0,
            abandoned: false,
            log: Vec::new(),
        }
    }

    fn apply(&mut self, event: Event) -> Result<Vec<Action>, TestCaseError> {
        let before = self.lc.clone();
        if event == Event::CompleteAbandoned && !before.is_ended() {
            self.abandoned = true;
        }
        let destroyed = event == Event::Destroyed;
        let actions: Vec<Action> = match self.lc.apply(event) {
            Ok(a) => a.into_iter().collect(),
            Err(e) => {
                prop_assert_eq!(e.kind, ErrorKind::InvalidState);
                prop_assert_eq!(&self.lc, &before, "a refusal changes nothing");
                return Ok(Vec::new());
            }
        };
        let after = &self.lc;
        // Nothing at all after the end; only Release (and Report) when it comes.
        if before.is_ended() {
            prop_assert!(actions.is_empty(), "after the end: {:?}", actions);
        } else if after.is_ended() {
            prop_assert_eq!(actions.first(), Some(&Action::Release));
            prop_assert!(actions[1..].iter().all(|a| matches!(a, Action::Report(_))));
            if destroyed {
                prop_assert_eq!(actions.len(), 1, "destroy reports nothing");
            }
        }
        for a in &actions {
            match a {
                Action::Release => self.releases += 1,
                Action::Report(_) => self.reports += 1,
                // A warning is for a stream that lives on.
                Action::Warn(_) => prop_assert!(!after.is_ended()),
                Action::EmitComplete => {
                    self.completes += 1;
                    prop_assert_eq!(self.retain, Retain::All);
                    prop_assert!(!self.abandoned, "complete recording after memory relief");
                }
                _ => {}
            }
        }
        prop_assert!(self.releases <= 1 && self.reports <= 1 && self.completes <= 1);
        prop_assert_eq!(self.releases == 1, after.is_ended());
        // The public state never goes back; once over it stays as it is.
        prop_assert!(rank(after.phase()) >= rank(before.phase()));
        if before.phase().is_over() {
            prop_assert_eq!(after.phase(), before.phase());
        }
        // The first end reason is kept.
        if let Some(r) = before.end_reason() {
            prop_assert_eq!(after.end_reason(), Some(r));
        }
        // Pause and resume are refused once stopping or over.
        if rank(after.phase()) > 0 {
            for request in [Event::PauseRequested, Event::ResumeRequested] {
                let refused = after.step(request);
                prop_assert!(matches!(&refused, Err(e) if e.kind == ErrorKind::InvalidState));
            }
        }
        self.log.extend(actions.iter().cloned());
        Ok(actions)
    }
}

/// The answer a shell that does its job gives to `action`.
fn answer(action: &Action, fail_launch: bool, at_ms: f64) -> Option<Event> {
    Some(match action {
        Action::StopRecorder => Event::RecorderStopped,
        Action::RetireRecorder => Event::RecorderRetired,
        Action::SettleHeader => Event::HeaderSettled,
        Action::StartNewSegment { .. } if fail_launch => {
            Event::SegmentFailed(err(ErrorKind::Recorder))
        }
        Action::StartNewSegment { .. } => Event::SegmentStarted { at_ms },
        Action::BeginFlush => Event::DeliveryIdle,
        Action::EmitComplete => Event::CompleteEmitted,
        Action::Deliver
        | Action::PauseRecorder
        | Action::ResumeRecorder
        | Action::Release
        | Action::Report(_)
        | Action::Warn(_) => return None,
    })
}

/// A step of a shell that answers every action, sooner or later.
#[derive(Debug, Clone)]
enum Op {
    Outside(Event),
    /// Give the oldest answer owed (a launch fails if `true`).
    Answer(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => outside_event().prop_map(Op::Outside),
        3 => prop::bool::weighted(0.1).prop_map(Op::Answer),
    ]
}

/// As [`op`], but nothing that ends the stream (a failed launch neither).
fn live_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => live_event().prop_map(Op::Outside),
        3 => Just(Op::Answer(false)),
    ]
}

struct Shell {
    c: Checked,
    owed: VecDeque<Action>,
    clock: f64,
}

impl Shell {
    fn new(video_bps: Option<u32>, retain: Retain) -> Self {
        Shell {
            c: Checked::new(video_bps, retain),
            owed: VecDeque::new(),
            clock: 0.0,
        }
    }

    fn apply(&mut self, event: Event) -> Result<(), TestCaseError> {
        self.clock += 100.0;
        let actions = self.c.apply(event)?;
        self.owed.extend(actions);
        Ok(())
    }

    fn run(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Outside(e) => self.apply(e),
            Op::Answer(fail) => match self.owed.pop_front() {
                Some(a) => match answer(&a, fail, self.clock) {
                    Some(e) => self.apply(e),
                    None => Ok(()),
                },
                None => Ok(()),
            },
        }
    }

    /// Answers everything owed until nothing is.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..100 {
            match self.owed.pop_front() {
                Some(a) => {
                    if let Some(e) = answer(&a, false, self.clock) {
                        self.apply(e)?;
                    }
                }
                None => return Ok(()),
            }
        }
        Err(TestCaseError::fail(
            "the shell is still owed answers after 100",
        ))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Whatever arrives in whatever order (answers out of turn, duplicates, stale
    /// recorder events), the invariants hold, and a final destroy releases exactly once.
    #[test]
    fn any_event_sequence_keeps_the_invariants(
        events in prop::collection::vec(any_event(), 0..80),
        video_bps in video_bps(),
        retain in retain(),
    ) {
        let mut c = Checked::new(video_bps, retain);
        for e in events {
            c.apply(e)?;
        }
        c.apply(Event::Destroyed)?;
        prop_assert!(c.lc.is_ended());
        prop_assert_eq!(c.releases, 1);
    }

    /// With a shell that answers every action, a stop asked for at any point (during a
    /// restart included) ends the stream: Released once, and Stopped unless an end was
    /// already under way.
    #[test]
    fn a_stop_always_ends_cleanly(
        ops in prop::collection::vec(op(), 0..80),
        video_bps in video_bps(),
        retain in retain(),
    ) {
        let mut shell = Shell::new(video_bps, retain);
        shell.apply(Event::Started { at_ms: 0.0 })?;
        for op in ops {
            shell.run(op)?;
        }
        let pending = shell.c.lc.end_reason().cloned();
        let was_over = shell.c.lc.is_ended();
        shell.apply(Event::StopRequested)?;
        shell.drain()?;
        prop_assert!(shell.c.lc.is_ended(), "stuck in {:?}", shell.c.lc.state());
        prop_assert_eq!(shell.c.releases, 1);
        if !was_over {
            let expected = pending.unwrap_or(EndReason::Stopped);
            prop_assert_eq!(shell.c.lc.end_reason(), Some(&expected));
        }
    }

    /// A stop in any step of a restart (or while a re-restart waits) ends cleanly once
    /// the recorder events arrive, starts at most the one recorder already launching,
    /// and stops it.
    #[test]
    fn a_stop_during_a_restart_ends_cleanly(
        prefix in prop::collection::vec(live_op(), 0..30),
        to in bps(),
        again in prop::option::of(bps()),
        answers in 0usize..5,
        retain in retain(),
    ) {
        let mut shell = Shell::new(Some(2_000_000), retain);
        shell.apply(Event::Started { at_ms: 0.0 })?;
        for op in prefix {
            shell.run(op)?;
        }
        shell.drain()?;
        prop_assert_eq!(rank(shell.c.lc.phase()), 0);
        shell.apply(Event::ResumeRequested)?;
        shell.apply(Event::RestartRequested { video_bps: to })?;
        if let Some(b) = again {
            shell.apply(Event::RestartRequested { video_bps: b })?;
        }
        for _ in 0..answers {
            shell.run(Op::Answer(false))?;
        }
        let launching = matches!(
            shell.c.lc.state(),
            State::Restarting { step: RestartStep::Launching, .. }
        );
        let from = shell.c.log.len();
        shell.apply(Event::StopRequested)?;
        shell.apply(Event::Tick { now_ms: shell.clock + 60_000.0, segment_has_media: true })?;
        shell.drain()?;
        prop_assert!(shell.c.lc.is_ended(), "stuck in {:?}", shell.c.lc.state());
        prop_assert_eq!(shell.c.lc.end_reason(), Some(&EndReason::Stopped));
        let after: Vec<&Action> = shell.c.log[from..].iter().collect();
        let stops = after.iter().filter(|a| ***a == Action::StopRecorder).count();
        let new_recorder = after
            .iter()
            .any(|a| matches!(a, Action::RetireRecorder | Action::StartNewSegment { .. }));
        prop_assert!(!new_recorder, "no recorder is replaced after the stop");
        prop_assert!(stops <= 1);
        if launching {
            prop_assert_eq!(stops, 1, "the launching recorder is stopped");
        }
    }
}

/// The state's name, with the step.
fn label(lc: &Lifecycle) -> &'static str {
    match lc.state() {
        State::Starting => "Starting",
        State::Recording => "Recording",
        State::Paused => "Paused",
        State::Restarting { step, .. } => match step {
            RestartStep::Retiring => "Restarting/Retiring",
            RestartStep::Settling => "Restarting/Settling",
            RestartStep::Launching => "Restarting/Launching",
        },
        State::Stopping { .. } => "Stopping",
        State::Finalizing { step, .. } => match step {
            FinalStep::Settling => "Finalizing/Settling",
            FinalStep::Flushing => "Finalizing/Flushing",
            FinalStep::Completing => "Finalizing/Completing",
        },
        State::Ended { reason } => match reason {
            EndReason::Stopped => "Ended/Stopped",
            EndReason::SourceLost(_) => "Ended/SourceLost",
            EndReason::Failed(_) => "Ended/Failed",
        },
    }
}

/// Every state (and step, and end reason) is reachable from a new stream.
#[test]
fn every_state_is_reachable() {
    let alphabet = [
        Event::Started { at_ms: 0.0 },
        Event::PauseRequested,
        Event::ResumeRequested,
        Event::StopRequested,
        Event::RestartRequested { video_bps: BPS[0] },
        Event::RestartRequested { video_bps: BPS[1] },
        Event::RecorderRetired,
        Event::HeaderSettled,
        Event::SegmentStarted { at_ms: 0.0 },
        Event::SegmentFailed(err(ErrorKind::Recorder)),
        Event::RecorderStopped,
        Event::RecorderFailed(err(ErrorKind::Recorder)),
        Event::EngineSwitching(err(ErrorKind::Encoder)),
        Event::SourceLost(err(ErrorKind::DeviceLost)),
        Event::SinkFailed(err(ErrorKind::Other("QuotaExceededError".into()))),
        Event::ChunkArrived,
        Event::Tick {
            now_ms: 5000.0,
            segment_has_media: true,
        },
        Event::DeliveryIdle,
        Event::CompleteEmitted,
        Event::CompleteAbandoned,
        Event::Destroyed,
    ];
    let mut seen: Vec<Lifecycle> = vec![Lifecycle::new(Some(BPS[2]), Retain::All)];
    let mut queue: VecDeque<Lifecycle> = seen.iter().cloned().collect();
    while let Some(lc) = queue.pop_front() {
        for e in &alphabet {
            if let Ok(t) = lc.step(e.clone()) {
                if !seen.contains(&t.next) {
                    seen.push(t.next.clone());
                    queue.push_back(t.next);
                }
            }
        }
        assert!(seen.len() < 10_000, "the state space should be small");
    }
    let mut labels: Vec<&str> = seen.iter().map(label).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(
        labels,
        [
            "Ended/Failed",
            "Ended/SourceLost",
            "Ended/Stopped",
            "Finalizing/Completing",
            "Finalizing/Flushing",
            "Finalizing/Settling",
            "Paused",
            "Recording",
            "Restarting/Launching",
            "Restarting/Retiring",
            "Restarting/Settling",
            "Starting",
            "Stopping",
        ]
    );
    // And each public state.
    let mut phases: Vec<&str> = seen.iter().map(|lc| lc.phase().as_str()).collect();
    phases.sort_unstable();
    phases.dedup();
    assert_eq!(
        phases,
        ["ended", "paused", "recording", "stopped", "stopping"]
    );
}
