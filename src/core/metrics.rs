//! [`ProducerMetrics`]: the producer's counters, rates and score, and the snapshot
//! `metrics()` returns in JS.
//!
//! A frame is one delivered chunk (see the README), so frame and chunk counts are the
//! same numbers. Counters run from construction or the last [`ProducerMetrics::reset`];
//! the per-stream counters in [`StreamMetrics`] run for the stream's life. Time comes in
//! as milliseconds from the caller.
//!
//! Against the seed review's `ProducerMetrics` this keeps its fields and weights and
//! fixes three mistakes: the EWMA starts at the first sample (not at 0, which reads low
//! for the first ~20 frames); the rate term compares delivered frames per second with
//! what the engine is expected to deliver (for MediaRecorder 1000 / `recordingInterval`,
//! not 30 video frames per second), over a recent window rather than since the reset;
//! and the score is 0 before the first frame instead of dividing by zero.

use crate::core::emit::{num_or_null, Emit, Out};
use crate::core::ring::RingStats;
use std::collections::VecDeque;

/// Weight of the newest processing-time sample in the EWMA (the seed's 0.1).
pub const EWMA_WEIGHT: f64 = 0.1;
/// Memory samples kept for the trend (the seed's 60).
pub const MEMORY_TREND_LEN: usize = 60;
/// Window over which delivered frames per second are measured (ms).
pub const RATE_WINDOW_MS: f64 = 5000.0;

/// Counters of one stream, for its whole life.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMetrics {
    /// The stream's id.
    pub stream_id: String,
    /// Whether it still records.
    pub active: bool,
    /// Its ring's byte budget now (`bufferMaxBytes`, or less under memory pressure).
    pub budget_bytes: u64,
    /// Its ring's counters.
    pub ring: RingStats,
}

/// What the shell knows right now and the counters do not: what is held, the quality
/// level, the track's frame rate, the expected delivery rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// Per-stream counters of the streams that still exist.
    pub streams: Vec<StreamMetrics>,
    /// Frames per second the engine should deliver now (sum over recording streams).
    pub expected_fps: f64,
    /// The video track's frame rate (video frames per second) of the first active stream.
    pub track_frame_rate: Option<f64>,
    /// The current quality level (0..=1), once adaptive quality exists.
    pub quality_level: Option<f64>,
}

/// The snapshot `metrics()` returns; field names are the JS ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// Frames (chunks) that entered the producer: recorded or pushed.
    pub frames_recorded: u64,
    /// Bytes that entered the producer.
    pub bytes_recorded: u64,
    /// Frames delivered to listeners (the seed's `totalFramesProcessed`).
    pub frames_delivered: u64,
    /// Bytes delivered to listeners.
    pub bytes_delivered: u64,
    /// Frames evicted or discarded before delivery (the seed's `totalFramesDropped`).
    pub frames_dropped: u64,
    /// Bytes evicted or discarded before delivery.
    pub bytes_dropped: u64,
    /// Bytes held now in all rings (header runs, pending and in-delivery chunks).
    pub bytes_held: u64,
    /// Chunks held now in all rings.
    pub chunks_held: u64,
    /// Bytes held / the rings' byte budgets, 0 when there is no ring.
    pub ring_occupancy: f64,
    /// EWMA (weight 0.1) of the time from the start of a frame's delivery until every
    /// listener is done with it, awaited Promises included (ms).
    pub average_processing_time: f64,
    /// Delivered frames per second over the last 5 s.
    pub delivered_fps: f64,
    /// Frames per second the engine should deliver now.
    pub expected_fps: f64,
    /// The video track's frame rate (video frames, not SensorFrames), if a video stream runs.
    pub track_frame_rate: Option<f64>,
    /// The current quality level (0..=1), `null` until adaptive quality acts.
    pub quality_level: Option<f64>,
    /// Quality changes since the reset.
    pub quality_adaptations: u64,
    /// Streams served from a pool since the reset.
    pub connection_reuses: u64,
    /// Streams opened from a device since the reset.
    pub stream_creations: u64,
    /// The last memory readings (MB of bytes held + JS heap), oldest first, at most 60.
    pub memory_trend: Vec<f64>,
    /// 0..=100, see [`ProducerMetrics::score`].
    pub performance_score: f64,
    /// When the counters were last reset (epoch ms).
    pub last_reset_time: f64,
    /// Per-stream counters.
    pub streams: Vec<StreamMetrics>,
}

