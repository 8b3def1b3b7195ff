//! `StreamPool`: hands out `MediaStream`s and takes them back for reuse.
//!
//! The policy (keys, LRU, TTL, vanished devices) is [`crate::core::pool`]; this module
//! keeps the streams, asks the browser, and owns the pool's timer and `devicechange`
//! listener. The device list is cached and refreshed on `devicechange`, so an
//! acquisition never waits for `enumerateDevices()` (except the very first).
//!
//! Ownership: the pool owns every stream it holds, idle or handed out. Only
//! `destroy()`, expiry, overflow, invalidity or a vanished device stop a pooled
//! stream's tracks; a producer that borrows a stream gives it back on stop/destroy.
//! When the last owner of the pool goes away (the JS handle and every producer using
//! it), its streams are stopped.

use crate::core::idmap::IdMap;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{MediaStream, MediaStreamTrack};

use crate::core::config::{PoolConfig, ProducerConfig, Source, StreamRequest};
use crate::core::constraints::media_constraints;
use crate::core::error::{ErrorKind, ProducerError};
use crate::core::pool::{Acquire, PoolLimits, PoolPolicy, Release, StreamKey};
use crate::core::value::Value;
use crate::web::devices::{devices_js, enumerate, DeviceInfo};
use crate::web::interop::{args, to_js};
use crate::web::listeners::{report_uncaught, ListenerSet};
use crate::web::media::{self, LeaseReturn};

