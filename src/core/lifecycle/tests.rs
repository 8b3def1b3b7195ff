//! Unit tests of [`super`] (private items), kept apart so the module reads short.
use super::*;
use crate::core::config::Retain;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::stream::StreamPhase;

const BPS: u32 = 2_500_000;

fn lost() -> ProducerError {
    ProducerError::new(ErrorKind::DeviceLost, "camera unplugged")
}

fn recording(retain: Retain) -> Lifecycle {
    let mut lc = Lifecycle::new(Some(BPS), retain);
    assert!(lc.apply(Event::Started { at_ms: 0.0 }).unwrap().is_empty());
    lc
}

/// Applies `events` in order; every one must be accepted. Returns all actions.
fn run(lc: &mut Lifecycle, events: impl IntoIterator<Item = Event>) -> Vec<Action> {
    events
        .into_iter()
        .flat_map(|e| lc.apply(e).unwrap())
        .collect()
}

fn restart(video_bps: u32) -> Event {
    Event::RestartRequested { video_bps }
}

fn tick(now_ms: f64, segment_has_media: bool) -> Event {
    Event::Tick {
        now_ms,
        segment_has_media,
    }
}

fn finish() -> [Event; 3] {
    [
        Event::RecorderStopped,
        Event::HeaderSettled,
        Event::DeliveryIdle,
    ]
}

#[test]
fn start_then_record() {
    let mut lc = Lifecycle::new(Some(BPS), Retain::Bounded);
    assert_eq!(lc.state(), &State::Starting);
    assert_eq!(lc.phase(), StreamPhase::Recording);
    let e = lc.apply(Event::PauseRequested).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(e.message.contains("not started"), "{}", e.message);
    lc.apply(Event::Started { at_ms: 0.0 }).unwrap();
    assert_eq!(lc.state(), &State::Recording);
    assert_eq!(
        lc.apply(Event::ChunkArrived)
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        [&Action::Deliver]
    );
}

#[test]
fn a_start_that_fails_releases_without_a_report() {
    let mut lc = Lifecycle::new(Some(BPS), Retain::Bounded);
    let err = ProducerError::new(ErrorKind::NotSupported, "no recorder");
    let actions = run(&mut lc, [Event::RecorderFailed(err.clone())]);
    assert_eq!(actions, [Action::Release]);
    assert_eq!(lc.end_reason(), Some(&EndReason::Failed(err)));
    assert_eq!(lc.phase(), StreamPhase::Ended);
}

#[test]
fn pause_and_resume() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(
        run(&mut lc, [Event::PauseRequested]),
        [Action::PauseRecorder]
    );
    assert_eq!(lc.phase(), StreamPhase::Paused);
    assert_eq!(run(&mut lc, [Event::PauseRequested]), []); // already paused
    assert_eq!(
        run(&mut lc, [Event::ResumeRequested]),
        [Action::ResumeRecorder]
    );
    assert_eq!(lc.phase(), StreamPhase::Recording);
    assert_eq!(run(&mut lc, [Event::ResumeRequested]), []); // already recording
}

#[test]
fn a_pause_the_browser_refuses_is_not_kept() {
    let lc = recording(Retain::Bounded);
    let t = lc.step(Event::PauseRequested).unwrap();
    assert!(t.actions.contains(&Action::PauseRecorder));
    assert_eq!(t.next.phase(), StreamPhase::Paused);
    // recorder.pause() threw: the shell keeps `lc`, which is unchanged.
    assert_eq!(lc.state(), &State::Recording);
}

#[test]
fn pause_and_resume_are_refused_once_stopping_or_over() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::StopRequested]);
    let before = lc.clone();
    let e = lc.apply(Event::PauseRequested).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert_eq!(
        e.message,
        "pauseStream(): the stream is stopping, not recording"
    );
    let e = lc.apply(Event::ResumeRequested).unwrap_err();
    assert_eq!(
        e.message,
        "resumeStream(): the stream is stopping, not paused"
    );
    assert_eq!(lc, before);
    run(&mut lc, finish());
    let e = lc.apply(Event::PauseRequested).unwrap_err();
    assert_eq!(
        e.message,
        "pauseStream(): the stream is stopped, not recording"
    );
}

