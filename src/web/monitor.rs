//! [`MemoryMonitor`]: reads memory on a timer, relieves pressure, tells listeners.
//!
//! Readings: the bytes the producer's rings hold (exact), the wasm linear memory, and
//! where the browser has them `performance.memory` (Chromium) and
//! `performance.measureUserAgentSpecificMemory()` (cross-origin-isolated pages, at
//! most once per [`UA_MEMORY_MIN_GAP_MS`]). Relief, when bytes held + JS heap cross the
//! threshold (at most once per cooldown): every ring's byte budget is cut to half of
//! what it holds (never below its header run), `retain: "all"` streams stop keeping
//! delivered chunks, and `onMemoryPressure` listeners get the readings and what was
//! freed. Budgets come back once pressure is below half the threshold.

use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use js_sys::{Object, Reflect};
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::core::memory::{relieved_budget, MemoryReadings, PressureGate};
use crate::web::producer::Shared;
use crate::web::stream;

/// Least time between two `measureUserAgentSpecificMemory()` calls (ms); the browser
/// may take many seconds to answer one (it waits for a garbage collection).
pub const UA_MEMORY_MIN_GAP_MS: f64 = 20_000.0;

/// The monitor's state; its timer runs while the producer is connected.
pub struct MemoryMonitor {
    gate: PressureGate,
    timer: Option<Interval>,
    ua_memory: Option<u64>,
    ua_pending: bool,
    ua_last_ms: Option<f64>,
}

impl MemoryMonitor {
    /// A stopped monitor for `threshold` bytes and `cooldown_ms`.
    pub fn new(threshold: u64, cooldown_ms: f64) -> Self {
        MemoryMonitor {
            gate: PressureGate::new(threshold, cooldown_ms),
            timer: None,
            ua_memory: None,
            ua_pending: false,
            ua_last_ms: None,
        }
    }

    /// Whether its timer runs.
    pub fn running(&self) -> bool {
        self.timer.is_some()
    }

    /// Stops the timer (drops it: it will not fire again).
    pub fn stop(&mut self) {
        self.timer = None;
    }
}

/// Starts the monitor's timer (every `memoryCheckInterval` ms) if it is not running.
pub fn start(shared: &Rc<Shared>) {
    if shared.monitor.borrow().running() {
        return;
    }
    let weak: Weak<Shared> = Rc::downgrade(shared);
    let timer = Interval::new(shared.config.memory_check_interval_ms, move || {
        if let Some(shared) = weak.upgrade() {
            check(&shared);
        }
    });
    shared.monitor.borrow_mut().timer = Some(timer);
}

fn number(target: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_f64())
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// The readings now (no relief).
pub fn readings(shared: &Shared) -> MemoryReadings {
    let streams = shared.live_streams();
    let bytes_held = streams
        .iter()
        .map(|s| s.st.borrow().ring.stats().held_bytes)
        .sum();
    let live_streams = streams
        .iter()
        .filter(|s| s.st.borrow().media.is_some())
        .count() as u32;
    let wasm_memory_bytes = Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .ok()
        .and_then(|b| number(&b, "byteLength"))
        .unwrap_or(0.0) as u64;
    let memory = shared
        .performance
        .as_ref()
        .and_then(|p| Reflect::get(p, &"memory".into()).ok())
        .filter(|m| m.is_object());
    let js_heap_used = memory
        .as_ref()
        .and_then(|m| number(m, "usedJSHeapSize"))
        .map(|n| n as u64);
    let js_heap_limit = memory
        .as_ref()
        .and_then(|m| number(m, "jsHeapSizeLimit"))
        .map(|n| n as u64);
    MemoryReadings {
        bytes_held,
        wasm_memory_bytes,
        js_heap_used,
        js_heap_limit,
        ua_memory_bytes: shared.monitor.borrow().ua_memory,
        live_streams,
        pressure_bytes: 0,
        threshold_bytes: shared.config.memory_threshold,
    }
    .with_pressure()
}

/// What one relief step freed.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Freed {
    /// Bytes of already-delivered chunks released (`retain: "all"` streams).
    bytes_released: u64,
    /// Bytes of undelivered chunks evicted (counted as dropped, reported as DataLossError).
    bytes_evicted: u64,
    /// Undelivered chunks evicted.
    frames_evicted: u64,
    /// Each live stream's new byte budget.
    budgets: Vec<Budget>,
    /// Idle pooled streams stopped.
    streams_released: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Budget {
    stream_id: String,
    budget_bytes: u64,
}