/// The device ids a stream's tracks use.
fn device_ids(stream: &MediaStream) -> Vec<String> {
    media::tracks(stream)
        .iter()
        .filter_map(|t| t.get_settings().get_device_id())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Whether every track of `stream` is live.
pub fn is_valid(stream: &MediaStream) -> bool {
    let tracks = media::tracks(stream);
    stream.active()
        && !tracks.is_empty()
        && tracks
            .iter()
            .all(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live)
}

fn constraints_text(track: &MediaStreamTrack) -> String {
    js_sys::JSON::stringify(&track.get_constraints())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

struct Held {
    stream: MediaStream,
    /// Each track with the constraints it was opened with (JSON and the object).
    original: Vec<(MediaStreamTrack, String, JsValue)>,
}

/// What the pool handle and every producer using the pool share.
pub struct PoolShared {
    destroyed: Cell<bool>,
    policy: RefCell<PoolPolicy>,
    held: RefCell<IdMap<Held>>,
    next_id: Cell<u64>,
    devices: RefCell<Option<Vec<DeviceInfo>>>,
    device_listener: RefCell<Option<EventListener>>,
    cleanup: RefCell<Option<Interval>>,
    pub(crate) on_device_change: ListenerSet,
}

impl PoolShared {
    /// Whether `destroy()` has run.
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.get()
    }

    fn stop_ids(&self, ids: &[u64]) {
        for id in ids {
            let gone = self.held.borrow_mut().remove(id);
            if let Some(h) = gone {
                media::stop_tracks(&h.stream);
            }
        }
    }

    fn id_of(&self, stream: &MediaStream) -> Option<u64> {
        // Copied out first: `Object.is` is a call into JS.
        let held: Vec<(u64, MediaStream)> = self
            .held
            .borrow()
            .iter()
            .map(|(id, h)| (*id, Clone::clone(&h.stream)))
            .collect();
        held.into_iter()
            .find(|(_, m)| Object::is(m, stream))
            .map(|(id, _)| id)
    }

    /// Whether this pool handed out `stream` and has not taken it back.
    pub fn owns_active(&self, stream: &MediaStream) -> bool {
        self.id_of(stream)
            .is_some_and(|id| self.policy.borrow().is_active(id))
    }

    /// A stream for `source` opened with `constraints`: an idle one of the same key if
    /// one is still valid, else a new one. The bool says whether it was reused.
    pub async fn acquire(
        self: &Rc<Self>,
        source: Source,
        constraints: &Value,
    ) -> Result<(MediaStream, bool), ProducerError> {
        if self.is_destroyed() {
            return Err(ProducerError::destroyed("StreamPool.acquire()"));
        }
        if self.devices.borrow().is_none() {
            // The first acquisition fills the cache; devicechange keeps it current.
            let list = enumerate().await.unwrap_or_default();
            *self.devices.borrow_mut() = Some(list);
        }
        let key = StreamKey::new(source.as_str(), constraints);
        let now = js_sys::Date::now();
        // Read the tracks first (calls into JS), then decide with no JS call under a borrow.
        let streams: Vec<(u64, MediaStream)> = self
            .held
            .borrow()
            .iter()
            .map(|(id, h)| (*id, Clone::clone(&h.stream)))
            .collect();
        let valid: Vec<u64> = streams
            .iter()
            .filter(|(_, m)| is_valid(m))
            .map(|(id, _)| *id)
            .collect();
        let present: Vec<String> = self
            .devices
            .borrow()
            .iter()
            .flatten()
            .map(|d| d.device_id.clone())
            .filter(|id| !id.is_empty())
            .collect();
        let (decision, stop) = self.policy.borrow_mut().acquire(
            &key,
            now,
            |id| valid.contains(&id),
            // Without permission the list has no ids: nothing can be judged gone.
            |ids| present.is_empty() || ids.iter().all(|d| present.contains(d)),
        );
        self.stop_ids(&stop);
        if let Acquire::Reuse(id) = decision {
            if let Some(h) = self.held.borrow().get(&id) {
                return Ok((Clone::clone(&h.stream), true));
            }
        }
        let stream = media::acquire(source, constraints).await?;
        if self.is_destroyed() {
            media::stop_tracks(&stream);
            return Err(ProducerError::destroyed("StreamPool.acquire()"));
        }
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let original = media::tracks(&stream)
            .into_iter()
            .map(|t| {
                let c = t.get_constraints();
                (Clone::clone(&t), constraints_text(&t), c.into())
            })
            .collect();
        self.policy
            .borrow_mut()
            .created(id, key, device_ids(&stream), now);
        self.held.borrow_mut().insert(
            id,
            Held {
                stream: Clone::clone(&stream),
                original,
            },
        );
        Ok((stream, false))
    }

    /// Takes `stream` back: pooled if still valid (constraints changed while out are
    /// restored first), otherwise stopped. `NotFoundError` for a stream this pool did
    /// not hand out.
    pub fn release(self: &Rc<Self>, stream: &MediaStream) -> Result<(), ProducerError> {
        let not_ours = || {
            ProducerError::new(
                ErrorKind::NoDevice,
                "StreamPool.release(): this MediaStream was not handed out by this pool (or was already released)",
            )
        };
        if self.is_destroyed() {
            return Ok(()); // destroy() already stopped it.
        }
        let id = self.id_of(stream).ok_or_else(not_ours)?;
        // Copied out first: reading a track's constraints is a call into JS.
        let original: Vec<(MediaStreamTrack, String, JsValue)> = self
            .held
            .borrow()
            .get(&id)
            .map(|h| {
                h.original
                    .iter()
                    .map(|(t, text, c)| (Clone::clone(t), text.clone(), c.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let changed: Vec<(MediaStreamTrack, JsValue)> = original
            .into_iter()
            .filter(|(t, text, _)| constraints_text(t) != *text)
            .map(|(t, _, c)| (t, c))
            .collect();
        if !changed.is_empty() {
            self.policy.borrow_mut().mark_modified(id);
        }
        let invalid = !is_valid(stream);
        let decision = self
            .policy
            .borrow_mut()
            .release(id, js_sys::Date::now(), invalid);
        match decision {
            Release::Unknown => Err(not_ours()),
            Release::Stop => {
                self.stop_ids(&[id]);
                Ok(())
            }
            Release::Pooled { evicted } => {
                self.stop_ids(&evicted);
                Ok(())
            }
            Release::Restore => {
                let weak = Rc::downgrade(self);
                spawn_local(async move {
                    let mut ok = true;
                    for (track, c) in changed {
                        let restored =
                            match track.apply_constraints_with_constraints(c.unchecked_ref()) {
                                Ok(p) => JsFuture::from(p).await.is_ok(),
                                Err(_) => false,
                            };
                        ok &= restored;
                    }
                    let Some(pool) = weak.upgrade() else { return };
                    if pool.is_destroyed() {
                        return;
                    }
                    let outcome = pool
                        .policy
                        .borrow_mut()
                        .restored(id, ok, js_sys::Date::now());
                    match outcome {
                        Release::Pooled { evicted } => pool.stop_ids(&evicted),
                        Release::Stop => pool.stop_ids(&[id]),
                        _ => {}
                    }
                });
                Ok(())
            }
        }
    }

    /// Stops every idle stream (memory relief); returns how many.
    pub fn release_idle(&self) -> usize {
        let ids = self.policy.borrow_mut().release_idle();
        self.stop_ids(&ids);
        ids.len()
    }

    fn expire(&self) {
        let ids = self.policy.borrow_mut().expire(js_sys::Date::now());
        self.stop_ids(&ids);
    }

    fn destroy(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        let cleanup = self.cleanup.borrow_mut().take();
        let listener = self.device_listener.borrow_mut().take();
        drop((cleanup, listener));
        let ids = self.policy.borrow_mut().drain();
        self.stop_ids(&ids);
        // Anything left (cannot happen, but never leave a track running).
        let rest: Vec<Held> = std::mem::take(&mut *self.held.borrow_mut())
            .into_values()
            .collect();
        for h in rest {
            media::stop_tracks(&h.stream);
        }
        self.on_device_change.clear();
    }

    fn stats_js(&self) -> Result<JsValue, ProducerError> {
        let stats = self.policy.borrow().stats();
        Ok(crate::web::interop::emit(&stats))
    }
}

impl LeaseReturn for PoolShared {
    fn give_back(self: Rc<Self>, stream: &MediaStream) {
        // Not ours any more (already released, or the pool was destroyed): nothing to do.
        let _ = self.release(stream);
    }
}

impl Drop for PoolShared {
    fn drop(&mut self) {
        self.destroy();
    }
}

async fn on_devices_changed(pool: Rc<PoolShared>) {
    let Ok(list) = enumerate().await else { return };
    if pool.is_destroyed() {
        return;
    }
    let present: Vec<String> = list
        .iter()
        .map(|d| d.device_id.clone())
        .filter(|id| !id.is_empty())
        .collect();
    *pool.devices.borrow_mut() = Some(list.clone());
    if !present.is_empty() {
        let (idle, active) = pool.policy.borrow_mut().devices_changed(&present);
        pool.stop_ids(&idle);
        // A stream in use on a device that went away: end its tracks; its producer
        // sees them ended on its next tick and ends the stream (DeviceLostError).
        let streams: Vec<MediaStream> = active
            .iter()
            .filter_map(|id| pool.held.borrow().get(id).map(|h| Clone::clone(&h.stream)))
            .collect();
        for m in streams {
            media::stop_tracks(&m);
        }
    }
    let payload = devices_js(&list);
    // The pool has no onError: a throwing listener is reported as the platform reports
    // a throwing event listener, as an uncaught error of the page.
    let _ = pool
        .on_device_change
        .emit(&payload, || !pool.is_destroyed(), report_uncaught);
}

thread_local! {
    /// Where [`StreamPool::lend`] leaves its pool for [`shared_of`] to take.
    static LENT: RefCell<Option<Rc<PoolShared>>> = const { RefCell::new(None) };
}

/// The JS name of [`StreamPool::lend`].
const LEND: &str = "__lendPool";

/// The pool behind `value` if it is a live `StreamPool` (the JS object wasm-bindgen made
/// for one), without taking it away from JS; `None` for anything else.
///
/// wasm-bindgen 0.2.130 has no way to borrow an exported class from a `JsValue`:
/// `TryFromJsValue` takes it by value (the caller's object is unusable afterwards), and
/// a `&StreamPool` parameter makes the glue throw a plain `Error("expected instance of
/// StreamPool")`, naming neither the method nor the argument, before our code runs. So
/// the pool lends itself: its hidden method is called with `value` as `this`, and the
/// glue hands Rust the pool behind it. Anything else has no such method, or has no pool
/// behind it (then the glue throws, and `call0` returns that as `Err`).
fn shared_of(value: &JsValue) -> Option<Rc<PoolShared>> {
    if !value.is_object() {
        return None;
    }
    let lend = Reflect::get(value, &LEND.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    LENT.with(|l| l.borrow_mut().take());
    lend.call0(value).ok()?;
    LENT.with(|l| l.borrow_mut().take())
}

/// A `StreamPool` argument (`usePool(pool)`): the pool behind it, without taking it
/// away from JS; a `TypeError` naming `arg` of `method` for anything else.
pub fn pool_arg(v: &JsValue, method: &str, arg: &str) -> Result<Rc<PoolShared>, ProducerError> {
    shared_of(v).ok_or_else(|| args::wrong_type(method, arg, "a StreamPool", v))
}

/// A pool of `MediaStream`s shared by producers (or used on its own): a released
/// stream is handed out again to a request for exactly the same thing, so a restart
/// costs microseconds instead of a new `getUserMedia`.
// Clone (for Rust callers): another handle to the same pool, as a JS reference is.
#[wasm_bindgen]
#[derive(Clone)]
pub struct StreamPool {
    pub(crate) shared: Rc<PoolShared>,
}

#[wasm_bindgen]
impl StreamPool {
    /// A pool; throws `TypeError`/`RangeError` naming the field for a bad config.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "StreamPoolConfig")] config: JsValue,
    ) -> Result<StreamPool, JsValue> {
        crate::web::interop::install();
        let value =
            args::options(&config, "new StreamPool", "poolConfig").map_err(|e| to_js(&e))?;
        let config = PoolConfig::from_value(&value).map_err(|e| to_js(&e))?;
        let shared = Rc::new(PoolShared {
            destroyed: Cell::new(false),
            policy: RefCell::new(PoolPolicy::new(PoolLimits {
                max_pool_size: config.max_pool_size as usize,
                ttl_ms: config.stream_ttl_ms as f64,
            })),
            held: RefCell::new(IdMap::new()),
            next_id: Cell::new(0),
            devices: RefCell::new(None),
            device_listener: RefCell::new(None),
            cleanup: RefCell::new(None),
            on_device_change: ListenerSet::new("onDeviceChange"),
        });
        let weak: Weak<PoolShared> = Rc::downgrade(&shared);
        *shared.cleanup.borrow_mut() = Some(Interval::new(config.cleanup_interval_ms, move || {
            if let Some(pool) = weak.upgrade() {
                pool.expire();
            }
        }));
        if let Ok(devices) = media::media_devices() {
            let weak: Weak<PoolShared> = Rc::downgrade(&shared);
            *shared.device_listener.borrow_mut() =
                Some(EventListener::new(&devices, "devicechange", move |_| {
                    if let Some(pool) = weak.upgrade() {
                        spawn_local(on_devices_changed(pool));
                    }
                }));
        }
        Ok(StreamPool { shared })
    }

    /// A stream for `videoConfig` (the same options as `startStream`): an idle pooled
    /// one if an identical request left one, else a new one.
    #[wasm_bindgen(unchecked_return_type = "Promise<MediaStream>")]
    pub fn acquire(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "VideoStreamConfig")] config: JsValue,
    ) -> js_sys::Promise {
        let shared = self.shared.clone();
        let parsed = args::options(&config, "StreamPool.acquire", "videoConfig")
            .and_then(|v| StreamRequest::from_value(&v));
        wasm_bindgen_futures::future_to_promise(async move {
            let req = parsed.map_err(|e| to_js(&e))?;
            if req.source == Source::External {
                return Err(to_js(&ProducerError::new(
                    ErrorKind::OutOfRange,
                    "videoConfig.source \"external\" has no device to pool",
                )));
            }
            let constraints = media_constraints(
                &ProducerConfig::default(),
                &req,
                &crate::web::media::device_profile(),
            );
            let (stream, _) = shared
                .acquire(req.source, &constraints)
                .await
                .map_err(|e| to_js(&e))?;
            Ok(stream.into())
        })
    }

    /// Gives `stream` back. Throws `NotFoundError` for a stream this pool did not hand
    /// out (or that was already released).
    pub fn release(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MediaStream")] stream: &JsValue,
    ) -> Result<(), JsValue> {
        let stream =
            args::media_stream(stream, "StreamPool.release", "stream").map_err(|e| to_js(&e))?;
        self.shared.release(&stream).map_err(|e| to_js(&e))
    }

    /// `{ pooled, active, creations, reuses, evictions, expirations, discarded }`.
    #[wasm_bindgen(unchecked_return_type = "StreamPoolStats")]
    pub fn stats(&self) -> JsValue {
        self.shared.stats_js().unwrap_or_else(|e| to_js(&e))
    }

    /// The cached device list (refreshed on `devicechange`).
    #[wasm_bindgen(unchecked_return_type = "Promise<DeviceInfo[]>")]
    pub fn devices(&self) -> js_sys::Promise {
        let shared = self.shared.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            if shared.devices.borrow().is_none() {
                let list = enumerate().await.map_err(|e| to_js(&e))?;
                *shared.devices.borrow_mut() = Some(list);
            }
            let list = shared.devices.borrow().clone().unwrap_or_default();
            Ok(devices_js(&list))
        })
    }

    /// Subscribes to device changes (the new list); returns the unsubscribe function.
    #[wasm_bindgen(js_name = onDeviceChange, unchecked_return_type = "() => void")]
    pub fn on_device_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(devices: DeviceInfo[]) => void")] callback: JsValue,
    ) -> Result<js_sys::Function, JsValue> {
        let f = args::function(callback, "StreamPool.onDeviceChange", "callback")
            .map_err(|e| to_js(&e))?;
        if self.shared.is_destroyed() {
            return Err(to_js(&ProducerError::destroyed(
                "StreamPool.onDeviceChange()",
            )));
        }
        Ok(self.shared.on_device_change.subscribe(f))
    }

    /// Whether `destroy()` has run.
    #[wasm_bindgen(getter)]
    pub fn destroyed(&self) -> bool {
        self.shared.is_destroyed()
    }

    /// Stops every stream the pool holds (idle and handed out), its timer and its
    /// device listener. Producers using it then fail to start with `InvalidStateError`.
    pub fn destroy(&self) {
        self.shared.destroy();
    }

    /// Not API: how [`shared_of`] reads the pool behind a JS value (`usePool(pool)`).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __lendPool, skip_typescript)]
    pub fn lend(&self) {
        LENT.with(|l| *l.borrow_mut() = Some(self.shared.clone()));
    }
}
