//! Stream pool policy with a scripted clock: keys, LRU, TTL, invalid and vanished
//! streams, restore on release.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::config::{ProducerConfig, StreamRequest};
use media_recorder_producer::core::constraints::media_constraints;
use media_recorder_producer::core::pool::{Acquire, PoolLimits, PoolPolicy, Release, StreamKey};
use media_recorder_producer::core::profile::DeviceProfile;
use media_recorder_producer::core::value::{obj, Value};
use proptest::prelude::*;

fn key(req: Value) -> StreamKey {
    let r = StreamRequest::from_value(&req).unwrap();
    let c = media_constraints(&ProducerConfig::default(), &r, &DeviceProfile::default());
    StreamKey::new("camera", &c)
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}

#[test]
fn keys_separate_devices_facing_modes_and_audio() {
    let base = key(Value::Null);
    assert_eq!(base, key(Value::Null));
    let cam_a = key(obj([("deviceId", s("a"))]));
    let cam_b = key(obj([("deviceId", s("b"))]));
    assert_ne!(cam_a, cam_b, "two devices never share");
    assert_ne!(
        key(obj([("facingMode", s("user"))])),
        key(obj([("facingMode", s("environment"))]))
    );
    assert_ne!(base, key(obj([("audio", Value::Bool(false))])));
    assert_ne!(base, key(obj([("width", Value::Number(640.0))])));
    assert_ne!(base, key(obj([("frameRate", Value::Number(15.0))])));
    // The seed's key would have been the same for all of these: 1280x720@30.
    // Field order does not matter.
    let a = StreamKey::new(
        "camera",
        &obj([("audio", Value::Bool(true)), ("video", Value::Bool(true))]),
    );
    let b = StreamKey::new(
        "camera",
        &obj([("video", Value::Bool(true)), ("audio", Value::Bool(true))]),
    );
    assert_eq!(a, b);
    assert_ne!(
        StreamKey::new("screen", &Value::Null),
        StreamKey::new("camera", &Value::Null)
    );
}

fn pool(max: usize, ttl: f64) -> PoolPolicy {
    PoolPolicy::new(PoolLimits {
        max_pool_size: max,
        ttl_ms: ttl,
    })
}

#[test]
fn a_different_key_never_gets_the_idle_stream() {
    let mut p = pool(5, 1e9);
    let a = key(obj([("deviceId", s("a"))]));
    let b = key(obj([("deviceId", s("b"))]));
    p.created(1, a.clone(), vec!["a".into()], 0.0);
    assert_eq!(
        p.release(1, 1.0, false),
        Release::Pooled { evicted: vec![] }
    );
    assert_eq!(p.acquire(&b, 2.0, |_| true, |_| true).0, Acquire::Create);
    assert_eq!(p.stats().pooled, 1);
    assert_eq!(p.acquire(&a, 3.0, |_| true, |_| true).0, Acquire::Reuse(1));
}

#[test]
fn lru_overflow_stops_the_least_recently_used() {
    let mut p = pool(2, 1e9);
    for id in 1..=3u64 {
        p.created(
            id,
            key(obj([("width", Value::Number(100.0 * id as f64))])),
            vec![],
            0.0,
        );
    }
    assert_eq!(
        p.release(2, 10.0, false),
        Release::Pooled { evicted: vec![] }
    );
    assert_eq!(
        p.release(1, 20.0, false),
        Release::Pooled { evicted: vec![] }
    );
    assert_eq!(
        p.release(3, 30.0, false),
        Release::Pooled { evicted: vec![2] }
    );
    let st = p.stats();
    assert_eq!((st.pooled, st.active, st.evictions), (2, 0, 1));
}

#[test]
fn ttl_expiry() {
    let mut p = pool(5, 1000.0);
    let k = key(Value::Null);
    p.created(1, k.clone(), vec![], 0.0);
    p.created(2, k.clone(), vec![], 0.0);
    p.release(1, 100.0, false);
    p.release(2, 600.0, false);
    assert_eq!(p.expire(1099.0), Vec::<u64>::new());
    assert_eq!(p.expire(1100.0), vec![1]);
    assert_eq!(p.expire(1600.0), vec![2]);
    assert_eq!(p.stats().expirations, 2);
    assert_eq!(p.acquire(&k, 1700.0, |_| true, |_| true).0, Acquire::Create);
}

