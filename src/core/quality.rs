//! Adaptive quality: the ladder of levels, the load signal, and the controller.
//!
//! The seed lowered a number (`currentQuality *= 0.8`, floor 0.3) that nothing used and
//! never raised it again. Here a level is what the camera and encoder really produce
//! (width × height × frame rate × bitrate); the controller steps down after sustained
//! overload and back up only after sustained headroom, with a back-off so that a load
//! which is fine at one level and too much at the next does not make it oscillate.
//!
//! With the MediaRecorder engine a frame is a chunk of one WebM stream; dropping chunks
//! would corrupt it. So load is shed where it is cheap and safe — fewer and smaller video
//! frames, a lower bitrate — and the ring evicts (counted) only when a consumer cannot
//! keep up.

use crate::core::emit::{object, Emit, Out};

/// One rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Position from the top (0 is the best).
    pub index: u32,
    /// 1.0 at the top, falling linearly to 0.0 at the lowest rung of the full ladder.
    pub quality: f64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Video frames per second.
    pub frame_rate: f64,
    /// Video bitrate (bits per second); applied only with `restartOnBitrateChange`.
    pub video_bps: u32,
}

/// The standard rungs, 16:9, best first: (width, height, frame rate, share of the top
/// bitrate).
const RUNGS: [(u32, u32, f64, f64); 8] = [
    (1920, 1080, 60.0, 1.0),
    (1920, 1080, 30.0, 0.8),
    (1280, 720, 30.0, 0.6),
    (960, 540, 30.0, 0.4),
    (640, 360, 24.0, 0.25),
    (640, 360, 15.0, 0.18),
    (480, 270, 15.0, 0.12),
    (320, 180, 10.0, 0.08),
];

/// The ladder under a cap: the rungs that fit in `max_width`×`max_height`@`max_frame_rate`
/// (the first one clamped to the cap and to `target_fps`), best first, with bitrates
/// scaled so that the top rung gets `top_bps`.
///
/// ```
/// use media_recorder_producer::core::quality::ladder;
/// let l = ladder(1280, 720, 30.0, 30.0, 2_500_000);
/// assert_eq!((l[0].width, l[0].height, l[0].frame_rate, l[0].video_bps), (1280, 720, 30.0, 2_500_000));
/// assert_eq!(l.last().map(|x| x.width), Some(320));
/// assert!(l.windows(2).all(|w| w[0].quality > w[1].quality));
/// ```
pub fn ladder(
    max_width: u32,
    max_height: u32,
    max_frame_rate: f64,
    target_fps: f64,
    top_bps: u32,
) -> Vec<Level> {
    let fps_cap = max_frame_rate.min(target_fps).max(1.0);
    let fitting: Vec<(u32, u32, f64, f64)> = RUNGS
        .iter()
        .copied()
        .filter(|(w, h, f, _)| *w <= max_width && *h <= max_height && *f <= fps_cap)
        .collect();
    let mut rungs = fitting;
    let top = (max_width, max_height, fps_cap);
    let top_is_rung = rungs
        .first()
        .is_some_and(|(w, h, f, _)| (*w, *h, *f) == top);
    if !top_is_rung {
        // The cap itself is the best level (e.g. a 1280x720@20 target).
        let share = rungs.first().map(|r| r.3 * 1.25).unwrap_or(1.0).min(1.0);
        rungs.insert(0, (max_width, max_height, fps_cap, share));
    }
    let top_share = rungs.first().map(|r| r.3).unwrap_or(1.0);
    let n = rungs.len();
    rungs
        .into_iter()
        .enumerate()
        .map(|(i, (w, h, f, share))| Level {
            index: i as u32,
            quality: if n > 1 {
                1.0 - i as f64 / (n - 1) as f64
            } else {
                1.0
            },
            width: w,
            height: h,
            frame_rate: f,
            video_bps: ((top_bps as f64) * share / top_share).round().max(10_000.0) as u32,
        })
        .collect()
}

