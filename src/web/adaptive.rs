//! Adaptive quality in the browser: measures load, feeds the core's
//! [`QualityController`], and applies its levels to the real tracks.
//!
//! Load signal per window (`qualityWindow`, default 1 s). Each input counts only what
//! is load on this page, so that no quality step happens without real load:
//! - processing time: how long the `onFrame` listeners ran on the main thread per
//!   frame (not the time their Promises wait for a network or a disk);
//! - backlog: chunks waiting for a consumer that is subscribed, counted from when it
//!   subscribed (with no listener, undelivered chunks are not load: the ring's drop
//!   accounting reports them);
//! - main-thread busy time: the larger of the Long Tasks total (`PerformanceObserver`,
//!   where the browser has `longtask`: Chromium) and the lateness of a probe timer whose
//!   delay is drawn at random each time (5–25 ms), so that a regular busy loop cannot
//!   line up with it and hide (Firefox has no Long Tasks; this is its signal).
//!
//! A window in which the page was hidden is not judged: browsers throttle a hidden
//! page's timers to once a second or less, which the probe would read as load.
//!
//! A level change is applied live with `MediaStreamTrack.applyConstraints` (size and
//! frame rate; no new recorder, no new header). Everything here is owned by the
//! producer: the window timer, the probe timer, the observer and the battery listeners
//! stop when the last capturing stream ends, on `disconnect()` and on `destroy()`.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::core::profile::{DeviceProfile, DeviceReadings};
use crate::core::quality::{
    producer_controller_config, producer_ladder, Level, LoadSample, QualityChange,
    QualityController,
};
use crate::web::media;
use crate::web::producer::Shared;
use crate::web::stream::Stream;

/// Sums the durations of Long Tasks while it lives; disconnects on drop.
struct LongTaskObserver {
    observer: JsValue,
    _callback: Closure<dyn FnMut(JsValue)>,
}

impl LongTaskObserver {
    /// `None` where the browser has no `longtask` entries (Firefox).
    fn new(total: Rc<Cell<f64>>) -> Option<Self> {
        let ctor = Reflect::get(&js_sys::global(), &"PerformanceObserver".into()).ok()?;
        let supported = Reflect::get(&ctor, &"supportedEntryTypes".into()).ok()?;
        let has = Array::from(&supported)
            .iter()
            .any(|t| t.as_string().as_deref() == Some("longtask"));
        if !has {
            return None;
        }
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |list: JsValue| {
            let entries = Reflect::get(&list, &"getEntries".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .and_then(|f| f.call0(&list).ok())
                .map(|e| Array::from(&e))
                .unwrap_or_default();
            for e in entries.iter() {
                let d = Reflect::get(&e, &"duration".into())
                    .ok()
                    .and_then(|d| d.as_f64())
                    .unwrap_or(0.0);
                total.set(total.get() + d);
            }
        });
        let ctor: js_sys::Function = ctor.dyn_into().ok()?;
        let observer =
            Reflect::construct(&ctor, &Array::of1(callback.as_ref().unchecked_ref())).ok()?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"type".into(), &"longtask".into());
        let observe: js_sys::Function = Reflect::get(&observer, &"observe".into())
            .ok()?
            .dyn_into()
            .ok()?;
        observe.call1(&observer, &options).ok()?;
        Some(LongTaskObserver {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for LongTaskObserver {
    fn drop(&mut self) {
        if let Ok(f) = Reflect::get(&self.observer, &"disconnect".into()) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                let _ = f.call0(&self.observer);
            }
        }
    }
}

/// The producer's adaptive-quality state.
pub struct Adaptive {
    controller: QualityController,
    readings: DeviceReadings,
    profile: DeviceProfile,
    window: Option<Interval>,
    probe: Option<Timeout>,
    probe_due_ms: f64,
    lateness_ms: f64,
    window_start_ms: f64,
    longtasks_ms: Rc<Cell<f64>>,
    observer: Option<LongTaskObserver>,
    processing_sum: f64,
    processing_n: u32,
    battery_listeners: Vec<EventListener>,
    battery_requested: bool,
    /// Whether the page was hidden at some point of the current window.
    hidden_in_window: bool,
    visibility: Option<EventListener>,
}

impl Adaptive {
    /// The state for a producer with `shared`'s config, at the top of its ladder.
    pub fn new(cfg: &crate::core::config::ProducerConfig) -> Self {
        let readings = media::device_readings();
        let profile = DeviceProfile::from_readings(readings);
        Adaptive {
            controller: QualityController::new(
                producer_ladder(cfg, &profile),
                cfg.adaptive.quality_floor,
                producer_controller_config(cfg, &profile),
            ),
            readings,
            profile,
            window: None,
            probe: None,
            probe_due_ms: 0.0,
            lateness_ms: 0.0,
            window_start_ms: 0.0,
            longtasks_ms: Rc::new(Cell::new(0.0)),
            observer: None,
            processing_sum: 0.0,
            processing_n: 0,
            battery_listeners: Vec::new(),
            battery_requested: false,
            hidden_in_window: false,
            visibility: None,
        }
    }

