//! Memory pressure: what is measured, when to act, and how far to shrink.
//!
//! The seed's monitor read only Chromium's JS heap — which does not contain Blob bytes,
//! the very thing a recorder accumulates — then called a `window.gc` that pages do not
//! have. Here pressure is what the library itself holds (the rings' bytes, counted
//! exactly) plus the JS heap where the browser reports it; relief is real: buffers give
//! up what they can. Readings a browser lacks are `None` (JS `null`), never 0.

use crate::core::emit::{num_or_null, Emit, Out};

/// One set of readings (bytes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryReadings {
    /// Bytes the producer's rings hold (header runs, pending and in-delivery chunks,
    /// and with `retain: "all"` the whole recording). Blob bytes live outside the JS
    /// heap, so this is the number that grows with a recording.
    pub bytes_held: u64,
    /// Size of the library's WebAssembly linear memory.
    pub wasm_memory_bytes: u64,
    /// `performance.memory.usedJSHeapSize` (Chromium only).
    pub js_heap_used: Option<u64>,
    /// `performance.memory.jsHeapSizeLimit` (Chromium only).
    pub js_heap_limit: Option<u64>,
    /// The last `performance.measureUserAgentSpecificMemory()` result (needs a
    /// cross-origin-isolated page; Chromium only).
    pub ua_memory_bytes: Option<u64>,
    /// Streams with live tracks the producer holds.
    pub live_streams: u32,
    /// What is compared with the threshold: `bytesHeld + jsHeapUsed` (the heap counts
    /// only where the browser reports it).
    pub pressure_bytes: u64,
    /// The threshold.
    pub threshold_bytes: u64,
}

impl MemoryReadings {
    /// Fills in `pressure_bytes` from the parts.
    pub fn with_pressure(mut self) -> Self {
        self.pressure_bytes = self
            .bytes_held
            .saturating_add(self.js_heap_used.unwrap_or(0));
        self
    }

    /// Pressure in MB (for the metrics trend).
    pub fn pressure_mb(&self) -> f64 {
        self.pressure_bytes as f64 / (1024.0 * 1024.0)
    }
}

/// Decides when to act: above the threshold, at most once per cooldown.
///
/// ```
/// use media_recorder_producer::core::memory::PressureGate;
/// let mut gate = PressureGate::new(1000, 30_000.0);
/// assert!(!gate.should_act(999, 0.0));
/// assert!(gate.should_act(1001, 0.0));
/// assert!(!gate.should_act(5000, 29_999.0)); // cooling down
/// assert!(gate.should_act(5000, 30_000.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PressureGate {
    threshold: u64,
    cooldown_ms: f64,
    last_act_ms: Option<f64>,
}

impl PressureGate {
    /// A gate for `threshold` bytes with `cooldown_ms` between actions.
    pub fn new(threshold: u64, cooldown_ms: f64) -> Self {
        PressureGate {
            threshold,
            cooldown_ms,
            last_act_ms: None,
        }
    }

    /// Whether to act on `pressure` at `now_ms`; if so, the cooldown starts now.
    pub fn should_act(&mut self, pressure: u64, now_ms: f64) -> bool {
        if pressure <= self.threshold {
            return false;
        }
        if let Some(last) = self.last_act_ms {
            if now_ms - last < self.cooldown_ms {
                return false;
            }
        }
        self.last_act_ms = Some(now_ms);
        true
    }

    /// Whether pressure is low enough to give buffers their configured budgets back
    /// (below half the threshold).
    pub fn relaxed(&self, pressure: u64) -> bool {
        pressure < self.threshold / 2
    }

    /// The threshold in bytes.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }
}

/// The smallest byte budget relief gives a ring (unless its header run is larger).
pub const MIN_RELIEF_BUDGET: u64 = 64 * 1024;

/// A ring's byte budget after one relief step: half of what it holds now (so eviction
/// really frees bytes), never below its header run nor below [`MIN_RELIEF_BUDGET`], and
/// never above its current budget.
///
/// ```
/// use media_recorder_producer::core::memory::relieved_budget;
/// assert_eq!(relieved_budget(8 << 20, 4 << 20, 200), 2 << 20);
/// assert_eq!(relieved_budget(8 << 20, 100_000, 200), 65_536);
/// assert_eq!(relieved_budget(8 << 20, 4 << 20, 3 << 20), 3 << 20); // the header run stays
/// ```
pub fn relieved_budget(current_budget: u64, held: u64, pinned: u64) -> u64 {
    (held / 2)
        .max(MIN_RELIEF_BUDGET)
        .max(pinned)
        .min(current_budget.max(pinned))
}

impl Emit for MemoryReadings {
    fn fields(&self, o: &mut dyn Out) {
        o.num("bytesHeld", self.bytes_held as f64);
        o.num("wasmMemoryBytes", self.wasm_memory_bytes as f64);
        num_or_null(o, "jsHeapUsed", self.js_heap_used.map(|n| n as f64));
        num_or_null(o, "jsHeapLimit", self.js_heap_limit.map(|n| n as f64));
        num_or_null(o, "uaMemoryBytes", self.ua_memory_bytes.map(|n| n as f64));
        o.num("liveStreams", f64::from(self.live_streams));
        o.num("pressureBytes", self.pressure_bytes as f64);
        o.num("thresholdBytes", self.threshold_bytes as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_with_a_scripted_clock() {
        let mut g = PressureGate::new(100, 30_000.0);
        let acts: Vec<bool> = [0.0, 10_000.0, 29_999.0, 30_000.0, 45_000.0, 60_001.0]
            .iter()
            .map(|&t| g.should_act(1_000, t))
            .collect();
        assert_eq!(acts, vec![true, false, false, true, false, true]);
        // Below the threshold nothing happens and the cooldown is not consumed.
        let mut g = PressureGate::new(100, 30_000.0);
        assert!(!g.should_act(100, 0.0));
        assert!(g.should_act(101, 1.0));
    }

    #[test]
    fn relief_never_goes_below_the_header_run() {
        for pinned in [0u64, 189, 70_000, 5 << 20] {
            for held in [0u64, 1000, 1 << 20, 64 << 20] {
                for budget in [1024u64, 1 << 20, 8 << 20] {
                    let b = relieved_budget(budget, held, pinned);
                    assert!(b >= pinned, "budget {b} < header {pinned}");
                    assert!(b <= budget.max(pinned));
                }
            }
        }
    }

    #[test]
    fn pressure_counts_the_heap_only_where_reported() {
        let r = MemoryReadings {
            bytes_held: 10,
            js_heap_used: None,
            ..Default::default()
        }
        .with_pressure();
        assert_eq!(r.pressure_bytes, 10);
        let r = MemoryReadings {
            bytes_held: 10,
            js_heap_used: Some(5),
            ..Default::default()
        }
        .with_pressure();
        assert_eq!(r.pressure_bytes, 15);
    }
}
