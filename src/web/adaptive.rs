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
//! This module measures and decides; its owner applies: at each window it reads the
//! pipelines through [`AdaptiveHost`], asks the core's controller, and hands a
//! [`QualityChange`] to [`AdaptiveHost::apply`] (which applies the level with
//! `applyConstraints` and, where configured, a new recorder bitrate). The window timer,
//! the probe timer, the observer and the battery and visibility listeners are owned
//! here and stop when the last capturing stream ends, on `disconnect()` and on
//! `destroy()`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::core::config::ProducerConfig;

use crate::core::emit::{object, Emit, Out};
use crate::core::profile::{DeviceProfile, DeviceReadings};
use crate::core::quality::{
    producer_controller_config, producer_ladder, Level, LoadSample, QualityChange,
    QualityController,
};
use crate::web::interop;
use crate::web::media;
use crate::web::pipeline::StreamPipeline;

/// What adaptive quality needs from its owner (the producer).
pub trait AdaptiveHost {
    /// The adaptive state.
    fn adaptive(&self) -> &RefCell<Adaptive>;
    /// The config the ladder and the controller were made from.
    fn config(&self) -> &ProducerConfig;
    /// The streams now.
    fn pipelines(&self) -> Vec<Rc<StreamPipeline>>;
    /// Whether an `onFrame` consumer is subscribed.
    fn listening(&self) -> bool;
    /// A monotonic clock (ms).
    fn now(&self) -> f64;
    /// Whether the owner is gone.
    fn closed(&self) -> bool;
    /// Applies a decided change to the streams and tells the listeners.
    fn apply(self: Rc<Self>, change: QualityChange);
}

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
    battery_listeners: Vec<EventListener>,
    battery_requested: bool,
    /// Whether the page was hidden at some point of the current window.
    hidden_in_window: bool,
    visibility: Option<EventListener>,
}

impl Adaptive {
    /// The state for a producer with config `cfg`, at the top of its ladder.
    pub fn new(cfg: &ProducerConfig) -> Self {
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

    /// Stops the timers, the observer and the battery listeners.
    ///
    /// Returns the timers, observer and listeners it owned: the caller drops them once
    /// its borrow of this state has ended (dropping them calls into JS).
    #[must_use = "drop the handles after the borrow ends"]
    pub fn stop(&mut self) -> AdaptiveHandles {
        self.battery_requested = false;
        AdaptiveHandles {
            _window: self.window.take(),
            _probe: self.probe.take(),
            _observer: self.observer.take(),
            _battery: std::mem::take(&mut self.battery_listeners),
            _visibility: self.visibility.take(),
        }
    }
}

/// What [`Adaptive::stop`] hands back to be dropped (each clears itself on drop).
pub struct AdaptiveHandles {
    _window: Option<Interval>,
    _probe: Option<Timeout>,
    _observer: Option<LongTaskObserver>,
    _battery: Vec<EventListener>,
    _visibility: Option<EventListener>,
}

/// What `quality()` returns in JS.
pub struct QualityState {
    enabled: bool,
    level: Level,
    floor: Level,
    ladder: Vec<Level>,
    profile: DeviceProfile,
}

impl Emit for QualityState {
    fn fields(&self, o: &mut dyn Out) {
        o.flag("enabled", self.enabled);
        object(o, "level", &self.level);
        object(o, "floor", &self.floor);
        o.open("ladder", true);
        for l in &self.ladder {
            object(o, "", l);
        }
        o.close();
        object(o, "profile", &self.profile);
    }
}

impl QualityState {
    /// As a JS object.
    pub fn to_js(&self) -> JsValue {
        interop::emit(self)
    }
}

impl Adaptive {
    /// What `quality()` returns (a copy: made into JS after the borrow of this state).
    pub fn state(&self, enabled: bool) -> QualityState {
        QualityState {
            enabled,
            level: self.controller.level(),
            floor: self.controller.floor(),
            ladder: self.controller.ladder().to_vec(),
            profile: self.profile,
        }
    }
}

/// Starts measuring (if adaptive quality is on and it is not running yet).
pub fn start(host: &Rc<dyn AdaptiveHost>) {
    if !host.config().adaptive.enabled || host.adaptive().borrow().running() {
        return;
    }
    let weak = Rc::downgrade(host);
    let window = Interval::new(host.config().adaptive.window_ms, move || {
        if let Some(host) = weak.upgrade() {
            on_window(&host);
        }
    });
    {
        let mut a = host.adaptive().borrow_mut();
        a.window = Some(window);
        a.window_start_ms = host.now();
        a.lateness_ms = 0.0;
        a.longtasks_ms.set(0.0);
        a.hidden_in_window = page_hidden();
    }
    // Built outside the borrow: constructing the observer calls into JS.
    let observer = LongTaskObserver::new(host.adaptive().borrow().longtasks_ms.clone());
    let visibility = web_sys::window().and_then(|w| w.document()).map(|d| {
        let weak = Rc::downgrade(host);
        EventListener::new(&d, "visibilitychange", move |_| {
            if let Some(host) = weak.upgrade() {
                if page_hidden() {
                    host.adaptive().borrow_mut().hidden_in_window = true;
                }
            }
        })
    });
    {
        let mut a = host.adaptive().borrow_mut();
        a.observer = observer;
        a.visibility = visibility;
    }
    arm_probe(host);
    watch_battery(host);
}

/// Stops measuring when no capturing stream is left.
pub fn stop_if_idle(host: &dyn AdaptiveHost) {
    if !host
        .pipelines()
        .iter()
        .any(|p| p.captures() && !p.is_ended())
    {
        let handles = host.adaptive().borrow_mut().stop();
        drop(handles);
    }
}

fn arm_probe(host: &Rc<dyn AdaptiveHost>) {
    // Short, random delays: the probe is due early in any busy stretch (so its lateness
    // covers most of it) and cannot line up with a regular busy loop.
    let delay = 5.0 + js_sys::Math::random() * 20.0;
    let weak: Weak<dyn AdaptiveHost> = Rc::downgrade(host);
    let timeout = Timeout::new(delay as u32, move || {
        let Some(host) = weak.upgrade() else { return };
        let now = host.now();
        {
            let mut a = host.adaptive().borrow_mut();
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
            if host.adaptive().borrow().running() && !host.closed() {
                arm_probe(&host);
            }
        });
    });
    let due = host.now() + delay;
    let old = {
        let mut a = host.adaptive().borrow_mut();
        a.probe_due_ms = due;
        a.probe.replace(timeout)
    };
    // (The fired Timeout it replaces is dropped with no borrow held: a call into JS.)
    drop(old);
}

