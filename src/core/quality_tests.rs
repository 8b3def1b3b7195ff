//! Unit tests of the quality controller (private items; the property tests are
//! tests/core_quality.rs).
use super::*;

fn ctl() -> QualityController {
    QualityController::new(
        ladder(1280, 720, 30.0, 30.0, 2_500_000),
        0.0,
        ControllerConfig {
            step_down_after: 5,
            step_up_after: 10,
            ..Default::default()
        },
    )
}

const OVER: LoadSample = LoadSample {
    processing_ms: 5.0,
    backlog: 0,
    busy: 0.9,
    encode_queue: 0,
    encode_ms: 0.0,
    encode_drops: 0,
};
const IDLE: LoadSample = LoadSample {
    processing_ms: 1.0,
    backlog: 0,
    busy: 0.0,
    encode_queue: 0,
    encode_ms: 0.0,
    encode_drops: 0,
};
const MID: LoadSample = LoadSample {
    processing_ms: 1.0,
    backlog: 0,
    busy: 0.35,
    encode_queue: 0,
    encode_ms: 0.0,
    encode_drops: 0,
};

#[test]
fn the_encoders_figures_are_load_too() {
    let c = ControllerConfig::default();
    let with = |f: fn(&mut LoadSample)| {
        let mut s = IDLE;
        f(&mut s);
        c.classify(&s)
    };
    assert_eq!(c.classify(&IDLE), Load::Headroom);
    assert_eq!(with(|s| s.encode_drops = 1), Load::Overloaded);
    assert_eq!(with(|s| s.encode_queue = 4), Load::Overloaded);
    assert_eq!(with(|s| s.encode_ms = 60.0), Load::Overloaded);
    assert_eq!(with(|s| s.encode_queue = 2), Load::Steady);
    assert_eq!(with(|s| s.encode_ms = 30.0), Load::Steady);
    assert_eq!(with(|s| s.encode_queue = 1), Load::Headroom);
}

#[test]
fn steps_down_after_n_overloaded_windows_in_a_row() {
    let mut c = ctl();
    for _ in 0..4 {
        assert!(c.on_window(OVER).is_none());
    }
    // A steady window breaks the streak.
    assert!(c.on_window(MID).is_none());
    for _ in 0..4 {
        assert!(c.on_window(OVER).is_none());
    }
    let ch = c.on_window(OVER).unwrap();
    assert_eq!((ch.from.index, ch.to.index, ch.reason), (0, 1, "overload"));
}

#[test]
fn steps_up_only_after_sustained_headroom() {
    let mut c = ctl();
    for _ in 0..10 {
        c.on_window(OVER);
    }
    assert_eq!(c.level().index, 2);
    for _ in 0..9 {
        assert!(c.on_window(IDLE).is_none());
    }
    let ch = c.on_window(IDLE).unwrap();
    assert_eq!((ch.to.index, ch.reason), (1, "headroom"));
    for _ in 0..10 {
        c.on_window(IDLE);
    }
    assert_eq!(c.level().index, 0);
    // Never above the top.
    for _ in 0..100 {
        assert!(c.on_window(IDLE).is_none());
    }
}

#[test]
fn never_below_the_floor() {
    let mut c = QualityController::new(
        ladder(1280, 720, 30.0, 30.0, 2_500_000),
        0.3,
        ControllerConfig::default(),
    );
    for _ in 0..1000 {
        c.on_window(OVER);
    }
    assert!(c.level().quality >= 0.3);
    assert_eq!(c.level(), c.floor());
}

#[test]
fn a_load_that_only_the_higher_level_cannot_bear_settles() {
    // At levels 0..=1 the load is too much; at 2 it leaves headroom.
    let mut c = ctl();
    let mut switches = 0;
    for _ in 0..2000 {
        let s = if c.level().index <= 1 { OVER } else { IDLE };
        if c.on_window(s).is_some() {
            switches += 1;
        }
    }
    // Back-off doubles the headroom needed after each failed climb: a few tries, then
    // one every 80 windows at most.
    assert!(switches <= 2 + 2 * (2000 / 80) + 8, "{switches} switches");
    let mut late = 0;
    for _ in 0..400 {
        let s = if c.level().index <= 1 { OVER } else { IDLE };
        if c.on_window(s).is_some() {
            late += 1;
        }
    }
    assert!(late <= 10, "{late} switches in the last 400 windows");
}

#[test]
fn target_fps_caps_the_ladder() {
    let l = ladder(1280, 720, 30.0, 20.0, 1_000_000);
    assert_eq!((l[0].width, l[0].frame_rate), (1280, 20.0));
    assert!(l.iter().all(|x| x.frame_rate <= 20.0));
}

#[test]
fn a_new_cap_moves_the_level() {
    let mut c = ctl();
    let ch = c
        .set_ladder(ladder(640, 360, 15.0, 30.0, 2_500_000), 0.0)
        .unwrap();
    assert_eq!(ch.reason, "cap");
    assert_eq!((c.level().width, c.level().frame_rate), (640, 15.0));
    assert!(c
        .set_ladder(ladder(640, 360, 15.0, 30.0, 2_500_000), 0.0)
        .is_none());
}