/// What one window of measurements says about load.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadSample {
    /// Mean processing time of the frames delivered in the window (arrival → every
    /// listener done), ms; 0 if none was delivered.
    pub processing_ms: f64,
    /// Chunks waiting in the rings at the end of the window.
    pub backlog: u64,
    /// Share of the window the main thread was busy (0..=1): the larger of the Long
    /// Tasks total and the lateness of a randomly spaced timer (which a regular busy
    /// loop cannot line up with), so either signal alone can report load.
    pub busy: f64,
    /// WebCodecs engine: the deepest the video encoder's queue got in the window.
    pub encode_queue: u32,
    /// WebCodecs engine: mean time from `encode()` to its output, ms (0 if none).
    pub encode_ms: f64,
    /// WebCodecs engine: frames dropped before encoding in the window.
    pub encode_drops: u64,
}

/// How loaded a window was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Something is over its limit.
    Overloaded,
    /// Neither over nor clearly under: hold (the hysteresis band).
    Steady,
    /// Everything is well under its limit.
    Headroom,
}

/// The controller's settings (all from the producer config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerConfig {
    /// Processing time above which a window is overloaded (`maxProcessingTime`, ms).
    pub max_processing_ms: f64,
    /// Main-thread busy share above which a window is overloaded.
    pub busy_high: f64,
    /// Busy share below which a window has headroom.
    pub busy_low: f64,
    /// Backlog (chunks) above which a window is overloaded.
    pub backlog_high: u64,
    /// Video encoder queue depth at or above which a window is overloaded (half the
    /// depth at which the WebCodecs engine drops frames).
    pub encode_queue_high: u32,
    /// Overloaded windows in a row before stepping down (the seed's 5).
    pub step_down_after: u32,
    /// Headroom windows in a row before stepping up.
    pub step_up_after: u32,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            max_processing_ms: 50.0,
            busy_high: 0.5,
            busy_low: 0.2,
            backlog_high: 8,
            encode_queue_high: 4,
            step_down_after: 5,
            step_up_after: 10,
        }
    }
}

impl ControllerConfig {
    /// Classifies one window.
    pub fn classify(&self, s: &LoadSample) -> Load {
        // The encoder's own figures count as processing: its time per frame against
        // the same budget, its queue and its drops as overload.
        if s.processing_ms > self.max_processing_ms
            || s.busy > self.busy_high
            || s.backlog > self.backlog_high
            || s.encode_ms > self.max_processing_ms
            || s.encode_queue >= self.encode_queue_high
            || s.encode_drops > 0
        {
            Load::Overloaded
        } else if s.processing_ms <= self.max_processing_ms / 2.0
            && s.busy < self.busy_low
            && s.backlog <= self.backlog_high / 4
            && s.encode_ms <= self.max_processing_ms / 2.0
            && s.encode_queue <= 1
        {
            Load::Headroom
        } else {
            Load::Steady
        }
    }
}

/// A level change and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityChange {
    /// The level before.
    pub from: Level,
    /// The level after.
    pub to: Level,
    /// `"overload"` or `"headroom"` (or `"cap"` when the device cap changed).
    pub reason: &'static str,
    /// The window that tipped it.
    pub sample: LoadSample,
}

/// Most doubling of the headroom needed to step up again after a failed step up.
const MAX_BACKOFF: u32 = 8;

/// Walks the ladder from load samples. See the module docs.
///
/// ```
/// use media_recorder_producer::core::quality::{ladder, ControllerConfig, LoadSample, QualityController};
/// let mut c = QualityController::new(ladder(1280, 720, 30.0, 30.0, 2_500_000), 0.0, ControllerConfig::default());
/// let busy = LoadSample { busy: 0.9, ..Default::default() };
/// let changes: Vec<_> = (0..5).filter_map(|_| c.on_window(busy)).collect();
/// assert_eq!(changes.len(), 1); // after the seed's 5 overloaded windows
/// assert_eq!(c.level().index, 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QualityController {
    ladder: Vec<Level>,
    config: ControllerConfig,
    current: usize,
    floor: usize,
    over_streak: u32,
    head_streak: u32,
    backoff: u32,
    windows_since_up: Option<u32>,
    changes: u64,
}