fn on_window(host: &Rc<dyn AdaptiveHost>) {
    if host.closed() {
        return;
    }
    let now = host.now();
    // Every input counts only what is load on this page (see the module docs).
    let listening = host.listening();
    let (mut backlog, mut sync_ms, mut frames) = (0u64, 0.0, 0u32);
    // The WebCodecs engine's encoders: deepest queue, mean encode time, drops.
    let (mut queue, mut encode_sum, mut encoded, mut drops) = (0u32, 0.0, 0u32, 0u64);
    for p in host.pipelines() {
        let (b, load) = p.take_load(listening);
        backlog += b;
        if let Some((ms, n)) = load {
            sync_ms += ms;
            frames += n;
        }
        if let Some(e) = p.take_encoder_load() {
            queue = queue.max(e.queue);
            encode_sum += e.encode_ms * f64::from(e.encoded);
            encoded += e.encoded;
            drops += e.drops;
        }
    }
    let change = {
        let mut a = host.adaptive().borrow_mut();
        if std::mem::replace(&mut a.hidden_in_window, page_hidden()) {
            // The page was hidden during this window: the browser throttles its timers
            // (to once a second or less), so the probe's lateness measures the
            // throttling, not load. The window is not judged either way.
            a.window_start_ms = now;
            a.lateness_ms = 0.0;
            a.longtasks_ms.set(0.0);
            return;
        }
        let busy_ms = a.lateness_ms.max(a.longtasks_ms.get());
        // The real length of the window: its timer is late too when the thread is busy.
        let window_ms = (now - a.window_start_ms).max(1.0);
        a.window_start_ms = now;
        let sample = LoadSample {
            processing_ms: if frames > 0 {
                sync_ms / frames as f64
            } else {
                0.0
            },
            backlog,
            busy: (busy_ms / window_ms).clamp(0.0, 1.0),
            encode_queue: queue,
            encode_ms: if encoded > 0 {
                encode_sum / f64::from(encoded)
            } else {
                0.0
            },
            encode_drops: drops,
        };
        a.lateness_ms = 0.0;
        a.longtasks_ms.set(0.0);
        a.controller.on_window(sample)
    };
    if let Some(change) = change {
        host.clone().apply(change);
    }
}

/// Whether the page is hidden now (`document.visibilityState`).
fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// Re-reads the device profile (battery changed) and moves the ladder's cap.
fn refresh_profile(host: &Rc<dyn AdaptiveHost>, readings: DeviceReadings) {
    let change = {
        let mut a = host.adaptive().borrow_mut();
        a.readings = readings;
        a.profile = DeviceProfile::from_readings(readings);
        let ladder = producer_ladder(host.config(), &a.profile);
        let floor = host.config().adaptive.quality_floor;
        a.controller.set_ladder(ladder, floor)
    };
    if let Some(change) = change {
        host.clone().apply(change);
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
fn watch_battery(host: &Rc<dyn AdaptiveHost>) {
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
        let mut a = host.adaptive().borrow_mut();
        if a.battery_requested {
            return;
        }
        a.battery_requested = true;
    }
    let Ok(promise) = get_battery.call0(&navigator) else {
        return;
    };
    let weak = Rc::downgrade(host);
    spawn_local(async move {
        let Ok(battery) = JsFuture::from(js_sys::Promise::from(promise)).await else {
            return;
        };
        let Some(host) = weak.upgrade() else { return };
        if !host.adaptive().borrow().running() {
            return;
        }
        let base = host.adaptive().borrow().readings;
        refresh_profile(&host, battery_readings(&battery, base));
        let target: web_sys::EventTarget = battery.clone().unchecked_into();
        let listeners = ["levelchange", "chargingchange"]
            .into_iter()
            .map(|event| {
                let weak = Rc::downgrade(&host);
                let battery = battery.clone();
                EventListener::new(&target, event, move |_| {
                    if let Some(host) = weak.upgrade() {
                        let base = host.adaptive().borrow().readings;
                        refresh_profile(&host, battery_readings(&battery, base));
                    }
                })
            })
            .collect();
        host.adaptive().borrow_mut().battery_listeners = listeners;
    });
}
