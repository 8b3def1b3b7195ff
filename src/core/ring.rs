//! [`ChunkRing`]: the bounded buffer between a recorder and the frame listeners.
//!
//! Every chunk of a stream is pushed here, taken out in order for delivery, and
//! released once delivered. The ring is bounded by chunk count and by bytes; when a
//! push goes over a bound it evicts the oldest chunk that may go, and counts every
//! chunk it evicts before delivery as dropped (never silently).
//!
//! The **header run** — the chunks that carry the container header, which every later
//! chunk needs to be decodable — is pinned and never evicted. While the header is
//! *open* every new chunk is pinned as a candidate; [`ChunkRing::close_header`] says
//! which chunk ended it and unpins the candidates after it.
//!
//! Bound: after any operation, bytes held ≤ max(`max_bytes`, pinned bytes) + the size
//! of the one chunk being delivered (which cannot be evicted while a listener has it).
//!
//! The ring is generic over the item (the browser stores a `Blob`, tests a number)
//! and never reads a clock.
//!
//! ```
//! use media_recorder_producer::core::ring::{ChunkRing, HeaderPolicy, RingLimits};
//!
//! let limits = RingLimits { max_chunks: 100, max_bytes: 1000, keep_delivered: false, replay: false };
//! let mut ring = ChunkRing::new(limits, HeaderPolicy::FirstChunk);
//! ring.push("header", 10, None);               // pinned: the first chunk
//! for i in 0..5 { ring.push("body", 400, None); } // over 1000 bytes: old body chunks go
//! let stats = ring.stats();
//! assert_eq!(stats.dropped_chunks, 3);
//! assert!(stats.held_bytes <= 1000);
//! let first = ring.take_next().unwrap();
//! assert_eq!((first.seq, first.pinned), (0, true)); // the header is still there, first
//! ```

use crate::core::emit::{Emit, Out};
use std::collections::VecDeque;

/// How the header run is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPolicy {
    /// Chunks stay pinned candidates until the caller closes the header (WebM, MP4:
    /// after scanning the bytes for the first Cluster or `moof`, see
    /// [`crate::core::webm`]).
    Scan,
    /// Only the first chunk is the header (containers the scanner does not know).
    FirstChunk,
    /// Nothing is pinned unless a push says so.
    None,
}

/// The ring's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingLimits {
    /// Most chunks held (pinned ones included; pinned chunks may exceed it).
    pub max_chunks: usize,
    /// Most bytes held (pinned chunks and the chunk in delivery may exceed it).
    pub max_bytes: u64,
    /// Keep delivered chunks until [`ChunkRing::clear`] (`retain: "all"`); the ring then
    /// never evicts and is unbounded.
    pub keep_delivered: bool,
    /// Keep delivered chunks while the bounds allow (`replay: true`: the replay window
    /// of `snapshot()`). Over the bounds the oldest evictable chunks go first as always,
    /// which are delivered ones; evicting a delivered chunk is not a drop.
    pub replay: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Pending,
    InFlight,
    Delivered,
}

#[derive(Debug)]
struct Slot<T> {
    seq: u64,
    size: u64,
    pinned: bool,
    /// The segment it was pushed in (see [`ChunkRing::begin_segment`]).
    segment: u32,
    state: SlotState,
    item: T,
}

/// A chunk handed out for delivery by [`ChunkRing::take_next`].
#[derive(Debug, Clone, PartialEq)]
pub struct Taken<T> {
    /// Sequence number in the stream, from 0, consecutive over pushes.
    pub seq: u64,
    /// Size in bytes.
    pub size: u64,
    /// Whether it belongs to the header run.
    pub pinned: bool,
    /// The item (cloned).
    pub item: T,
}

/// A chunk evicted before delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Its sequence number.
    pub seq: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// Counters of one ring; every field only grows except the `held_*` ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingStats {
    /// Chunks pushed.
    pub pushed_chunks: u64,
    /// Bytes pushed.
    pub pushed_bytes: u64,
    /// Chunks delivered to listeners.
    pub delivered_chunks: u64,
    /// Bytes delivered to listeners.
    pub delivered_bytes: u64,
    /// Chunks evicted or discarded before delivery.
    pub dropped_chunks: u64,
    /// Bytes evicted or discarded before delivery.
    pub dropped_bytes: u64,
    /// Chunks held now (pending, in delivery, pinned, or kept by `retain: "all"`).
    pub held_chunks: u64,
    /// Bytes held now.
    pub held_bytes: u64,
    /// Bytes of the pinned header run.
    pub pinned_bytes: u64,
    /// Chunks waiting for delivery now.
    pub pending_chunks: u64,
}