/// The producer's counters since construction or the last reset.
///
/// ```
/// use media_recorder_producer::core::metrics::ProducerMetrics;
/// let mut m = ProducerMetrics::new(0.0);
/// assert_eq!(m.score(0.0, 10.0), 0.0); // idle: 0, not NaN
/// for i in 0..50 {
///     m.record_frame(1000, 2.0, i as f64 * 100.0);
/// }
/// assert!(m.score(5000.0, 10.0) >= 90.0); // on time, no drops
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerMetrics {
    frames_recorded: u64,
    bytes_recorded: u64,
    frames_delivered: u64,
    bytes_delivered: u64,
    frames_dropped: u64,
    bytes_dropped: u64,
    average_processing_ms: Option<f64>,
    memory_trend: VecDeque<f64>,
    quality_adaptations: u64,
    connection_reuses: u64,
    stream_creations: u64,
    last_reset_ms: f64,
    recent: VecDeque<f64>,
}

impl ProducerMetrics {
    /// Counters at zero, reset time `now_ms`.
    pub fn new(now_ms: f64) -> Self {
        ProducerMetrics {
            frames_recorded: 0,
            bytes_recorded: 0,
            frames_delivered: 0,
            bytes_delivered: 0,
            frames_dropped: 0,
            bytes_dropped: 0,
            average_processing_ms: None,
            memory_trend: VecDeque::with_capacity(MEMORY_TREND_LEN),
            quality_adaptations: 0,
            connection_reuses: 0,
            stream_creations: 0,
            last_reset_ms: now_ms,
            recent: VecDeque::new(),
        }
    }

    /// Back to zero (the memory trend too), reset time `now_ms`.
    pub fn reset(&mut self, now_ms: f64) {
        *self = ProducerMetrics::new(now_ms);
    }

    /// A chunk entered the producer.
    pub fn record_chunk(&mut self, bytes: u64) {
        self.frames_recorded = self.frames_recorded.saturating_add(1);
        self.bytes_recorded = self.bytes_recorded.saturating_add(bytes);
    }

    /// A frame was delivered; `processing_ms` from the start of its delivery until every
    /// listener was done.
    pub fn record_frame(&mut self, bytes: u64, processing_ms: f64, now_ms: f64) {
        self.frames_delivered = self.frames_delivered.saturating_add(1);
        self.bytes_delivered = self.bytes_delivered.saturating_add(bytes);
        let x = if processing_ms.is_finite() && processing_ms >= 0.0 {
            processing_ms
        } else {
            0.0
        };
        self.average_processing_ms = Some(match self.average_processing_ms {
            None => x,
            Some(avg) => avg * (1.0 - EWMA_WEIGHT) + x * EWMA_WEIGHT,
        });
        self.recent.push_back(now_ms);
        self.trim_recent(now_ms);
    }

    /// Frames were evicted or discarded before delivery.
    pub fn record_drops(&mut self, frames: u64, bytes: u64) {
        self.frames_dropped = self.frames_dropped.saturating_add(frames);
        self.bytes_dropped = self.bytes_dropped.saturating_add(bytes);
    }

    /// The quality level changed.
    pub fn record_quality_adaptation(&mut self) {
        self.quality_adaptations = self.quality_adaptations.saturating_add(1);
    }

    /// A stream was served from a pool.
    pub fn record_connection_reuse(&mut self) {
        self.connection_reuses = self.connection_reuses.saturating_add(1);
    }

    /// A stream was opened from a device.
    pub fn record_stream_creation(&mut self) {
        self.stream_creations = self.stream_creations.saturating_add(1);
    }

    /// A memory reading (MB); the trend keeps the last 60.
    pub fn record_memory_sample(&mut self, mb: f64) {
        if self.memory_trend.len() == MEMORY_TREND_LEN {
            self.memory_trend.pop_front();
        }
        self.memory_trend
            .push_back(if mb.is_finite() { mb } else { 0.0 });
    }

    /// The EWMA of processing times (ms), 0 before the first frame.
    pub fn average_processing_ms(&self) -> f64 {
        self.average_processing_ms.unwrap_or(0.0)
    }

    /// The memory trend, oldest first.
    pub fn memory_trend(&self) -> Vec<f64> {
        self.memory_trend.iter().copied().collect()
    }

    /// Delivered frames per second over the last [`RATE_WINDOW_MS`] (or since the reset,
    /// if that is shorter).
    pub fn delivered_fps(&self, now_ms: f64) -> f64 {
        let window_start = (now_ms - RATE_WINDOW_MS).max(self.last_reset_ms);
        let span_s = (now_ms - window_start) / 1000.0;
        if span_s <= 0.0 {
            return 0.0;
        }
        let n = self
            .recent
            .iter()
            .filter(|&&t| t > window_start && t <= now_ms)
            .count();
        n as f64 / span_s
    }