#[test]
fn stop_flushes_then_releases_once() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(run(&mut lc, [Event::StopRequested]), [Action::StopRecorder]);
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    assert_eq!(run(&mut lc, [Event::StopRequested]), []); // waits, asks nothing twice
    assert_eq!(run(&mut lc, [Event::ChunkArrived]), [Action::Deliver]); // the last chunk
    assert!(!lc.is_flushing());
    assert_eq!(
        run(&mut lc, [Event::RecorderStopped]),
        [Action::SettleHeader]
    );
    assert_eq!(run(&mut lc, [Event::HeaderSettled]), [Action::BeginFlush]);
    assert!(lc.is_flushing());
    assert_eq!(run(&mut lc, [Event::DeliveryIdle]), [Action::Release]);
    assert_eq!(lc.phase(), StreamPhase::Stopped);
    assert!(lc.is_ended());
    // Late events do nothing; a late chunk is refused.
    assert_eq!(
        run(
            &mut lc,
            [
                Event::StopRequested,
                Event::RecorderStopped,
                Event::DeliveryIdle,
                Event::Destroyed
            ]
        ),
        []
    );
    assert!(lc.apply(Event::ChunkArrived).is_err());
}

#[test]
fn stopping_a_paused_stream() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::PauseRequested]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), [Action::StopRecorder]);
    run(&mut lc, finish());
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

#[test]
fn a_lost_source_ends_the_stream_and_is_reported() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(
        run(&mut lc, [Event::SourceLost(lost())]),
        [Action::StopRecorder]
    );
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    // A second signal (the other track, the drain tick) and a stop change nothing:
    // the stream still waits for the recorder's last chunk.
    let again = ProducerError::new(ErrorKind::DeviceLost, "second track");
    assert_eq!(
        run(&mut lc, [Event::SourceLost(again), Event::StopRequested]),
        []
    );
    let actions = run(&mut lc, finish());
    assert_eq!(
        actions,
        [
            Action::SettleHeader,
            Action::BeginFlush,
            Action::Release,
            Action::Report(lost())
        ]
    );
    assert_eq!(lc.phase(), StreamPhase::Ended);
}

#[test]
fn a_failed_recording_file_ends_the_stream_and_is_reported() {
    let mut lc = recording(Retain::Bounded);
    let full = ProducerError::new(
        ErrorKind::Other("QuotaExceededError".to_string()),
        "the disk is full",
    );
    assert_eq!(
        run(&mut lc, [Event::SinkFailed(full.clone())]),
        [Action::StopRecorder]
    );
    let actions = run(&mut lc, finish());
    assert_eq!(actions.last(), Some(&Action::Report(full.clone())));
    assert_eq!(lc.end_reason(), Some(&EndReason::Failed(full)));
    assert_eq!(lc.phase(), StreamPhase::Ended);
}

#[test]
fn a_source_lost_while_stopping_keeps_the_stop() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::StopRequested, Event::SourceLost(lost())]);
    run(&mut lc, [Event::RecorderFailed(lost())]);
    let actions = run(&mut lc, finish());
    assert!(!actions.iter().any(|a| matches!(a, Action::Report(_))));
    assert_eq!(lc.end_reason(), Some(&EndReason::Stopped));
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

#[test]
fn a_recorder_that_stops_on_its_own_ends_the_stream() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(
        run(&mut lc, [Event::RecorderStopped]),
        [Action::SettleHeader]
    );
    assert!(matches!(
        lc.end_reason(),
        Some(EndReason::SourceLost(e)) if e.kind == ErrorKind::DeviceLost
    ));
    run(&mut lc, [Event::HeaderSettled, Event::DeliveryIdle]);
    assert_eq!(lc.phase(), StreamPhase::Ended);
}

#[test]
fn a_failed_recorder_waits_for_its_stop() {
    let mut lc = recording(Retain::Bounded);
    let err = ProducerError::new(ErrorKind::Recorder, "encoder died");
    assert_eq!(
        run(&mut lc, [Event::RecorderFailed(err.clone())]),
        [Action::StopRecorder]
    );
    let actions = run(&mut lc, finish());
    assert_eq!(actions.last(), Some(&Action::Report(err)));
}

