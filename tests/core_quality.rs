//! Property tests of the quality controller.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::quality::{
    ladder, ControllerConfig, LoadSample, QualityController,
};
use proptest::prelude::*;

fn sample() -> impl Strategy<Value = LoadSample> {
    (
        0.0f64..200.0,
        0u64..30,
        0.0f64..1.0,
        0u32..10,
        0.0f64..100.0,
        0u64..3,
    )
        .prop_map(|(p, b, busy, q, ms, d)| LoadSample {
            processing_ms: p,
            backlog: b,
            busy,
            encode_queue: q,
            encode_ms: ms,
            encode_drops: d,
        })
}

proptest! {
    /// Whatever the load, the level stays within [floor, top] and moves one rung at a time.
    #[test]
    fn never_leaves_the_ladder(samples in prop::collection::vec(sample(), 1..500), floor in 0.0f64..1.0, down in 1u32..8, up in 1u32..20) {
        let cfg = ControllerConfig { step_down_after: down, step_up_after: up, ..Default::default() };
        let mut c = QualityController::new(ladder(1920, 1080, 60.0, 30.0, 2_500_000), floor, cfg);
        let top = c.ladder()[0];
        for s in samples {
            let before = c.level().index;
            if let Some(ch) = c.on_window(s) {
                prop_assert_eq!(ch.from.index, before);
                prop_assert!((ch.to.index as i64 - before as i64).abs() == 1);
            }
            prop_assert!(c.level().quality >= floor - 1e-9 || c.level() == c.floor());
            prop_assert!(c.level().index <= c.floor().index);
            prop_assert!(c.level().width <= top.width);
        }
    }

    /// Under a constant load the controller settles: a bounded number of switches.
    #[test]
    fn constant_load_settles(s in sample()) {
        let mut c = QualityController::new(ladder(1280, 720, 30.0, 30.0, 2_500_000), 0.0, ControllerConfig::default());
        let mut switches = 0;
        for _ in 0..5000 {
            if c.on_window(s).is_some() { switches += 1; }
        }
        prop_assert!(switches <= c.ladder().len(), "{} switches", switches);
    }
}