    /// The device profile now (battery included once `getBattery()` has answered).
    pub fn profile(&self) -> DeviceProfile {
        self.profile
    }

    /// The level now.
    pub fn level(&self) -> Level {
        self.controller.level()
    }

    /// Whether its timers run.
    pub fn running(&self) -> bool {
        self.window.is_some()
    }

    /// A frame's processing time (ms).
    pub fn record_processing(&mut self, ms: f64) {
        if self.running() && ms.is_finite() {
            self.processing_sum += ms;
            self.processing_n += 1;
        }
    }

    /// Stops the timers, the observer and the battery listeners.
    pub fn stop(&mut self) {
        self.window = None;
        self.probe = None;
        self.observer = None;
        self.battery_listeners.clear();
        self.battery_requested = false;
        self.visibility = None;
    }
}

/// What `quality()` returns in JS.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QualityState<'a> {
    enabled: bool,
    level: Level,
    floor: Level,
    ladder: &'a [Level],
    profile: DeviceProfile,
}

/// `quality()` as a JS object.
pub fn state_js(shared: &Shared) -> JsValue {
    let a = shared.adaptive.borrow();
    QualityState {
        enabled: shared.config.adaptive.enabled,
        level: a.controller.level(),
        floor: a.controller.floor(),
        ladder: a.controller.ladder(),
        profile: a.profile,
    }
    .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
    .unwrap_or(JsValue::UNDEFINED)
}

