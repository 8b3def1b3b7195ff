//! Stream pool policy: which held stream to reuse, when to stop one.
//!
//! Pure bookkeeping over stream ids (the browser shell keeps the `MediaStream`s): keys,
//! idle and active sets, least-recently-used overflow, time-to-live, vanished devices
//! and the stats. Time comes in as milliseconds, so tests script the clock.
//!
//! The seed keyed streams by `WxH@fps` alone, so two cameras (or a front and a back
//! camera) would share one stream. A [`StreamKey`] is everything that makes a stream
//! different as requested: the source and the whole constraints object that
//! `getUserMedia`/`getDisplayMedia` is given (device ids, facing mode, size, rate,
//! audio on/off and its processing flags), in a canonical form.
//!
//! ```
//! use media_recorder_producer::core::pool::{Acquire, PoolLimits, PoolPolicy, Release, StreamKey};
//! use media_recorder_producer::core::value::{obj, Value};
//!
//! let mut pool = PoolPolicy::new(PoolLimits::default());
//! let key = StreamKey::new("camera", &obj([("video", Value::Bool(true))]));
//! assert_eq!(pool.acquire(&key, 0.0, |_| true, |_| true).0, Acquire::Create);
//! pool.created(7, key.clone(), vec!["cam-1".into()], 0.0);
//! assert_eq!(pool.release(7, 10.0, false), Release::Pooled { evicted: vec![] });
//! assert_eq!(pool.acquire(&key, 20.0, |_| true, |_| true).0, Acquire::Reuse(7));
//! assert_eq!((pool.stats().creations, pool.stats().reuses), (1, 1));
//! ```

use crate::core::emit::{Emit, Out};
use crate::core::idmap::IdMap;
use crate::core::value::Value;

/// Identifies what a stream was requested as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey(String);

impl StreamKey {
    /// The key for `source` opened with `constraints` (objects are compared with their
    /// keys sorted, numbers by value).
    pub fn new(source: &str, constraints: &Value) -> Self {
        let mut out = String::with_capacity(128);
        out.push_str(source);
        out.push('|');
        canonical(constraints, &mut out);
        StreamKey(out)
    }

    /// The canonical text (for diagnostics).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // The exact bits, as integers: equal keys for equal numbers, and no float
        // formatting code in the wasm (it costs ~10 KB).
        Value::Number(n) => {
            let n = if *n == 0.0 { 0.0 } else { *n }; // -0 and 0 are the same constraint
            out.push_str("n:");
            out.push_str(&n.to_bits().to_string());
        }
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            // In key order; `null` members are the same as absent.
            let mut first = true;
            for (k, v) in map
                .sorted()
                .into_iter()
                .filter(|(_, v)| !matches!(v, Value::Null))
            {
                if !first {
                    out.push(',');
                }
                first = false;
                canonical(&Value::String(k.clone()), out);
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
    }
}

/// The pool's bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolLimits {
    /// Most idle streams kept (`maxPoolSize`, default 5); overflow stops the least
    /// recently used.
    pub max_pool_size: usize,
    /// How long an idle stream is kept (`streamTtl`, default 5 min).
    pub ttl_ms: f64,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits {
            max_pool_size: 5,
            ttl_ms: 5.0 * 60.0 * 1000.0,
        }
    }
}

/// Counters and sizes (`stats()` in JS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Idle streams held now.
    pub pooled: u64,
    /// Streams handed out and not yet released.
    pub active: u64,
    /// Streams opened from a device.
    pub creations: u64,
    /// Acquisitions served by an idle stream.
    pub reuses: u64,
    /// Idle streams stopped for overflow (LRU), invalidity or a vanished device.
    pub evictions: u64,
    /// Idle streams stopped because their time to live ran out.
    pub expirations: u64,
    /// Released streams stopped instead of pooled (ended, or not restorable).
    pub discarded: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    key: StreamKey,
    devices: Vec<String>,
    modified: bool,
    since_ms: f64,
}

