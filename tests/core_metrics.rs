//! Property tests of the performance score: always within 0..=100, never NaN.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::metrics::{LiveState, ProducerMetrics};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Frame(u64, f64, f64),
    Drops(u64, u64),
    Reuse,
    Creation,
    Adapt,
    Memory(f64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u64..1_000_000, prop_oneof![any::<f64>(), 0.0..1000.0], 0.0..1e7).prop_map(|(b, p, t)| Op::Frame(b, p, t)),
        1 => (0u64..1_000_000, 0u64..u64::MAX / 4).prop_map(|(f, b)| Op::Drops(f, b)),
        1 => Just(Op::Reuse),
        1 => Just(Op::Creation),
        1 => Just(Op::Adapt),
        1 => any::<f64>().prop_map(Op::Memory),
    ]
}

proptest! {
    #[test]
    fn score_stays_in_range(ops in prop::collection::vec(op(), 0..200), now in any::<f64>(), expected in any::<f64>()) {
        let mut m = ProducerMetrics::new(0.0);
        for op in ops {
            match op {
                Op::Frame(b, p, t) => m.record_frame(b, p, t),
                Op::Drops(f, b) => m.record_drops(f, b),
                Op::Reuse => m.record_connection_reuse(),
                Op::Creation => m.record_stream_creation(),
                Op::Adapt => m.record_quality_adaptation(),
                Op::Memory(x) => m.record_memory_sample(x),
            }
            let s = m.score(now, expected);
            prop_assert!(s.is_finite() && (0.0..=100.0).contains(&s), "score {}", s);
        }
        let snap = m.snapshot(now, LiveState::default());
        prop_assert!(snap.performance_score.is_finite());
        prop_assert!(snap.average_processing_time.is_finite());
        prop_assert!(snap.memory_trend.len() <= 60);
        prop_assert!(snap.memory_trend.iter().all(|x| x.is_finite()));
    }
}