/// The bounded chunk buffer of one stream. See the module docs.
#[derive(Debug)]
pub struct ChunkRing<T> {
    slots: VecDeque<Slot<T>>,
    limits: RingLimits,
    policy: HeaderPolicy,
    header_open: bool,
    open_candidates: usize,
    /// Bytes pinned as candidates of the open header run.
    open_bytes: u64,
    /// The current segment: 0, then one more per [`ChunkRing::begin_segment`].
    segment: u32,
    /// The first sequence number of the current segment.
    segment_start: u64,
    next_seq: u64,
    stats: RingStats,
    /// Never evict an undelivered chunk ([`ChunkRing::set_lossless`]).
    lossless: bool,
}

/// How large an open header run may grow before the ring gives up waiting for its end
/// and keeps only the first chunk pinned. Chromium's WebM header is under 300 bytes.
pub const MAX_OPEN_HEADER_BYTES: u64 = 1024 * 1024;

/// How many chunks may wait pinned as header candidates while the header's end is not
/// known yet (Chromium's header run is 1 or 2 chunks). Chunks pushed in a burst beyond
/// this are not pinned, so a burst cannot hold the budget hostage until the scan answers.
pub const MAX_OPEN_HEADER_CHUNKS: usize = 8;

impl<T: Clone> ChunkRing<T> {
    /// An empty ring.
    pub fn new(limits: RingLimits, policy: HeaderPolicy) -> Self {
        ChunkRing {
            slots: VecDeque::new(),
            limits,
            policy,
            header_open: policy != HeaderPolicy::None,
            open_candidates: 0,
            open_bytes: 0,
            segment: 0,
            segment_start: 0,
            next_seq: 0,
            stats: RingStats::default(),
            lossless: false,
        }
    }

    /// Lossless mode (a stream with sinks: each must get every chunk): undelivered
    /// chunks are never evicted, so the bounds may be exceeded while the consumers are
    /// behind ([`over_limits`](Self::over_limits) says when); delivered chunks kept for
    /// replay still make room first.
    pub fn set_lossless(&mut self, lossless: bool) {
        self.lossless = lossless;
    }

    /// Pushes a chunk of `size` bytes; returns its sequence number and what was evicted
    /// to make room (each counted as dropped).
    ///
    /// `pin`: `Some(true)` pins it (a header chunk the caller knows of), `Some(false)`
    /// never pins it (and closes an open header), `None` follows the header policy.
    pub fn push(&mut self, item: T, size: u64, pin: Option<bool>) -> (u64, Vec<Dropped>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let pinned = match pin {
            Some(p) => {
                if !p {
                    self.header_open = false;
                }
                p
            }
            None => self.header_open && self.open_candidates < MAX_OPEN_HEADER_CHUNKS,
        };
        if pin.is_none() && pinned {
            self.open_candidates += 1;
            self.open_bytes += size;
        }
        if self.policy == HeaderPolicy::FirstChunk {
            self.header_open = false;
        }
        self.slots.push_back(Slot {
            seq,
            size,
            pinned,
            segment: self.segment,
            state: SlotState::Pending,
            item,
        });
        self.stats.pushed_chunks += 1;
        self.stats.pushed_bytes += size;
        self.stats.held_chunks += 1;
        self.stats.held_bytes += size;
        self.stats.pending_chunks += 1;
        if pinned {
            self.stats.pinned_bytes += size;
        }
        if self.header_open && self.open_bytes > MAX_OPEN_HEADER_BYTES {
            // No header end found in a megabyte: this is not the container we expected.
            // Keep the segment's first chunk as the header rather than pinning without bound.
            self.close_header_inner(self.segment_start);
        }
        let dropped = self.enforce_limits();
        (seq, dropped)
    }

    /// Whether chunks pushed now become header candidates (the header end is not known yet).
    pub fn header_open(&self) -> bool {
        self.header_open
    }

    /// Ends the header run at chunk `last_header_seq`: candidates after it are unpinned
    /// (and may be evicted now, which the returned list counts).
    pub fn close_header(&mut self, last_header_seq: u64) -> Vec<Dropped> {
        self.close_header_inner(last_header_seq);
        self.enforce_limits()
    }

    fn close_header_inner(&mut self, last_header_seq: u64) {
        self.header_open = false;
        self.open_candidates = 0;
        self.open_bytes = 0;
        for slot in self.slots.iter_mut() {
            // Only the current segment's candidates: an earlier segment's header run
            // stays pinned until it is delivered.
            if slot.pinned && slot.seq > last_header_seq && slot.segment == self.segment {
                slot.pinned = false;
                self.stats.pinned_bytes -= slot.size;
            }
        }
        // Chunks already delivered and now unpinned are released like any delivered chunk.
        if !self.keeps_delivered() {
            self.release_delivered_unpinned();
        }
    }