    fn trim_recent(&mut self, now_ms: f64) {
        while self
            .recent
            .front()
            .is_some_and(|&t| t <= now_ms - RATE_WINDOW_MS)
        {
            self.recent.pop_front();
        }
    }

    /// The performance score, 0..=100, with the seed's weights:
    ///
    /// - 50 %: delivery rate — delivered frames per second / `expected_fps`, capped at 1
    ///   (with no expectation, e.g. only pushed chunks, any delivery counts as on time);
    /// - 30 %: drops — `100 − 500 × dropped / max(1, delivered)`, floored at 0 (20 % drops
    ///   score 0, as in the seed);
    /// - 20 %: reuse — pooled reuses / the acquisitions that could have been reuses
    ///   (every one after the first), capped at 1; full marks while there has been at
    ///   most one acquisition, since a first stream cannot be a reuse.
    ///
    /// 0 before the first delivered frame (never NaN).
    pub fn score(&self, now_ms: f64, expected_fps: f64) -> f64 {
        if self.frames_delivered == 0 {
            return 0.0;
        }
        let fps = self.delivered_fps(now_ms);
        let rate = if expected_fps > 0.0 && expected_fps.is_finite() {
            (fps / expected_fps).min(1.0)
        } else if fps > 0.0 {
            1.0
        } else {
            0.0
        };
        let drop_rate = self.frames_dropped as f64 / (self.frames_delivered.max(1)) as f64;
        let drops = (100.0 - drop_rate * 500.0).clamp(0.0, 100.0);
        let acquisitions = self.stream_creations + self.connection_reuses;
        let reuse = if acquisitions <= 1 {
            1.0
        } else {
            (self.connection_reuses as f64 / (acquisitions - 1) as f64).min(1.0)
        };
        let score = rate * 100.0 * 0.5 + drops * 0.3 + reuse * 100.0 * 0.2;
        if score.is_finite() {
            score.clamp(0.0, 100.0)
        } else {
            0.0
        }
    }

    /// The snapshot for JS, combining the counters with what is live now.
    pub fn snapshot(&self, now_ms: f64, live: LiveState) -> MetricsSnapshot {
        let bytes_held: u64 = live.streams.iter().map(|s| s.ring.held_bytes).sum();
        let chunks_held: u64 = live.streams.iter().map(|s| s.ring.held_chunks).sum();
        let budget: u64 = live.streams.iter().map(|s| s.budget_bytes).sum();
        MetricsSnapshot {
            frames_recorded: self.frames_recorded,
            bytes_recorded: self.bytes_recorded,
            frames_delivered: self.frames_delivered,
            bytes_delivered: self.bytes_delivered,
            frames_dropped: self.frames_dropped,
            bytes_dropped: self.bytes_dropped,
            bytes_held,
            chunks_held,
            ring_occupancy: if budget > 0 {
                bytes_held as f64 / budget as f64
            } else {
                0.0
            },
            average_processing_time: self.average_processing_ms(),
            delivered_fps: self.delivered_fps(now_ms),
            expected_fps: live.expected_fps,
            track_frame_rate: live.track_frame_rate,
            quality_level: live.quality_level,
            quality_adaptations: self.quality_adaptations,
            connection_reuses: self.connection_reuses,
            stream_creations: self.stream_creations,
            memory_trend: self.memory_trend(),
            performance_score: self.score(now_ms, live.expected_fps),
            last_reset_time: self.last_reset_ms,
            streams: live.streams,
        }
    }
}

impl Emit for StreamMetrics {
    fn fields(&self, o: &mut dyn Out) {
        o.text("streamId", &self.stream_id);
        o.flag("active", self.active);
        o.num("budgetBytes", self.budget_bytes as f64);
        self.ring.fields(o);
    }
}