#[test]
fn a_restart_replaces_the_recorder() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(run(&mut lc, [restart(1_000_000)]), [Action::RetireRecorder]);
    assert_eq!(lc.phase(), StreamPhase::Recording);
    // Asked again while the old recorder stops: the new one starts at the latest.
    run(&mut lc, [restart(800_000)]);
    assert_eq!(
        run(&mut lc, [Event::RecorderRetired]),
        [Action::SettleHeader]
    );
    assert_eq!(
        run(&mut lc, [Event::HeaderSettled]),
        [Action::StartNewSegment { video_bps: 800_000 }]
    );
    assert_eq!(
        run(&mut lc, [Event::SegmentStarted { at_ms: 10_000.0 }]),
        []
    );
    assert_eq!(lc.state(), &State::Recording);
    assert_eq!(lc.video_bps(), Some(800_000));
    assert_eq!(lc.deferred_bps(), None);
    // Nothing pending: the next request restarts at once.
    assert_eq!(run(&mut lc, [restart(600_000)]), [Action::RetireRecorder]);
}

#[test]
fn restarts_that_change_nothing_are_ignored() {
    let mut lc = recording(Retain::Bounded);
    assert_eq!(
        run(&mut lc, [Event::RestartRequested { video_bps: BPS }]),
        []
    );
    let mut audio = Lifecycle::new(None, Retain::Bounded);
    audio.apply(Event::Started { at_ms: 0.0 }).unwrap();
    assert_eq!(run(&mut audio, [restart(1)]), []);
    assert_eq!(audio.state(), &State::Recording);
}

fn restart_until_launching(lc: &mut Lifecycle, bps: u32) {
    run(
        lc,
        [
            Event::RestartRequested { video_bps: bps },
            Event::RecorderRetired,
            Event::HeaderSettled,
        ],
    );
}

#[test]
fn a_bitrate_asked_for_during_a_restart_waits_for_a_segment_with_media() {
    let mut lc = recording(Retain::Bounded);
    restart_until_launching(&mut lc, 1_000_000);
    run(&mut lc, [restart(500_000)]);
    run(&mut lc, [Event::SegmentStarted { at_ms: 10_000.0 }]);
    assert_eq!(lc.deferred_bps(), Some(500_000));
    assert_eq!(run(&mut lc, [tick(10_500.0, true)]), [Action::Deliver]); // too short
    assert_eq!(run(&mut lc, [tick(11_000.0, false)]), [Action::Deliver]); // header only
    assert_eq!(
        run(&mut lc, [tick(11_000.0, true)]),
        [Action::Deliver, Action::RetireRecorder]
    );
    assert!(matches!(
        lc.state(),
        State::Restarting {
            step: RestartStep::Retiring,
            video_bps: 500_000,
            ..
        }
    ));
}

#[test]
fn a_deferred_bitrate_equal_to_the_current_one_is_called_off() {
    let mut lc = recording(Retain::Bounded);
    restart_until_launching(&mut lc, 1_000_000);
    run(&mut lc, [restart(500_000)]);
    run(&mut lc, [Event::SegmentStarted { at_ms: 0.0 }]);
    run(&mut lc, [restart(1_000_000)]);
    assert_eq!(lc.deferred_bps(), None);
}

#[test]
fn a_restart_asked_for_while_paused_waits_for_the_resume() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::PauseRequested]);
    assert_eq!(run(&mut lc, [restart(1_000_000)]), []);
    assert_eq!(run(&mut lc, [tick(60_000.0, true)]), [Action::Deliver]);
    assert_eq!(lc.state(), &State::Paused);
    run(&mut lc, [Event::ResumeRequested]);
    // Segment 0 began at 0 ms: too short at 500 ms.
    assert_eq!(run(&mut lc, [tick(500.0, true)]), [Action::Deliver]);
    assert_eq!(
        run(&mut lc, [tick(60_000.0, true)]),
        [Action::Deliver, Action::RetireRecorder]
    );
}

