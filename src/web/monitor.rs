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
//!
//! The monitor reads the streams through [`MonitorHost`] and tells each pipeline its
//! new budget; what the producer does with the event is the host's.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::core::config::ProducerConfig;
use crate::core::emit::{Emit, Out};
use crate::core::memory::{relieved_budget, MemoryReadings, PressureGate};
use crate::web::interop::{self, number};
use crate::web::pipeline::StreamPipeline;

/// What the memory monitor needs from its owner (the producer).
pub trait MonitorHost {
    /// The monitor's state.
    fn monitor(&self) -> &RefCell<MemoryMonitor>;
    /// The config (threshold, budgets, check interval).
    fn config(&self) -> &ProducerConfig;
    /// The streams now.
    fn pipelines(&self) -> Vec<Rc<StreamPipeline>>;
    /// `window.performance`, where there is one.
    fn performance(&self) -> Option<web_sys::Performance>;
    /// Whether the owner is gone.
    fn closed(&self) -> bool;
    /// Records a pressure sample (MB) for the metrics' memory trend.
    fn record_memory(&self, pressure_mb: f64);
    /// Stops the idle streams of the pool the producer uses; how many.
    fn release_idle_pooled(&self) -> u64;
    /// Tells `onMemoryPressure` listeners (and the console when asked to).
    fn pressure(&self, event: &JsValue, summary: PressureSummary);
}

/// The figures of one relief, for the opt-in console line.
pub struct PressureSummary {
    /// Bytes over the threshold before.
    pub pressure_bytes: u64,
    /// The threshold.
    pub threshold_bytes: u64,
    /// Bytes of delivered chunks let go.
    pub bytes_released: u64,
    /// Undelivered chunks evicted.
    pub frames_evicted: u64,
    /// Their bytes.
    pub bytes_evicted: u64,
}

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
    ///
    /// Returns the timer: the caller drops it once its borrow of this state has ended.
    #[must_use = "drop the timer after the borrow ends"]
    pub fn stop(&mut self) -> Option<Interval> {
        self.timer.take()
    }
}

/// Starts the monitor's timer (every `memoryCheckInterval` ms) if it is not running.
pub fn start(host: &Rc<dyn MonitorHost>) {
    if host.monitor().borrow().running() {
        return;
    }
    let weak: Weak<dyn MonitorHost> = Rc::downgrade(host);
    let timer = Interval::new(host.config().memory_check_interval_ms, move || {
        if let Some(host) = weak.upgrade() {
            check(&host);
        }
    });
    host.monitor().borrow_mut().timer = Some(timer);
}

/// The readings now (no relief).
pub fn readings(host: &dyn MonitorHost) -> MemoryReadings {
    let streams = host.pipelines();
    let bytes_held = streams.iter().map(|p| p.ring_stats().held_bytes).sum();
    let live_streams = streams.iter().filter(|p| p.media().is_some()).count() as u32;
    let wasm_memory_bytes = Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .ok()
        .and_then(|b| number(&b, "byteLength"))
        .unwrap_or(0.0) as u64;
    let memory = host
        .performance()
        .map(|p| interop::get(&p, "memory"))
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
        ua_memory_bytes: host.monitor().borrow().ua_memory,
        live_streams,
        pressure_bytes: 0,
        threshold_bytes: host.config().memory_threshold,
    }
    .with_pressure()
}

/// What one relief step freed.
#[derive(Debug, Default)]
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

#[derive(Debug)]
struct Budget {
    stream_id: String,
    budget_bytes: u64,
}

impl Emit for Freed {
    fn fields(&self, o: &mut dyn Out) {
        o.num("bytesReleased", self.bytes_released as f64);
        o.num("bytesEvicted", self.bytes_evicted as f64);
        o.num("framesEvicted", self.frames_evicted as f64);
        o.open("budgets", true);
        for b in &self.budgets {
            o.open("", false);
            o.text("streamId", &b.stream_id);
            o.num("budgetBytes", b.budget_bytes as f64);
            o.close();
        }
        o.close();
        o.num("streamsReleased", self.streams_released as f64);
    }
}

/// One check: read, record the trend, relieve if needed, restore when relaxed.
pub fn check(host: &Rc<dyn MonitorHost>) {
    if host.closed() {
        return;
    }
    request_ua_memory(host);
    let before = readings(host.as_ref());
    host.record_memory(before.pressure_mb());
    let now = js_sys::Date::now();
    let (act, relaxed) = {
        let mut m = host.monitor().borrow_mut();
        let act = m.gate.should_act(before.pressure_bytes, now);
        (act, m.gate.relaxed(before.pressure_bytes))
    };
    if act {
        relieve(host.as_ref(), before);
    } else if relaxed {
        let configured = host.config().buffer_max_bytes;
        for p in host.pipelines() {
            p.restore_budget(configured);
        }
    }
}

fn relieve(host: &dyn MonitorHost, before: MemoryReadings) {
    let mut freed = Freed::default();
    for p in host.pipelines() {
        let (released, budget, dropped) = p.relieve(relieved_budget);
        freed.bytes_released += released;
        freed.bytes_evicted += dropped.iter().map(|d| d.size).sum::<u64>();
        freed.frames_evicted += dropped.len() as u64;
        freed.budgets.push(Budget {
            stream_id: p.id(),
            budget_bytes: budget,
        });
    }
    freed.streams_released = host.release_idle_pooled();
    let after = readings(host);
    let event = interop::object();
    interop::set(&event, "readings", &interop::emit(&before));
    interop::set(&event, "after", &interop::emit(&after));
    interop::set(&event, "freed", &interop::emit(&freed));
    interop::set(&event, "timestamp", &js_sys::Date::now().into());
    host.pressure(
        &event,
        PressureSummary {
            pressure_bytes: before.pressure_bytes,
            threshold_bytes: before.threshold_bytes,
            bytes_released: freed.bytes_released,
            frames_evicted: freed.frames_evicted,
            bytes_evicted: freed.bytes_evicted,
        },
    );
}

/// Asks `performance.measureUserAgentSpecificMemory()` for a reading, where the page is
/// cross-origin isolated and the browser has it, at most once per [`UA_MEMORY_MIN_GAP_MS`].
fn request_ua_memory(host: &Rc<dyn MonitorHost>) {
    let global = js_sys::global();
    let isolated = Reflect::get(&global, &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let Some(performance) = host.performance() else {
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
        let mut m = host.monitor().borrow_mut();
        if m.ua_pending || m.ua_last_ms.is_some_and(|t| now - t < UA_MEMORY_MIN_GAP_MS) {
            return;
        }
        m.ua_pending = true;
        m.ua_last_ms = Some(now);
    }
    let f: js_sys::Function = measure.into();
    let promise = f.call0(&performance).ok().map(js_sys::Promise::from);
    let weak = Rc::downgrade(host);
    spawn_local(async move {
        let result = match promise {
            Some(p) => JsFuture::from(p).await.ok(),
            None => None,
        };
        if let Some(host) = weak.upgrade() {
            let mut m = host.monitor().borrow_mut();
            m.ua_pending = false;
            if let Some(bytes) = result.as_ref().and_then(|r| number(r, "bytes")) {
                m.ua_memory = Some(bytes as u64);
            }
        }
    });
}