/// What [`PoolPolicy::acquire`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// Hand out this idle stream.
    Reuse(u64),
    /// Open a new stream, then call [`PoolPolicy::created`].
    Create,
}

/// What [`PoolPolicy::release`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Now idle; `evicted` (least recently used, over `maxPoolSize`) must be stopped.
    Pooled {
        /// Streams to stop.
        evicted: Vec<u64>,
    },
    /// Its constraints were changed while out: restore them, then call
    /// [`PoolPolicy::restored`] with the outcome.
    Restore,
    /// Stop it (the pool keeps no idle streams, or the stream is invalid).
    Stop,
    /// The pool never gave it out (or already took it back).
    Unknown,
}

/// The pool's bookkeeping. Streams are named by ids the caller chooses.
#[derive(Debug, Clone)]
pub struct PoolPolicy {
    limits: PoolLimits,
    idle: IdMap<Entry>,
    active: IdMap<Entry>,
    restoring: IdMap<Entry>,
    stats: PoolStats,
}

impl PoolPolicy {
    /// An empty pool.
    pub fn new(limits: PoolLimits) -> Self {
        PoolPolicy {
            limits,
            idle: IdMap::new(),
            active: IdMap::new(),
            restoring: IdMap::new(),
            stats: PoolStats::default(),
        }
    }