#[test]
fn a_pause_during_a_restart_pauses_the_new_recorder() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1_000_000)]);
    assert_eq!(run(&mut lc, [Event::PauseRequested]), []);
    assert_eq!(lc.phase(), StreamPhase::Paused);
    run(&mut lc, [Event::RecorderRetired, Event::HeaderSettled]);
    assert_eq!(
        run(&mut lc, [Event::SegmentStarted { at_ms: 0.0 }]),
        [Action::PauseRecorder]
    );
    assert_eq!(lc.state(), &State::Paused);
    // Resumed again before it launched: the new recorder just records.
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1_000_000)]);
    run(&mut lc, [Event::PauseRequested, Event::ResumeRequested]);
    run(&mut lc, [Event::RecorderRetired, Event::HeaderSettled]);
    assert_eq!(run(&mut lc, [Event::SegmentStarted { at_ms: 0.0 }]), []);
    assert_eq!(lc.state(), &State::Recording);
}

#[test]
fn a_restart_that_fails_ends_the_stream() {
    let mut lc = recording(Retain::Bounded);
    restart_until_launching(&mut lc, 1_000_000);
    let err = ProducerError::new(ErrorKind::Recorder, "could not restart");
    assert_eq!(
        run(&mut lc, [Event::SegmentFailed(err.clone())]),
        [Action::SettleHeader]
    );
    let actions = run(&mut lc, [Event::HeaderSettled, Event::DeliveryIdle]);
    assert_eq!(actions.last(), Some(&Action::Report(err)));
    assert_eq!(lc.phase(), StreamPhase::Ended);
}

#[test]
fn a_stop_while_the_old_recorder_retires_waits_for_its_last_chunk() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1_000_000)]);
    run(&mut lc, [restart(500_000)]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), []); // its stop is already asked
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    assert_eq!(
        run(&mut lc, [Event::RecorderRetired]),
        [Action::SettleHeader]
    );
    let actions = run(&mut lc, [Event::HeaderSettled, Event::DeliveryIdle]);
    assert_eq!(actions, [Action::BeginFlush, Action::Release]); // no new recorder
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

#[test]
fn a_stop_while_the_old_segment_settles_starts_no_new_recorder() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1_000_000), Event::RecorderRetired]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), []);
    assert_eq!(run(&mut lc, [Event::HeaderSettled]), [Action::BeginFlush]);
    assert_eq!(run(&mut lc, [Event::DeliveryIdle]), [Action::Release]);
}

#[test]
fn a_stop_while_the_new_recorder_launches_stops_it_once_started() {
    let mut lc = recording(Retain::Bounded);
    restart_until_launching(&mut lc, 1_000_000);
    run(&mut lc, [restart(500_000)]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), []);
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    assert!(lc.apply(Event::PauseRequested).is_err());
    assert_eq!(
        run(&mut lc, [Event::SegmentStarted { at_ms: 0.0 }]),
        [Action::StopRecorder]
    );
    assert_eq!(lc.deferred_bps(), None); // the re-restart is called off
    run(&mut lc, finish());
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

#[test]
fn a_stop_calls_off_a_deferred_restart() {
    let mut lc = recording(Retain::Bounded);
    restart_until_launching(&mut lc, 1_000_000);
    run(&mut lc, [restart(500_000)]);
    run(&mut lc, [Event::SegmentStarted { at_ms: 0.0 }]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), [Action::StopRecorder]);
    assert_eq!(run(&mut lc, [tick(60_000.0, true)]), [Action::Deliver]);
    run(&mut lc, finish());
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

#[test]
fn a_source_lost_while_the_old_recorder_retires() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1_000_000)]);
    run(&mut lc, [Event::SourceLost(lost())]);
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    // The retiring recorder's stop, however the shell tells it, finishes the stream.
    let actions = run(&mut lc, finish());
    assert_eq!(actions.last(), Some(&Action::Report(lost())));
}

#[test]
fn the_complete_recording_is_emitted_once() {
    let mut lc = recording(Retain::All);
    run(
        &mut lc,
        [
            Event::StopRequested,
            Event::RecorderStopped,
            Event::HeaderSettled,
        ],
    );
    assert_eq!(run(&mut lc, [Event::DeliveryIdle]), [Action::EmitComplete]);
    assert_eq!(
        run(&mut lc, [Event::DeliveryIdle, Event::CompleteAbandoned]),
        []
    );
    assert_eq!(run(&mut lc, [Event::CompleteEmitted]), [Action::Release]);
}