impl QualityController {
    /// A controller at the top of `ladder`, never below the lowest rung whose quality is
    /// ≥ `quality_floor` (0..=1).
    pub fn new(ladder: Vec<Level>, quality_floor: f64, config: ControllerConfig) -> Self {
        let ladder = if ladder.is_empty() {
            vec![Level {
                index: 0,
                quality: 1.0,
                width: 320,
                height: 180,
                frame_rate: 10.0,
                video_bps: 100_000,
            }]
        } else {
            ladder
        };
        let floor = ladder
            .iter()
            .rposition(|l| l.quality + 1e-9 >= quality_floor)
            .unwrap_or(0);
        QualityController {
            ladder,
            config,
            current: 0,
            floor,
            over_streak: 0,
            head_streak: 0,
            backoff: 1,
            windows_since_up: None,
            changes: 0,
        }
    }

    /// The level now.
    pub fn level(&self) -> Level {
        self.ladder[self.current]
    }

    /// The ladder.
    pub fn ladder(&self) -> &[Level] {
        &self.ladder
    }

    /// The lowest level allowed.
    pub fn floor(&self) -> Level {
        self.ladder[self.floor]
    }

    /// Level changes so far.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Feeds one window; returns the change it caused, if any.
    pub fn on_window(&mut self, sample: LoadSample) -> Option<QualityChange> {
        if let Some(w) = self.windows_since_up.as_mut() {
            *w += 1;
        }
        match self.config.classify(&sample) {
            Load::Overloaded => {
                self.head_streak = 0;
                self.over_streak += 1;
                if self.over_streak >= self.config.step_down_after.max(1)
                    && self.current < self.floor
                {
                    self.over_streak = 0;
                    // Stepping down soon after stepping up: that level was too much.
                    // Ask for longer headroom before trying it again.
                    if self
                        .windows_since_up
                        .is_some_and(|w| w <= self.config.step_up_after.max(1) * 2)
                    {
                        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    }
                    self.windows_since_up = None;
                    return Some(self.move_to(self.current + 1, "overload", sample));
                }
            }
            Load::Headroom => {
                self.over_streak = 0;
                self.head_streak += 1;
                let needed = self.config.step_up_after.max(1) * self.backoff;
                if self.head_streak >= needed && self.current > 0 {
                    self.head_streak = 0;
                    self.windows_since_up = Some(0);
                    return Some(self.move_to(self.current - 1, "headroom", sample));
                }
            }
            Load::Steady => {
                self.over_streak = 0;
                self.head_streak = 0;
            }
        }
        None
    }

    fn move_to(&mut self, to: usize, reason: &'static str, sample: LoadSample) -> QualityChange {
        let from = self.level();
        self.current = to;
        self.changes += 1;
        QualityChange {
            from,
            to: self.level(),
            reason,
            sample,
        }
    }

    /// Replaces the ladder (the device cap changed), keeping the level as close as it
    /// was; returns the change if the level's values changed.
    pub fn set_ladder(&mut self, ladder: Vec<Level>, quality_floor: f64) -> Option<QualityChange> {
        if ladder.is_empty() || ladder == self.ladder {
            return None;
        }
        let from = self.level();
        let target_pixels = from.width as u64 * from.height as u64;
        let fresh = QualityController::new(ladder, quality_floor, self.config);
        let idx = fresh
            .ladder
            .iter()
            .position(|l| {
                (l.width as u64 * l.height as u64) <= target_pixels
                    && l.frame_rate <= from.frame_rate
            })
            .unwrap_or(0)
            .min(fresh.floor);
        self.ladder = fresh.ladder;
        self.floor = fresh.floor;
        self.current = idx;
        self.over_streak = 0;
        self.head_streak = 0;
        let to = self.level();
        if (to.width, to.height, to.frame_rate, to.video_bps)
            == (from.width, from.height, from.frame_rate, from.video_bps)
        {
            return None;
        }
        self.changes += 1;
        Some(QualityChange {
            from,
            to,
            reason: "cap",
            sample: LoadSample::default(),
        })
    }
}