    /// Stops keeping delivered chunks (`keep_delivered`) and releases those held, except
    /// the header run; returns the bytes released. Memory relief for `retain: "all"`.
    pub fn release_delivered(&mut self) -> u64 {
        let before = self.stats.held_bytes;
        self.limits.keep_delivered = false;
        self.limits.replay = false;
        self.release_delivered_unpinned();
        before - self.stats.held_bytes
    }

    /// Starts a new segment (a new recorder, a new container header) and returns what
    /// had to be evicted. The next chunks are header candidates again, as at the start.
    /// The previous header run is released once delivered: chunks of it already
    /// delivered go now (unless delivered chunks are kept); those still waiting stay
    /// pinned, and flagged as header, until they are delivered, so a slow consumer
    /// still gets each segment's header before its body.
    ///
    /// Close the previous segment's header first ([`close_header`](Self::close_header)):
    /// candidates still open here are kept as that segment's header run.
    pub fn begin_segment(&mut self) -> Vec<Dropped> {
        self.segment += 1;
        self.segment_start = self.next_seq;
        let keep = self.keeps_delivered();
        let mut i = 0;
        while i < self.slots.len() {
            let s = &mut self.slots[i];
            if s.pinned && s.state == SlotState::Delivered {
                s.pinned = false;
                self.stats.pinned_bytes -= s.size;
                if !keep {
                    self.remove_at(i);
                    continue;
                }
            }
            i += 1;
        }
        self.header_open = self.policy != HeaderPolicy::None;
        self.open_candidates = 0;
        self.open_bytes = 0;
        self.enforce_limits()
    }

    /// The current segment: 0, then one more per [`begin_segment`](Self::begin_segment).
    pub fn segment(&self) -> u32 {
        self.segment
    }

    /// The first sequence number of the current segment.
    pub fn segment_start(&self) -> u64 {
        self.segment_start
    }

    /// Chunks waiting for delivery that were pushed at or after sequence number `seq`.
    pub fn pending_since(&self, seq: u64) -> u64 {
        self.slots
            .iter()
            .filter(|s| s.seq >= seq && s.state == SlotState::Pending)
            .count() as u64
    }

    /// Changes the byte bound (e.g. memory relief) and evicts to meet it.
    pub fn set_max_bytes(&mut self, max_bytes: u64) -> Vec<Dropped> {
        self.limits.max_bytes = max_bytes;
        self.enforce_limits()
    }

    /// The current bounds.
    pub fn limits(&self) -> RingLimits {
        self.limits
    }