/// One check: read, record the trend, relieve if needed, restore when relaxed.
pub fn check(shared: &Rc<Shared>) {
    if shared.is_destroyed() {
        return;
    }
    request_ua_memory(shared);
    let before = readings(shared);
    shared
        .metrics
        .borrow_mut()
        .record_memory_sample(before.pressure_mb());
    let now = js_sys::Date::now();
    let (act, relaxed) = {
        let mut m = shared.monitor.borrow_mut();
        let act = m.gate.should_act(before.pressure_bytes, now);
        (act, m.gate.relaxed(before.pressure_bytes))
    };
    if act {
        relieve(shared, before);
    } else if relaxed {
        restore_budgets(shared);
    }
}

fn relieve(shared: &Rc<Shared>, before: MemoryReadings) {
    let mut freed = Freed::default();
    for s in shared.live_streams() {
        let (dropped, released, budget) = {
            let mut st = s.st.borrow_mut();
            let released = st.ring.release_delivered();
            let stats = st.ring.stats();
            let budget = relieved_budget(
                st.ring.limits().max_bytes,
                stats.held_bytes,
                stats.pinned_bytes,
            );
            (st.ring.set_max_bytes(budget), released, budget)
        };
        if released > 0 {
            s.st.borrow_mut().complete_abandoned = true;
            shared.emit_error(crate::core::error::ProducerError::new(
                crate::core::error::ErrorKind::DataLoss,
                format!(
                    "Stream {}: under memory pressure the delivered chunks kept for retain: \"all\" were released; no complete recording will be emitted at stop",
                    s.id()
                ),
            ));
        }
        freed.bytes_released += released;
        freed.bytes_evicted += dropped.iter().map(|d| d.size).sum::<u64>();
        freed.frames_evicted += dropped.len() as u64;
        freed.budgets.push(Budget {
            stream_id: s.id(),
            budget_bytes: budget,
        });
        stream::report_drops(shared, &s, dropped);
    }
    let pool = shared.pool.borrow().clone();
    if let Some(pool) = pool {
        freed.streams_released = pool.release_idle() as u64;
    }
    let after = readings(shared);
    if shared.log_to_console() {
        web_sys::console::warn_1(
            &format!(
                "media-recorder-producer: memory pressure {} bytes over the {} byte threshold; released {} bytes, evicted {} frames ({} bytes)",
                before.pressure_bytes, before.threshold_bytes, freed.bytes_released, freed.frames_evicted, freed.bytes_evicted
            )
            .into(),
        );
    }
    if shared.on_memory_pressure.is_empty() {
        return;
    }
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    let event = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&event, &k.into(), &v);
    };
    set("readings", before.serialize(&ser).unwrap_or(JsValue::NULL));
    set("after", after.serialize(&ser).unwrap_or(JsValue::NULL));
    set("freed", freed.serialize(&ser).unwrap_or(JsValue::NULL));
    set("timestamp", js_sys::Date::now().into());
    let d = shared
        .on_memory_pressure
        .dispatch(&event.into(), || !shared.is_destroyed());
    for t in d.thrown {
        shared.emit_listener_error("onMemoryPressure", t);
    }
}

fn restore_budgets(shared: &Rc<Shared>) {
    let configured = shared.config.buffer_max_bytes;
    for s in shared.live_streams() {
        let dropped = {
            let mut st = s.st.borrow_mut();
            if st.ring.limits().max_bytes >= configured {
                continue;
            }
            st.ring.set_max_bytes(configured)
        };
        stream::report_drops(shared, &s, dropped);
    }
}

/// Asks `performance.measureUserAgentSpecificMemory()` for a reading, where the page is
/// cross-origin isolated and the browser has it, at most once per [`UA_MEMORY_MIN_GAP_MS`].
fn request_ua_memory(shared: &Rc<Shared>) {
    let global = js_sys::global();
    let isolated = Reflect::get(&global, &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let Some(performance) = shared.performance.clone() else {
        return;
    };
    let measure = Reflect::get(&performance, &"measureUserAgentSpecificMemory".into())
        .ok()
        .filter(|f| f.is_function());
    let (Some(measure), true) = (measure, isolated) else {
        return;
    };
    let now = js_sys::Date::now();
    {
        let mut m = shared.monitor.borrow_mut();
        if m.ua_pending || m.ua_last_ms.is_some_and(|t| now - t < UA_MEMORY_MIN_GAP_MS) {
            return;
        }
        m.ua_pending = true;
        m.ua_last_ms = Some(now);
    }
    let f: js_sys::Function = measure.into();
    let promise = f.call0(&performance).ok().map(js_sys::Promise::from);
    let weak = Rc::downgrade(shared);
    spawn_local(async move {
        let result = match promise {
            Some(p) => JsFuture::from(p).await.ok(),
            None => None,
        };
        if let Some(shared) = weak.upgrade() {
            let mut m = shared.monitor.borrow_mut();
            m.ua_pending = false;
            if let Some(bytes) = result.as_ref().and_then(|r| number(r, "bytes")) {
                m.ua_memory = Some(bytes as u64);
            }
        }
    });
}