/// The producer's ladder: the `ladder` override if the config has one, else the built-in
/// rungs under the device cap (overridden by `deviceProfile`) and `targetFps`.
///
/// ```
/// use media_recorder_producer::core::config::ProducerConfig;
/// use media_recorder_producer::core::profile::DeviceProfile;
/// use media_recorder_producer::core::quality::producer_ladder;
/// let l = producer_ladder(&ProducerConfig::default(), &DeviceProfile::default());
/// assert_eq!((l[0].width, l[0].height, l[0].frame_rate), (1280, 720, 30.0));
/// ```
pub fn producer_ladder(
    cfg: &crate::core::config::ProducerConfig,
    profile: &crate::core::profile::DeviceProfile,
) -> Vec<Level> {
    let a = &cfg.adaptive;
    let top_bps = cfg.video_bits_per_second;
    if let Some(rungs) = &a.ladder {
        let n = rungs.len();
        let top_rate = rungs
            .first()
            .map(|r| r.width as f64 * r.height as f64 * r.frame_rate)
            .unwrap_or(1.0)
            .max(1.0);
        return rungs
            .iter()
            .enumerate()
            .map(|(i, r)| Level {
                index: i as u32,
                quality: if n > 1 {
                    1.0 - i as f64 / (n - 1) as f64
                } else {
                    1.0
                },
                width: r.width,
                height: r.height,
                frame_rate: r.frame_rate.min(a.target_fps),
                video_bps: r.video_bps.unwrap_or_else(|| {
                    let share = r.width as f64 * r.height as f64 * r.frame_rate / top_rate;
                    ((top_bps as f64) * share).round().max(10_000.0) as u32
                }),
            })
            .collect();
    }
    ladder(
        a.max_width.unwrap_or(profile.max_width),
        a.max_height.unwrap_or(profile.max_height),
        a.max_frame_rate.unwrap_or(profile.max_frame_rate),
        a.target_fps,
        top_bps,
    )
}

/// The controller settings for the producer config and device profile.
pub fn producer_controller_config(
    cfg: &crate::core::config::ProducerConfig,
    profile: &crate::core::profile::DeviceProfile,
) -> ControllerConfig {
    let a = &cfg.adaptive;
    ControllerConfig {
        max_processing_ms: a.max_processing_ms,
        step_down_after: a.step_down_after.unwrap_or(profile.step_down_after),
        step_up_after: a.step_up_after,
        ..ControllerConfig::default()
    }
}

impl Emit for Level {
    fn fields(&self, o: &mut dyn Out) {
        o.num("index", f64::from(self.index));
        o.num("quality", self.quality);
        o.num("width", f64::from(self.width));
        o.num("height", f64::from(self.height));
        o.num("frameRate", self.frame_rate);
        o.num("videoBps", f64::from(self.video_bps));
    }
}

impl Emit for LoadSample {
    fn fields(&self, o: &mut dyn Out) {
        o.num("processingMs", self.processing_ms);
        o.num("backlog", self.backlog as f64);
        o.num("busy", self.busy);
        o.num("encodeQueue", f64::from(self.encode_queue));
        o.num("encodeMs", self.encode_ms);
        o.num("encodeDrops", self.encode_drops as f64);
    }
}

impl Emit for QualityChange {
    fn fields(&self, o: &mut dyn Out) {
        object(o, "from", &self.from);
        object(o, "to", &self.to);
        o.text("reason", self.reason);
        object(o, "sample", &self.sample);
    }
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