    /// Hands out the oldest pending chunk for delivery; it stays held (and cannot be
    /// evicted) until [`finish`](Self::finish) or [`abandon`](Self::abandon).
    pub fn take_next(&mut self) -> Option<Taken<T>> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.state == SlotState::Pending)?;
        slot.state = SlotState::InFlight;
        self.stats.pending_chunks -= 1;
        Some(Taken {
            seq: slot.seq,
            size: slot.size,
            pinned: slot.pinned,
            item: slot.item.clone(),
        })
    }

    /// Marks chunk `seq` delivered; unless delivered chunks are kept, an unpinned one is
    /// released at once.
    pub fn finish(&mut self, seq: u64) {
        let Some(idx) = self.index_of(seq, SlotState::InFlight) else {
            return;
        };
        let keep = self.keeps_delivered();
        let current = self.segment;
        let (size, pinned, old_segment) = {
            let slot = &mut self.slots[idx];
            slot.state = SlotState::Delivered;
            (slot.size, slot.pinned, slot.segment != current)
        };
        self.stats.delivered_chunks += 1;
        self.stats.delivered_bytes += size;
        if pinned && old_segment {
            // An earlier segment's header run: pinned only until delivered.
            self.slots[idx].pinned = false;
            self.stats.pinned_bytes -= size;
            if !keep {
                self.remove_at(idx);
            }
        } else if !keep && !pinned {
            self.remove_at(idx);
        }
        if self.limits.replay {
            // The chunk that was in delivery could not be evicted for a push meanwhile;
            // now delivered, the oldest delivered chunks make up for it (never a drop).
            self.trim_delivered();
        }
    }

    /// Evicts the oldest delivered, unpinned chunks while over the bounds.
    fn trim_delivered(&mut self) {
        while self.over_limits() {
            let Some(idx) = self
                .slots
                .iter()
                .position(|s| !s.pinned && s.state == SlotState::Delivered)
            else {
                break;
            };
            self.remove_at(idx);
        }
    }

    /// Puts chunk `seq`, taken but not delivered (e.g. its last listener unsubscribed
    /// meanwhile), back in line: it is the next one [`take_next`](Self::take_next) gives.
    pub fn untake(&mut self, seq: u64) {
        if let Some(idx) = self.index_of(seq, SlotState::InFlight) {
            self.slots[idx].state = SlotState::Pending;
            self.stats.pending_chunks += 1;
        }
    }

    /// Gives up delivering chunk `seq` (e.g. its bytes could not be read): counted as dropped.
    pub fn abandon(&mut self, seq: u64) -> Option<Dropped> {
        let idx = self.index_of(seq, SlotState::InFlight)?;
        let slot = self.remove_at(idx)?;
        self.stats.dropped_chunks += 1;
        self.stats.dropped_bytes += slot.size;
        if slot.pinned {
            self.stats.pinned_bytes -= slot.size;
        }
        Some(Dropped {
            seq: slot.seq,
            size: slot.size,
        })
    }

    /// Whether a chunk waits for delivery.
    pub fn has_pending(&self) -> bool {
        self.stats.pending_chunks > 0
    }

    /// Whether a chunk is being delivered.
    pub fn in_flight(&self) -> bool {
        self.slots.iter().any(|s| s.state == SlotState::InFlight)
    }

    /// The counters now.
    pub fn stats(&self) -> RingStats {
        self.stats
    }

    /// The sequence number the next push gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Items held, in order (with `keep_delivered`, the whole recording so far).
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().map(|s| &s.item)
    }

    /// Discards everything held; chunks never delivered count as dropped.
    pub fn clear(&mut self) -> Vec<Dropped> {
        let mut dropped = Vec::new();
        for slot in self.slots.drain(..) {
            if slot.state != SlotState::Delivered {
                self.stats.dropped_chunks += 1;
                self.stats.dropped_bytes += slot.size;
                dropped.push(Dropped {
                    seq: slot.seq,
                    size: slot.size,
                });
            }
        }
        self.stats.held_chunks = 0;
        self.stats.held_bytes = 0;
        self.stats.pinned_bytes = 0;
        self.stats.pending_chunks = 0;
        dropped
    }

    fn index_of(&self, seq: u64, state: SlotState) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.seq == seq && s.state == state)
    }

    fn remove_at(&mut self, idx: usize) -> Option<Slot<T>> {
        let slot = self.slots.remove(idx)?;
        self.stats.held_chunks -= 1;
        self.stats.held_bytes -= slot.size;
        if slot.state == SlotState::Pending {
            self.stats.pending_chunks -= 1;
        }
        Some(slot)
    }

    fn release_delivered_unpinned(&mut self) {
        let mut i = 0;
        while i < self.slots.len() {
            let s = &self.slots[i];
            if s.state == SlotState::Delivered && !s.pinned {
                self.remove_at(i);
            } else {
                i += 1;
            }
        }
    }

    /// Whether delivered chunks stay (`keep_delivered` or `replay`).
    fn keeps_delivered(&self) -> bool {
        self.limits.keep_delivered || self.limits.replay
    }

    /// Whether the ring holds more than its bounds allow (in lossless mode, because
    /// its consumers are behind).
    pub fn over_limits(&self) -> bool {
        self.stats.held_bytes > self.limits.max_bytes
            || self.stats.held_chunks > self.limits.max_chunks as u64
    }

    /// Evicts the oldest evictable chunks (unpinned, not in delivery) until within bounds.
    fn enforce_limits(&mut self) -> Vec<Dropped> {
        let mut dropped = Vec::new();
        if self.limits.keep_delivered {
            return dropped;
        }
        while self.over_limits() {
            let lossless = self.lossless;
            let Some(idx) = self.slots.iter().position(|s| {
                !s.pinned
                    && s.state != SlotState::InFlight
                    && !(lossless && s.state == SlotState::Pending)
            }) else {
                break;
            };
            let Some(slot) = self.remove_at(idx) else {
                break;
            };
            if slot.state == SlotState::Pending {
                self.stats.dropped_chunks += 1;
                self.stats.dropped_bytes += slot.size;
                dropped.push(Dropped {
                    seq: slot.seq,
                    size: slot.size,
                });
            }
        }
        dropped
    }
}

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;

impl Emit for RingStats {
    fn fields(&self, o: &mut dyn Out) {
        o.num("pushedChunks", self.pushed_chunks as f64);
        o.num("pushedBytes", self.pushed_bytes as f64);
        o.num("deliveredChunks", self.delivered_chunks as f64);
        o.num("deliveredBytes", self.delivered_bytes as f64);
        o.num("droppedChunks", self.dropped_chunks as f64);
        o.num("droppedBytes", self.dropped_bytes as f64);
        o.num("heldChunks", self.held_chunks as f64);
        o.num("heldBytes", self.held_bytes as f64);
        o.num("pinnedBytes", self.pinned_bytes as f64);
        o.num("pendingChunks", self.pending_chunks as f64);
    }
}
