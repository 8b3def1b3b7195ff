//! The producer's counters as a snapshot (`metrics()` in JS).
//!
//! A frame is one delivered chunk, so frame and chunk counts are the same numbers.
//! Streams that have finished still count in the totals.

use crate::core::ring::RingStats;
use serde::Serialize;

/// Counters of one stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamMetrics {
    /// The stream's id.
    pub stream_id: String,
    /// Whether it still records.
    pub active: bool,
    /// Its ring's counters.
    #[serde(flatten)]
    pub ring: RingStats,
}

/// Counters of a producer, totals over all its streams.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSnapshot {
    /// Frames (chunks) that entered the producer: recorded or pushed.
    pub frames_recorded: u64,
    /// Bytes that entered the producer.
    pub bytes_recorded: u64,
    /// Frames delivered to listeners.
    pub frames_delivered: u64,
    /// Frames evicted or discarded before delivery.
    pub frames_dropped: u64,
    /// Bytes delivered to listeners.
    pub bytes_delivered: u64,
    /// Bytes evicted or discarded before delivery.
    pub bytes_dropped: u64,
    /// Bytes held now in all rings (header runs, pending and in-delivery chunks).
    pub bytes_held: u64,
    /// Chunks held now in all rings.
    pub chunks_held: u64,
    /// Per-stream counters of the streams that still exist.
    pub streams: Vec<StreamMetrics>,
}

impl MetricsSnapshot {
    /// Totals from finished streams' counters plus the live streams'.
    ///
    /// ```
    /// use media_recorder_producer::core::metrics::{MetricsSnapshot, StreamMetrics};
    /// use media_recorder_producer::core::ring::RingStats;
    /// let finished = RingStats { delivered_chunks: 3, delivered_bytes: 30, ..Default::default() };
    /// let live = StreamMetrics { stream_id: "s".into(), active: true,
    ///     ring: RingStats { delivered_chunks: 2, delivered_bytes: 20, held_bytes: 5, ..Default::default() } };
    /// let m = MetricsSnapshot::from_parts(&finished, vec![live]);
    /// assert_eq!((m.frames_delivered, m.bytes_delivered, m.bytes_held), (5, 50, 5));
    /// ```
    pub fn from_parts(finished: &RingStats, live: Vec<StreamMetrics>) -> Self {
        let mut m = MetricsSnapshot {
            frames_recorded: finished.pushed_chunks,
            bytes_recorded: finished.pushed_bytes,
            frames_delivered: finished.delivered_chunks,
            frames_dropped: finished.dropped_chunks,
            bytes_delivered: finished.delivered_bytes,
            bytes_dropped: finished.dropped_bytes,
            ..Default::default()
        };
        for s in &live {
            m.frames_recorded += s.ring.pushed_chunks;
            m.bytes_recorded += s.ring.pushed_bytes;
            m.frames_delivered += s.ring.delivered_chunks;
            m.frames_dropped += s.ring.dropped_chunks;
            m.bytes_delivered += s.ring.delivered_bytes;
            m.bytes_dropped += s.ring.dropped_bytes;
            m.bytes_held += s.ring.held_bytes;
            m.chunks_held += s.ring.held_chunks;
        }
        m.streams = live;
        m
    }
}

/// Adds a finished stream's counters to the running totals.
pub fn accumulate(total: &mut RingStats, s: &RingStats) {
    total.pushed_chunks += s.pushed_chunks;
    total.pushed_bytes += s.pushed_bytes;
    total.delivered_chunks += s.delivered_chunks;
    total.delivered_bytes += s.delivered_bytes;
    total.dropped_chunks += s.dropped_chunks;
    total.dropped_bytes += s.dropped_bytes;
}
