//! Property tests of the chunk ring over random push / deliver / evict sequences.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::ring::{
    ChunkRing, HeaderPolicy, RingLimits, MAX_OPEN_HEADER_CHUNKS,
};
use proptest::prelude::*;
use std::collections::BTreeSet;

const MAX_CHUNK: u64 = 5000;

#[derive(Debug, Clone)]
enum Op {
    Push(u64),
    PushPinned(u64, bool),
    Take,
    Finish,
    Abandon,
    Untake,
    CloseHeader(u64),
    SetMaxBytes(u64),
    /// A new segment (recorder restart); an open header is closed first, as the browser
    /// shell does once the old segment's scan has seen every chunk.
    BeginSegment,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1..=MAX_CHUNK).prop_map(Op::Push),
        1 => ((1..=MAX_CHUNK), any::<bool>()).prop_map(|(s, p)| Op::PushPinned(s, p)),
        4 => Just(Op::Take),
        4 => Just(Op::Finish),
        1 => Just(Op::Abandon),
        1 => Just(Op::Untake),
        1 => (0u64..8).prop_map(Op::CloseHeader),
        1 => (1024u64..40_000).prop_map(Op::SetMaxBytes),
        1 => Just(Op::BeginSegment),
    ]
}

fn policy() -> impl Strategy<Value = HeaderPolicy> {
    prop_oneof![
        Just(HeaderPolicy::Scan),
        Just(HeaderPolicy::FirstChunk),
        Just(HeaderPolicy::None)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ring_invariants(
        ops in prop::collection::vec(op(), 1..300),
        max_chunks in 1usize..40,
        max_bytes in 1024u64..40_000,
        policy in policy(),
        replay in any::<bool>(),
        lossless in any::<bool>(),
    ) {
        // `replay` keeps delivered chunks while the bounds allow: every invariant below
        // (order, exactly-once, counted drops, pinned headers, bounds) holds the same.
        let mut ring = ChunkRing::new(RingLimits { max_chunks, max_bytes, keep_delivered: false, replay }, policy);
        // Lossless (a stream with sinks): nothing undelivered is ever evicted; the bounds
        // give way instead.
        ring.set_lossless(lossless);
        let mut pushed: Vec<u64> = vec![];
        let mut delivered: Vec<u64> = vec![];
        let mut dropped: BTreeSet<u64> = BTreeSet::new();
        let mut pinned_ever: BTreeSet<u64> = BTreeSet::new();
        let mut in_flight: Option<(u64, u64, bool)> = None;
        let mut header_closed_at: Option<u64> = None;
        let mut explicit_unpinned: BTreeSet<u64> = BTreeSet::new();
        let mut abandoned: BTreeSet<u64> = BTreeSet::new();
        // Per segment: first sequence number, where its header run was closed, and
        // whether a push hint (isHeader) took over from the scan.
        let mut segments: Vec<(u64, Option<u64>, bool)> = vec![(0, None, false)];
        let mut segment_of: Vec<usize> = vec![];
        // (seq, flagged as header, was its segment's header closed when it was taken)
        let mut taken_log: Vec<(u64, bool, bool)> = vec![];

        for op in ops {
            match op {
                Op::Push(size) | Op::PushPinned(size, _) => {
                    let hint = if let Op::PushPinned(_, p) = op { Some(p) } else { None };
                    let (seq, d) = ring.push(seq_item(pushed.len()), size, hint);
                    prop_assert_eq!(seq, pushed.len() as u64);
                    pushed.push(size);
                    segment_of.push(segments.len() - 1);
                    if hint.is_some() { segments.last_mut().unwrap().2 = true; }
                    if hint == Some(false) { explicit_unpinned.insert(seq); }
                    for x in d { prop_assert!(dropped.insert(x.seq), "dropped twice"); }
                }
                Op::Take => {
                    if in_flight.is_none() {
                        if let Some(t) = ring.take_next() {
                            // Delivery is in order and skips nothing that is still held.
                            if let Some(&last) = delivered.last() { prop_assert!(t.seq > last); }
                            prop_assert_eq!(t.size, pushed[t.seq as usize]);
                            if t.pinned { pinned_ever.insert(t.seq); }
                            let closed = segments[segment_of[t.seq as usize]].1.is_some();
                            taken_log.push((t.seq, t.pinned, closed));
                            in_flight = Some((t.seq, t.size, t.pinned));
                        }
                    }
                }
                Op::Finish => {
                    if let Some((seq, _, _)) = in_flight.take() {
                        ring.finish(seq);
                        delivered.push(seq);
                    }
                }
                Op::Abandon => {
                    if let Some((seq, _, _)) = in_flight.take() {
                        let d = ring.abandon(seq);
                        prop_assert!(d.is_some());
                        prop_assert!(dropped.insert(seq));
                        abandoned.insert(seq);
                    }
                }
                Op::Untake => {
                    if let Some((seq, _, _)) = in_flight.take() {
                        ring.untake(seq);
                        // It comes back first.
                        let again = ring.take_next().unwrap();
                        prop_assert_eq!(again.seq, seq);
                        in_flight = Some((again.seq, again.size, again.pinned));
                    }
                }
                Op::CloseHeader(k) => {
                    let start = segments.last().unwrap().0;
                    if ring.header_open() && (pushed.len() as u64) > start {
                        let last = (start + k).min(pushed.len() as u64 - 1);
                        if segments.len() == 1 { header_closed_at = Some(last); }
                        segments.last_mut().unwrap().1 = Some(last);
                        for x in ring.close_header(last) { prop_assert!(dropped.insert(x.seq)); }
                    }
                }
                Op::SetMaxBytes(b) => {
                    for x in ring.set_max_bytes(b) { prop_assert!(dropped.insert(x.seq)); }
                }
                Op::BeginSegment => {
                    let start = segments.last().unwrap().0;
                    if policy == HeaderPolicy::Scan && ring.header_open() && (pushed.len() as u64) > start {
                        let last = pushed.len() as u64 - 1;
                        segments.last_mut().unwrap().1 = Some(last);
                        for x in ring.close_header(last) { prop_assert!(dropped.insert(x.seq)); }
                    }
                    for x in ring.begin_segment() { prop_assert!(dropped.insert(x.seq)); }
                    segments.push((pushed.len() as u64, None, false));
                    prop_assert_eq!(ring.segment() as usize, segments.len() - 1);
                    prop_assert_eq!(ring.segment_start(), pushed.len() as u64);
                }
            }
            let s = ring.stats();
            let limit = ring.limits().max_bytes;
            let in_flight_size = in_flight.map(|(_, size, _)| size).unwrap_or(0);
            // Bytes held ≤ max(budget, pinned header run) + the one chunk in delivery.
            prop_assert!(
                lossless || s.held_bytes <= limit.max(s.pinned_bytes) + in_flight_size,
                "held {} > max({}, {}) + {}", s.held_bytes, limit, s.pinned_bytes, in_flight_size
            );
            prop_assert!(in_flight_size <= MAX_CHUNK);
            // Conservation: every pushed chunk is delivered, dropped, or still waiting.
            prop_assert_eq!(s.pushed_chunks, pushed.len() as u64);
            prop_assert_eq!(s.delivered_chunks, delivered.len() as u64);
            prop_assert_eq!(s.dropped_chunks, dropped.len() as u64);
            // (A chunk the caller gives up on, `abandon`, is its decision, not an eviction.)
            prop_assert!(!lossless || dropped.is_subset(&abandoned), "lossless: nothing evicted");
            let waiting = s.pending_chunks + in_flight.map(|_| 1).unwrap_or(0);
            prop_assert_eq!(s.delivered_chunks + s.dropped_chunks + waiting, s.pushed_chunks);
            prop_assert_eq!(
                s.delivered_bytes + s.dropped_bytes,
                delivered.iter().chain(dropped.iter()).map(|&q| pushed[q as usize]).sum::<u64>()
            );
        }
        // Delivered and dropped are disjoint, and delivered is strictly increasing.
        for d in &delivered { prop_assert!(!dropped.contains(d)); }
        prop_assert!(delivered.windows(2).all(|w| w[0] < w[1]));
        // The header run is never dropped (only abandon, i.e. unreadable, may lose it).
        match policy {
            HeaderPolicy::FirstChunk if !pushed.is_empty() && !explicit_unpinned.contains(&0) => {
                prop_assert!(!dropped.contains(&0) || pinned_ever.contains(&0));
            }
            HeaderPolicy::Scan => {
                if let Some(last) = header_closed_at {
                    for q in 0..=last {
                        if !explicit_unpinned.contains(&q) && (q as usize) < pushed.len() {
                            prop_assert!(!dropped.contains(&q) || pinned_ever.contains(&q), "header chunk {} dropped", q);
                        }
                    }
                }
            }
            _ => {}
        }
        // Every segment's header run (as the scan closed it) is flagged `isHeader` and
        // never evicted, even when a new segment began before it was delivered; what
        // follows it is not flagged once the run is known.
        if policy == HeaderPolicy::Scan {
            for &(seq, flagged, closed_then) in &taken_log {
                let (start, last, hinted) = segments[segment_of[seq as usize]];
                let Some(last) = last else { continue };
                if hinted { continue; }
                if seq <= last && seq - start < MAX_OPEN_HEADER_CHUNKS as u64 {
                    prop_assert!(flagged, "header chunk {} of segment at {} not flagged", seq, start);
                } else if seq > last && closed_then {
                    prop_assert!(!flagged, "chunk {} after the header run at {}..={} flagged", seq, start, last);
                }
            }
            for &(start, last, hinted) in &segments {
                let Some(last) = last else { continue };
                if hinted { continue; }
                for q in start..=last.min(start + MAX_OPEN_HEADER_CHUNKS as u64 - 1) {
                    prop_assert!(!dropped.contains(&q) || pinned_ever.contains(&q), "header chunk {} dropped", q);
                }
            }
        }
        // Clearing accounts for everything.
        if let Some((seq, _, _)) = in_flight.take() { ring.finish(seq); delivered.push(seq); }
        ring.clear();
        let s = ring.stats();
        prop_assert_eq!(s.delivered_chunks + s.dropped_chunks, s.pushed_chunks);
        prop_assert_eq!(s.held_bytes, 0);
    }

    #[test]
    fn keep_delivered_keeps_everything(sizes in prop::collection::vec(1u64..10_000, 1..200)) {
        let mut ring = ChunkRing::new(RingLimits { max_chunks: 1, max_bytes: 1024, keep_delivered: true , replay: false}, HeaderPolicy::Scan);
        for (i, &s) in sizes.iter().enumerate() {
            ring.push(i, s, None);
            if i % 3 == 0 {
                while let Some(t) = ring.take_next() { ring.finish(t.seq); }
            }
        }
        prop_assert_eq!(ring.items().copied().collect::<Vec<_>>(), (0..sizes.len()).collect::<Vec<_>>());
        prop_assert_eq!(ring.stats().dropped_chunks, 0);
    }
}

fn seq_item(i: usize) -> usize {
    i
}

/// A header chunk that is being delivered when the header closes stays pinned and is
/// never evicted, and the listener that subscribes late still gets the header first.
#[test]
fn late_consumer_gets_the_header_first() {
    let mut ring = ChunkRing::new(
        RingLimits {
            max_chunks: 1000,
            max_bytes: 10_000,
            keep_delivered: false,
            replay: false,
        },
        HeaderPolicy::Scan,
    );
    ring.push(0, 1, None); // Chromium's 1-byte first chunk
    ring.push(1, 4000, None);
    ring.close_header(1);
    for i in 2..50 {
        ring.push(i, 3000, None);
    }
    let s = ring.stats();
    assert_eq!(s.pinned_bytes, 4001);
    assert!(s.held_bytes <= 10_000);
    assert!(s.dropped_chunks > 0);
    let first = ring.take_next().unwrap();
    assert_eq!((first.seq, first.pinned), (0, true));
    ring.finish(0);
    let second = ring.take_next().unwrap();
    assert_eq!((second.seq, second.pinned), (1, true));
}