    /// The counters now.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            pooled: self.idle.len() as u64,
            active: (self.active.len() + self.restoring.len()) as u64,
            ..self.stats
        }
    }

    /// Finds a stream for `key`. `is_valid(id)` says whether an idle stream is still
    /// usable (stream active, every track live); `devices_present(ids)` whether its
    /// devices are still listed. Idle streams of the key that fail either are dropped
    /// and returned for stopping (second value).
    pub fn acquire(
        &mut self,
        key: &StreamKey,
        now_ms: f64,
        mut is_valid: impl FnMut(u64) -> bool,
        mut devices_present: impl FnMut(&[String]) -> bool,
    ) -> (Acquire, Vec<u64>) {
        let mut stop = Vec::new();
        // Most recently idle first.
        let mut candidates: Vec<(u64, f64)> = self
            .idle
            .iter()
            .filter(|(_, e)| &e.key == key)
            .map(|(id, e)| (*id, e.since_ms))
            .collect();
        // Most recent first, without `slice::sort` (kilobytes of wasm for a few items).
        while let Some(at) = (0..candidates.len()).reduce(|best, i| {
            if candidates[i].1 > candidates[best].1 {
                i
            } else {
                best
            }
        }) {
            let (id, _) = candidates.remove(at);
            let usable = match self.idle.get(&id) {
                Some(e) => is_valid(id) && devices_present(&e.devices),
                None => continue,
            };
            let Some(mut entry) = self.idle.remove(&id) else {
                continue;
            };
            if usable {
                entry.since_ms = now_ms;
                entry.modified = false;
                self.active.insert(id, entry);
                self.stats.reuses += 1;
                return (Acquire::Reuse(id), stop);
            }
            self.stats.evictions += 1;
            stop.push(id);
        }
        (Acquire::Create, stop)
    }

    /// A stream was opened for `key` (after [`Acquire::Create`]) and handed out.
    pub fn created(&mut self, id: u64, key: StreamKey, devices: Vec<String>, now_ms: f64) {
        self.stats.creations += 1;
        self.active.insert(
            id,
            Entry {
                key,
                devices,
                modified: false,
                since_ms: now_ms,
            },
        );
    }

    /// Marks a handed-out stream as changed (e.g. `applyConstraints` while out).
    pub fn mark_modified(&mut self, id: u64) {
        if let Some(e) = self.active.get_mut(&id) {
            e.modified = true;
        }
    }

    /// A stream comes back. `invalid`: it can no longer be used (a track ended).
    pub fn release(&mut self, id: u64, now_ms: f64, invalid: bool) -> Release {
        let Some(mut entry) = self.active.remove(&id) else {
            return Release::Unknown;
        };
        if invalid || self.limits.max_pool_size == 0 {
            self.stats.discarded += 1;
            return Release::Stop;
        }
        if entry.modified {
            self.restoring.insert(id, entry);
            return Release::Restore;
        }
        entry.since_ms = now_ms;
        self.idle.insert(id, entry);
        Release::Pooled {
            evicted: self.trim(),
        }
    }

    /// The outcome of a [`Release::Restore`]: pooled if `ok`, else to be stopped.
    pub fn restored(&mut self, id: u64, ok: bool, now_ms: f64) -> Release {
        let Some(mut entry) = self.restoring.remove(&id) else {
            return Release::Unknown;
        };
        if !ok {
            self.stats.discarded += 1;
            return Release::Stop;
        }
        entry.modified = false;
        entry.since_ms = now_ms;
        self.idle.insert(id, entry);
        Release::Pooled {
            evicted: self.trim(),
        }
    }

    /// Least recently used idle streams over `maxPoolSize`, removed.
    fn trim(&mut self) -> Vec<u64> {
        let mut evicted = Vec::new();
        while self.idle.len() > self.limits.max_pool_size {
            let Some(oldest) = self
                .idle
                .iter()
                .min_by(|a, b| a.1.since_ms.total_cmp(&b.1.since_ms))
                .map(|(id, _)| *id)
            else {
                break;
            };
            self.idle.remove(&oldest);
            self.stats.evictions += 1;
            evicted.push(oldest);
        }
        evicted
    }

    /// Idle streams whose time to live has run out at `now_ms`, removed.
    pub fn expire(&mut self, now_ms: f64) -> Vec<u64> {
        let ttl = self.limits.ttl_ms;
        let gone: Vec<u64> = self
            .idle
            .iter()
            .filter(|(_, e)| now_ms - e.since_ms >= ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            self.idle.remove(id);
        }
        self.stats.expirations += gone.len() as u64;
        gone
    }

    /// The device list changed to `present`: idle streams on a device no longer listed
    /// are removed (first value: stop them); handed-out streams on such a device are
    /// returned so their users can end them (second value; they stay handed out).
    pub fn devices_changed(&mut self, present: &[String]) -> (Vec<u64>, Vec<u64>) {
        let gone = |e: &Entry| e.devices.iter().any(|d| !present.contains(d));
        let idle: Vec<u64> = self
            .idle
            .iter()
            .filter(|(_, e)| gone(e))
            .map(|(id, _)| *id)
            .collect();
        for id in &idle {
            self.idle.remove(id);
        }
        self.stats.evictions += idle.len() as u64;
        let active = self
            .active
            .iter()
            .filter(|(_, e)| gone(e))
            .map(|(id, _)| *id)
            .collect();
        (idle, active)
    }

    /// Removes every idle stream (memory relief); returns them for stopping.
    pub fn release_idle(&mut self) -> Vec<u64> {
        let ids: Vec<u64> = self.idle.keys().copied().collect();
        self.idle.clear();
        self.stats.evictions += ids.len() as u64;
        ids
    }

    /// Removes everything (destroy); returns every stream for stopping.
    pub fn drain(&mut self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.idle.keys().copied().collect();
        ids.extend(self.active.keys().copied());
        ids.extend(self.restoring.keys().copied());
        self.idle.clear();
        self.active.clear();
        self.restoring.clear();
        ids
    }

    /// Whether the pool handed out `id` and has not taken it back.
    pub fn is_active(&self, id: u64) -> bool {
        self.active.contains_key(&id) || self.restoring.contains_key(&id)
    }
}

impl Emit for PoolStats {
    fn fields(&self, o: &mut dyn Out) {
        o.num("pooled", self.pooled as f64);
        o.num("active", self.active as f64);
        o.num("creations", self.creations as f64);
        o.num("reuses", self.reuses as f64);
        o.num("evictions", self.evictions as f64);
        o.num("expirations", self.expirations as f64);
        o.num("discarded", self.discarded as f64);
    }
}