#[test]
fn no_complete_recording_after_memory_relief_or_when_bounded() {
    let mut lc = recording(Retain::All);
    run(&mut lc, [Event::CompleteAbandoned, Event::StopRequested]);
    assert_eq!(run(&mut lc, finish()).last(), Some(&Action::Release));
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::StopRequested]);
    assert!(!run(&mut lc, finish()).contains(&Action::EmitComplete));
}

#[test]
fn destroy_releases_from_any_state_and_keeps_a_pending_reason() {
    let mut lc = recording(Retain::All);
    run(&mut lc, [Event::SourceLost(lost()), Event::RecorderStopped]);
    assert_eq!(run(&mut lc, [Event::Destroyed]), [Action::Release]);
    assert_eq!(lc.end_reason(), Some(&EndReason::SourceLost(lost())));
    assert_eq!(run(&mut lc, [Event::Destroyed, Event::HeaderSettled]), []);

    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [restart(1)]);
    assert_eq!(run(&mut lc, [Event::Destroyed]), [Action::Release]);
    assert_eq!(lc.phase(), StreamPhase::Stopped);
}

fn encoder_failed() -> ProducerError {
    ProducerError::new(ErrorKind::Encoder, "VideoEncoder: Invalid height")
}

#[test]
fn an_engine_switch_is_a_restart_that_warns() {
    let mut lc = recording(Retain::Bounded);
    let e = encoder_failed();
    assert_eq!(
        run(&mut lc, [Event::EngineSwitching(e.clone())]),
        [Action::Warn(e), Action::RetireRecorder]
    );
    assert_eq!(lc.phase(), StreamPhase::Recording);
    assert_eq!(
        run(&mut lc, [Event::RecorderRetired]),
        [Action::SettleHeader]
    );
    assert_eq!(
        run(&mut lc, [Event::HeaderSettled]),
        [Action::StartNewSegment { video_bps: BPS }]
    );
    assert_eq!(run(&mut lc, [Event::SegmentStarted { at_ms: 5.0 }]), []);
    assert_eq!(lc.state(), &State::Recording);
    assert_eq!(lc.video_bps(), Some(BPS));
    assert!(lc.end_reason().is_none());
}

#[test]
fn an_engine_switch_while_paused_starts_the_new_engine_paused() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::PauseRequested]);
    run(
        &mut lc,
        [
            Event::EngineSwitching(encoder_failed()),
            Event::RecorderRetired,
            Event::HeaderSettled,
        ],
    );
    assert_eq!(lc.phase(), StreamPhase::Paused);
    assert_eq!(
        run(&mut lc, [Event::SegmentStarted { at_ms: 5.0 }]),
        [Action::PauseRecorder]
    );
    assert_eq!(lc.state(), &State::Paused);
}

#[test]
fn an_audio_only_engine_switch_keeps_no_video_bitrate() {
    let mut lc = Lifecycle::new(None, Retain::Bounded);
    run(&mut lc, [Event::Started { at_ms: 0.0 }]);
    run(
        &mut lc,
        [
            Event::EngineSwitching(encoder_failed()),
            Event::RecorderRetired,
            Event::HeaderSettled,
            Event::SegmentStarted { at_ms: 5.0 },
        ],
    );
    assert_eq!(lc.state(), &State::Recording);
    assert_eq!(lc.video_bps(), None);
}

#[test]
fn an_engine_switch_during_a_stop_changes_nothing() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::StopRequested]);
    assert_eq!(run(&mut lc, [Event::EngineSwitching(encoder_failed())]), []);
    run(&mut lc, finish());
    assert!(matches!(
        lc.state(),
        State::Ended {
            reason: EndReason::Stopped
        }
    ));
}

#[test]
fn a_stop_while_the_failed_engine_retires_starts_no_other() {
    let mut lc = recording(Retain::Bounded);
    run(&mut lc, [Event::EngineSwitching(encoder_failed())]);
    assert_eq!(run(&mut lc, [Event::StopRequested]), []);
    assert_eq!(lc.phase(), StreamPhase::Stopping);
    assert_eq!(
        run(&mut lc, [Event::RecorderRetired]),
        [Action::SettleHeader]
    );
    assert_eq!(run(&mut lc, [Event::HeaderSettled]), [Action::BeginFlush]);
}