impl Emit for MetricsSnapshot {
    fn fields(&self, o: &mut dyn Out) {
        o.num("framesRecorded", self.frames_recorded as f64);
        o.num("bytesRecorded", self.bytes_recorded as f64);
        o.num("framesDelivered", self.frames_delivered as f64);
        o.num("bytesDelivered", self.bytes_delivered as f64);
        o.num("framesDropped", self.frames_dropped as f64);
        o.num("bytesDropped", self.bytes_dropped as f64);
        o.num("bytesHeld", self.bytes_held as f64);
        o.num("chunksHeld", self.chunks_held as f64);
        o.num("ringOccupancy", self.ring_occupancy);
        o.num("averageProcessingTime", self.average_processing_time);
        o.num("deliveredFps", self.delivered_fps);
        o.num("expectedFps", self.expected_fps);
        num_or_null(o, "trackFrameRate", self.track_frame_rate);
        num_or_null(o, "qualityLevel", self.quality_level);
        o.num("qualityAdaptations", self.quality_adaptations as f64);
        o.num("connectionReuses", self.connection_reuses as f64);
        o.num("streamCreations", self.stream_creations as f64);
        o.open("memoryTrend", true);
        for &n in &self.memory_trend {
            o.num("", n);
        }
        o.close();
        o.num("performanceScore", self.performance_score);
        o.num("lastResetTime", self.last_reset_time);
        o.open("streams", true);
        for s in &self.streams {
            crate::core::emit::object(o, "", s);
        }
        o.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_matches_hand_computed_values() {
        let mut m = ProducerMetrics::new(0.0);
        m.record_frame(1, 10.0, 1.0);
        assert_eq!(m.average_processing_ms(), 10.0);
        m.record_frame(1, 20.0, 2.0);
        // 10 * 0.9 + 20 * 0.1 = 11
        assert!((m.average_processing_ms() - 11.0).abs() < 1e-12);
        m.record_frame(1, 0.0, 3.0);
        // 11 * 0.9 + 0 = 9.9
        assert!((m.average_processing_ms() - 9.9).abs() < 1e-12);
        m.record_frame(1, f64::NAN, 4.0);
        assert!((m.average_processing_ms() - 8.91).abs() < 1e-12);
    }

    #[test]
    fn trend_keeps_exactly_the_last_60() {
        let mut m = ProducerMetrics::new(0.0);
        for i in 0..100 {
            m.record_memory_sample(i as f64);
        }
        let t = m.memory_trend();
        assert_eq!(t.len(), 60);
        assert_eq!(t[0], 40.0);
        assert_eq!(t[59], 99.0);
    }

    #[test]
    fn idle_scores_zero_and_drops_cost() {
        let mut m = ProducerMetrics::new(0.0);
        assert_eq!(m.score(10_000.0, 10.0), 0.0);
        for i in 0..100 {
            m.record_frame(100, 1.0, i as f64 * 100.0);
        }
        let healthy = m.score(10_000.0, 10.0);
        assert!(healthy >= 99.0, "{healthy}");
        m.record_drops(20, 2000);
        // 20 % drops: the drop term (30 points) is 0.
        assert!((m.score(10_000.0, 10.0) - (healthy - 30.0)).abs() < 1e-9);
    }

    #[test]
    fn rate_term_uses_the_engine_s_rate_over_a_recent_window() {
        let mut m = ProducerMetrics::new(0.0);
        // Chromium's 100 ms timeslice gives a chunk every ~120 ms.
        for i in 0..100 {
            m.record_frame(100, 1.0, i as f64 * 120.0);
        }
        let now = 99.0 * 120.0;
        assert!((m.delivered_fps(now) - 41.0 / 5.0).abs() < 0.3);
        assert!(m.score(now, 10.0) >= 90.0);
        // Nothing for 10 s: the rate term falls to 0.
        assert!((m.score(now + 10_000.0, 10.0) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn reuse_term() {
        let mut m = ProducerMetrics::new(0.0);
        m.record_frame(1, 1.0, 100.0);
        m.record_stream_creation();
        let one = m.score(1000.0, 0.0);
        m.record_stream_creation();
        let two_fresh = m.score(1000.0, 0.0);
        assert!((one - two_fresh - 20.0).abs() < 1e-9);
        // 2 creations + 1 reuse: 1 of 2 later acquisitions reused.
        m.record_connection_reuse();
        assert!((m.score(1000.0, 0.0) - (one - 10.0)).abs() < 1e-9);
        // 1 creation + 3 reuses: all reused; capped at full marks.
        let mut r = ProducerMetrics::new(0.0);
        r.record_frame(1, 1.0, 100.0);
        r.record_stream_creation();
        for _ in 0..3 {
            r.record_connection_reuse();
        }
        assert!((r.score(1000.0, 0.0) - one).abs() < 1e-9);
    }

    #[test]
    fn reset_starts_over() {
        let mut m = ProducerMetrics::new(0.0);
        m.record_frame(5, 1.0, 10.0);
        m.record_memory_sample(3.0);
        m.reset(500.0);
        assert_eq!(m, ProducerMetrics::new(500.0));
        assert_eq!(m.delivered_fps(600.0), 0.0);
    }
}