#[test]
fn invalid_and_vanished_streams_are_never_reused() {
    let mut p = pool(5, 1e9);
    let k = key(Value::Null);
    p.created(1, k.clone(), vec!["cam".into()], 0.0);
    p.created(2, k.clone(), vec!["cam".into()], 0.0);
    p.release(1, 1.0, false);
    p.release(2, 2.0, false);
    // 2 is the most recent but its track ended; 1's device is gone.
    let (got, stop) = p.acquire(
        &k,
        3.0,
        |id| id != 2,
        |devs| !devs.contains(&"cam".to_string()),
    );
    assert_eq!(got, Acquire::Create);
    assert_eq!(stop, vec![2, 1]);
    assert_eq!(p.stats().pooled, 0);
    // Released invalid: stopped, not pooled.
    p.created(3, k.clone(), vec!["cam".into()], 4.0);
    assert_eq!(p.release(3, 5.0, true), Release::Stop);
    // A device that goes away: idle streams dropped, active ones reported.
    p.created(4, k.clone(), vec!["cam".into()], 6.0);
    p.created(5, k.clone(), vec!["mic".into()], 6.0);
    p.release(5, 7.0, false);
    let (idle, active) = p.devices_changed(&["cam".to_string()]);
    assert_eq!((idle, active), (vec![5], vec![]));
    let (idle, active) = p.devices_changed(&[]);
    assert_eq!((idle, active), (vec![], vec![4]));
}

#[test]
fn restore_on_release() {
    let mut p = pool(5, 1e9);
    let k = key(Value::Null);
    p.created(1, k.clone(), vec![], 0.0);
    p.mark_modified(1);
    assert_eq!(p.release(1, 1.0, false), Release::Restore);
    assert_eq!(
        p.acquire(&k, 2.0, |_| true, |_| true).0,
        Acquire::Create,
        "not reusable while restoring"
    );
    assert_eq!(
        p.restored(1, true, 3.0),
        Release::Pooled { evicted: vec![] }
    );
    assert_eq!(p.acquire(&k, 4.0, |_| true, |_| true).0, Acquire::Reuse(1));
    p.mark_modified(1);
    assert_eq!(p.release(1, 5.0, false), Release::Restore);
    assert_eq!(p.restored(1, false, 6.0), Release::Stop);
    assert_eq!(p.release(1, 7.0, false), Release::Unknown);
    assert_eq!(p.release(99, 7.0, false), Release::Unknown);
}

proptest! {
    /// The pool never holds more idle streams than its bound, never hands out one stream
    /// twice at once, and every stream is accounted for.
    #[test]
    fn pool_invariants(ops in prop::collection::vec((0u8..5, 0u64..4, 0.0f64..10_000.0), 1..200), max in 0usize..4) {
        let mut p = pool(max, 3000.0);
        let keys: Vec<StreamKey> = (0..4).map(|i| key(obj([("width", Value::Number(100.0 + i as f64))]))).collect();
        let mut next = 1u64;
        let mut out: Vec<u64> = vec![];
        let mut now = 0.0;
        for (op, k, dt) in ops {
            now += dt;
            match op {
                0 | 1 => {
                    let (a, _) = p.acquire(&keys[k as usize], now, |_| true, |_| true);
                    let id = match a {
                        Acquire::Reuse(id) => id,
                        Acquire::Create => { let id = next; next += 1; p.created(id, keys[k as usize].clone(), vec![], now); id }
                    };
                    prop_assert!(!out.contains(&id), "handed out twice");
                    out.push(id);
                }
                2 | 3 => {
                    if let Some(id) = out.pop() {
                        prop_assert!(p.release(id, now, op == 3 && k == 0) != Release::Unknown);
                    }
                }
                _ => { p.expire(now); }
            }
            let st = p.stats();
            prop_assert!(st.pooled as usize <= max);
            prop_assert_eq!(st.active as usize, out.len());
        }
    }
}