/// `deviceProfile()` as a JS object.
pub fn profile_js(shared: &Shared) -> JsValue {
    shared
        .adaptive
        .borrow()
        .profile
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Starts measuring (if adaptive quality is on and it is not running yet).
pub fn start(shared: &Rc<Shared>) {
    if !shared.config.adaptive.enabled || shared.adaptive.borrow().running() {
        return;
    }
    let weak = Rc::downgrade(shared);
    let window = Interval::new(shared.config.adaptive.window_ms, move || {
        if let Some(shared) = weak.upgrade() {
            on_window(&shared);
        }
    });
    {
        let mut a = shared.adaptive.borrow_mut();
        a.window = Some(window);
        a.window_start_ms = shared.now_precise();
        a.lateness_ms = 0.0;
        a.processing_sum = 0.0;
        a.processing_n = 0;
        a.longtasks_ms.set(0.0);
        a.hidden_in_window = page_hidden();
    }
    // Built outside the borrow: constructing the observer calls into JS.
    let observer = LongTaskObserver::new(shared.adaptive.borrow().longtasks_ms.clone());
    let visibility = web_sys::window().and_then(|w| w.document()).map(|d| {
        let weak = Rc::downgrade(shared);
        EventListener::new(&d, "visibilitychange", move |_| {
            if let Some(shared) = weak.upgrade() {
                if page_hidden() {
                    shared.adaptive.borrow_mut().hidden_in_window = true;
                }
            }
        })
    });
    {
        let mut a = shared.adaptive.borrow_mut();
        a.observer = observer;
        a.visibility = visibility;
    }
    arm_probe(shared);
    watch_battery(shared);
}

/// Stops measuring when no capturing stream is left.
pub fn stop_if_idle(shared: &Shared) {
    let any = shared
        .live_streams()
        .iter()
        .any(|s| s.st.borrow().media.is_some());
    if !any {
        shared.adaptive.borrow_mut().stop();
    }
}

fn arm_probe(shared: &Rc<Shared>) {
    // Short, random delays: the probe is due early in any busy stretch (so its lateness
    // covers most of it) and cannot line up with a regular busy loop.
    let delay = 5.0 + js_sys::Math::random() * 20.0;
    let weak: Weak<Shared> = Rc::downgrade(shared);
    let timeout = Timeout::new(delay as u32, move || {
        let Some(shared) = weak.upgrade() else { return };
        let now = shared.now_precise();
        {
            let mut a = shared.adaptive.borrow_mut();
            if !a.running() {
                return;
            }
            let late = now - a.probe_due_ms;
            if late > 4.0 {
                a.lateness_ms += late;
            }
        }
        // Re-arm after this callback has returned (its Timeout is replaced).
        spawn_local(async move {
            if shared.adaptive.borrow().running() && !shared.is_destroyed() {
                arm_probe(&shared);
            }
        });
    });
    let due = shared.now_precise() + delay;
    let mut a = shared.adaptive.borrow_mut();
    a.probe_due_ms = due;
    a.probe = Some(timeout);
}

fn on_window(shared: &Rc<Shared>) {
    if shared.is_destroyed() {
        return;
    }
    let now = shared.now_precise();
    let backlog = consumer_backlog(shared);
    let change = {
        let mut a = shared.adaptive.borrow_mut();
        if std::mem::replace(&mut a.hidden_in_window, page_hidden()) {
            // The page was hidden during this window: the browser throttles its timers
            // (to once a second or less), so the probe's lateness measures the
            // throttling, not load. The window is not judged either way.
            a.window_start_ms = now;
            a.lateness_ms = 0.0;
            a.longtasks_ms.set(0.0);
            a.processing_sum = 0.0;
            a.processing_n = 0;
            return;
        }
        let busy_ms = a.lateness_ms.max(a.longtasks_ms.get());
        // The real length of the window: its timer is late too when the thread is busy.
        let window_ms = (now - a.window_start_ms).max(1.0);
        a.window_start_ms = now;
        let sample = LoadSample {
            processing_ms: if a.processing_n > 0 {
                a.processing_sum / a.processing_n as f64
            } else {
                0.0
            },
            backlog,
            busy: (busy_ms / window_ms).clamp(0.0, 1.0),
        };
        a.lateness_ms = 0.0;
        a.longtasks_ms.set(0.0);
        a.processing_sum = 0.0;
        a.processing_n = 0;
        a.controller.on_window(sample)
    };
    if let Some(change) = change {
        apply_change(shared, change);
    }
}

/// Chunks waiting for a consumer that is there and falls behind, over every stream.
///
/// A backlog with no `onFrame` listener is not load (nobody is slow; the ring's own
/// drop accounting reports what it evicts), and neither is what piled up before a
/// listener subscribed: only chunks pushed since a consumer has been subscribed count.
fn consumer_backlog(shared: &Shared) -> u64 {
    let listening = !shared.on_frame.is_empty();
    let mut backlog = 0;
    for s in shared.live_streams() {
        let mut st = s.st.borrow_mut();
        if !listening {
            st.consumer_from = None;
            continue;
        }
        match st.consumer_from {
            Some(from) => backlog += st.ring.pending_since(from),
            None => st.consumer_from = Some(st.ring.next_seq()),
        }
    }
    backlog
}

/// Whether the page is hidden now (`document.visibilityState`).
fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// The constraints for `level` on a stream that asked for `requested` (never above it).
fn level_constraints(level: &Level, stream: &Stream) -> JsValue {
    let req = stream.info.borrow().config.clone();
    let w = req.width.map_or(level.width, |w| w.min(level.width));
    let h = req.height.map_or(level.height, |h| h.min(level.height));
    let f = req
        .frame_rate
        .map_or(level.frame_rate, |f| f.min(level.frame_rate));
    let c = Object::new();
    let ideal = |v: f64| {
        let o = Object::new();
        let _ = Reflect::set(&o, &"ideal".into(), &v.into());
        o
    };
    let _ = Reflect::set(&c, &"width".into(), &ideal(w as f64));
    let _ = Reflect::set(&c, &"height".into(), &ideal(h as f64));
    let rate = ideal(f);
    let _ = Reflect::set(&rate, &"max".into(), &f.into());
    let _ = Reflect::set(&c, &"frameRate".into(), &rate);
    c.into()
}

/// Applies the controller's level to one stream's video track; refreshes its settings.
pub async fn apply_level(stream: Rc<Stream>, level: Level) {
    let media = stream.st.borrow().media.clone();
    let Some(media) = media else { return };
    let Some(track) = media
        .get_video_tracks()
        .get(0)
        .dyn_into::<web_sys::MediaStreamTrack>()
        .ok()
    else {
        return;
    };
    let constraints = level_constraints(&level, &stream);
    if let Ok(p) = track.apply_constraints_with_constraints(constraints.unchecked_ref()) {
        let _ = JsFuture::from(p).await;
    }
    let mut st = stream.st.borrow_mut();
    st.settings = media::video_settings(&media);
    st.level = Some(level);
}

fn apply_change(shared: &Rc<Shared>, change: QualityChange) {
    shared.metrics.borrow_mut().record_quality_adaptation();
    let shared = shared.clone();
    spawn_local(async move {
        let streams: Vec<Rc<Stream>> = shared
            .live_streams()
            .into_iter()
            .filter(|s| s.st.borrow().media.is_some())
            .collect();
        for s in &streams {
            apply_level(s.clone(), change.to).await;
        }
        if shared.config.adaptive.restart_on_bitrate_change {
            // After the event below: a restart waits for the old recorder's last chunk.
            let shared = shared.clone();
            let streams = streams.clone();
            spawn_local(async move {
                for s in streams {
                    let bps = s.st.borrow().video_bps;
                    if bps.is_some_and(|b| b != change.to.video_bps) {
                        crate::web::stream::restart_recorder(
                            shared.clone(),
                            s,
                            change.to.video_bps,
                        )
                        .await;
                    }
                }
            });
        }
        if shared.is_destroyed() {
            return;
        }
        if shared.log_to_console() {
            web_sys::console::info_1(
                &format!(
                    "media-recorder-producer: quality {} → {} ({}x{}@{}) because of {}",
                    change.from.index,
                    change.to.index,
                    change.to.width,
                    change.to.height,
                    change.to.frame_rate,
                    change.reason
                )
                .into(),
            );
        }
        if shared.on_quality_change.is_empty() {
            return;
        }
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        let event = change.serialize(&ser).unwrap_or(JsValue::UNDEFINED);
        let settings = Array::new();
        for s in &streams {
            let st = s.st.borrow();
            let o = Object::new();
            let _ = Reflect::set(&o, &"streamId".into(), &s.id().into());
            if let Some(w) = st.settings.width {
                let _ = Reflect::set(&o, &"width".into(), &w.into());
            }
            if let Some(h) = st.settings.height {
                let _ = Reflect::set(&o, &"height".into(), &h.into());
            }
            if let Some(r) = st.settings.frame_rate {
                let _ = Reflect::set(&o, &"frameRate".into(), &r.into());
            }
            settings.push(&o);
        }
        let _ = Reflect::set(&event, &"streams".into(), &settings);
        let d = shared
            .on_quality_change
            .dispatch(&event, || !shared.is_destroyed());
        for t in d.thrown {
            shared.emit_listener_error("onQualityChange", t);
        }
    });
}

/// Re-reads the device profile (battery changed) and moves the ladder's cap.
fn refresh_profile(shared: &Rc<Shared>, readings: DeviceReadings) {
    let change = {
        let mut a = shared.adaptive.borrow_mut();
        a.readings = readings;
        a.profile = DeviceProfile::from_readings(readings);
        let ladder = producer_ladder(&shared.config, &a.profile);
        let floor = shared.config.adaptive.quality_floor;
        a.controller.set_ladder(ladder, floor)
    };
    if let Some(change) = change {
        apply_change(shared, change);
    }
}

fn battery_readings(battery: &JsValue, base: DeviceReadings) -> DeviceReadings {
    DeviceReadings {
        battery_level: Reflect::get(battery, &"level".into())
            .ok()
            .and_then(|v| v.as_f64()),
        battery_charging: Reflect::get(battery, &"charging".into())
            .ok()
            .and_then(|v| v.as_bool()),
        ..base
    }
}

/// Follows `navigator.getBattery()` where it exists (Chromium, secure contexts).
fn watch_battery(shared: &Rc<Shared>) {
    let navigator: JsValue = match web_sys::window() {
        Some(w) => w.navigator().into(),
        None => return,
    };
    let Some(get_battery) = Reflect::get(&navigator, &"getBattery".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    {
        let mut a = shared.adaptive.borrow_mut();
        if a.battery_requested {
            return;
        }
        a.battery_requested = true;
    }
    let Ok(promise) = get_battery.call0(&navigator) else {
        return;
    };
    let weak = Rc::downgrade(shared);
    spawn_local(async move {
        let Ok(battery) = JsFuture::from(js_sys::Promise::from(promise)).await else {
            return;
        };
        let Some(shared) = weak.upgrade() else { return };
        if !shared.adaptive.borrow().running() {
            return;
        }
        let base = shared.adaptive.borrow().readings;
        refresh_profile(&shared, battery_readings(&battery, base));
        let target: web_sys::EventTarget = battery.clone().unchecked_into();
        let listeners = ["levelchange", "chargingchange"]
            .into_iter()
            .map(|event| {
                let weak = Rc::downgrade(&shared);
                let battery = battery.clone();
                EventListener::new(&target, event, move |_| {
                    if let Some(shared) = weak.upgrade() {
                        let base = shared.adaptive.borrow().readings;
                        refresh_profile(&shared, battery_readings(&battery, base));
                    }
                })
            })
            .collect();
        shared.adaptive.borrow_mut().battery_listeners = listeners;
    });
}
