//! Unit tests of [`super`] (private items), kept apart so the module reads short.
use super::*;

fn limits(max_chunks: usize, max_bytes: u64) -> RingLimits {
    RingLimits {
        max_chunks,
        max_bytes,
        keep_delivered: false,
        replay: false,
    }
}

#[test]
fn delivers_in_order_and_releases() {
    let mut r = ChunkRing::new(limits(10, 1000), HeaderPolicy::FirstChunk);
    for i in 0..3u64 {
        r.push(i, 10, None);
    }
    let mut got = vec![];
    while let Some(t) = r.take_next() {
        got.push(t.seq);
        r.finish(t.seq);
    }
    assert_eq!(got, vec![0, 1, 2]);
    // Only the pinned header stays.
    assert_eq!(r.stats().held_chunks, 1);
    assert_eq!(r.stats().held_bytes, 10);
    assert_eq!(r.stats().delivered_chunks, 3);
}

#[test]
fn scan_policy_pins_until_closed() {
    let mut r = ChunkRing::new(limits(100, 50), HeaderPolicy::Scan);
    r.push(0, 1, None);
    r.push(1, 30, None);
    r.push(2, 30, None); // still a candidate: pinned
    assert_eq!(r.stats().pinned_bytes, 61);
    assert_eq!(r.stats().dropped_chunks, 0);
    let dropped = r.close_header(1);
    // Chunk 2 is unpinned; 61 > 50 so it is evicted.
    assert_eq!(dropped, vec![Dropped { seq: 2, size: 30 }]);
    assert_eq!(r.stats().pinned_bytes, 31);
    r.push(3, 10, None);
    assert_eq!(r.stats().pinned_bytes, 31);
}

#[test]
fn in_flight_chunk_is_not_evicted() {
    let mut r = ChunkRing::new(limits(100, 100), HeaderPolicy::None);
    r.push(0, 60, None);
    let t = r.take_next().unwrap();
    let (_, dropped) = r.push(1, 60, None);
    // 120 > 100: the in-flight chunk stays, the newest goes.
    assert_eq!(dropped, vec![Dropped { seq: 1, size: 60 }]);
    r.finish(t.seq);
    assert_eq!(r.stats().held_bytes, 0);
}

#[test]
fn untaken_chunk_comes_first_again() {
    let mut r = ChunkRing::new(limits(10, 1000), HeaderPolicy::None);
    r.push(0, 1, None);
    r.push(1, 1, None);
    let t = r.take_next().unwrap();
    r.untake(t.seq);
    assert_eq!(r.stats().pending_chunks, 2);
    assert_eq!(r.take_next().unwrap().seq, 0);
}

#[test]
fn keep_delivered_never_evicts() {
    let mut r = ChunkRing::new(
        RingLimits {
            max_chunks: 1,
            max_bytes: 1,
            keep_delivered: true,
            replay: false,
        },
        HeaderPolicy::FirstChunk,
    );
    for i in 0..10u64 {
        r.push(i, 100, None);
        let t = r.take_next().unwrap();
        r.finish(t.seq);
    }
    assert_eq!(r.items().count(), 10);
    assert_eq!(r.stats().dropped_chunks, 0);
}

#[test]
fn release_delivered_keeps_the_header_and_pending() {
    let mut r = ChunkRing::new(
        RingLimits {
            max_chunks: 100,
            max_bytes: 100,
            keep_delivered: true,
            replay: false,
        },
        HeaderPolicy::FirstChunk,
    );
    for i in 0..5u64 {
        r.push(i, 10, None);
    }
    for _ in 0..3 {
        let t = r.take_next().unwrap();
        r.finish(t.seq);
    }
    assert_eq!(r.release_delivered(), 20); // chunks 1 and 2; 0 is the header
    assert_eq!(r.stats().held_bytes, 30);
    assert!(!r.limits().keep_delivered);
}

#[test]
fn a_new_segment_pins_its_own_header() {
    let mut r = ChunkRing::new(limits(100, 10_000), HeaderPolicy::Scan);
    r.push(0, 1, None);
    r.push(1, 100, None);
    r.close_header(1);
    r.push(2, 50, None);
    while let Some(t) = r.take_next() {
        r.finish(t.seq);
    }
    assert_eq!(r.stats().pinned_bytes, 101);
    r.begin_segment();
    assert_eq!(r.stats().pinned_bytes, 0);
    assert_eq!(
        r.stats().held_bytes,
        0,
        "the old header is released once delivered"
    );
    r.push(3, 1, None);
    r.push(4, 80, None);
    assert!(r.header_open());
    r.close_header(4);
    assert_eq!(r.stats().pinned_bytes, 81);
}

#[test]
fn a_burst_while_the_header_is_open_pins_at_most_a_few_chunks() {
    let mut r = ChunkRing::new(limits(1000, 100), HeaderPolicy::Scan);
    for i in 0..50u64 {
        r.push(i, 10, None);
    }
    assert_eq!(r.stats().pinned_bytes, 10 * MAX_OPEN_HEADER_CHUNKS as u64);
    assert!(r.stats().held_bytes <= 100 + 10 * MAX_OPEN_HEADER_CHUNKS as u64);
    r.close_header(1);
    assert_eq!(r.stats().pinned_bytes, 20);
}

#[test]
fn runaway_open_header_is_capped() {
    let mut r = ChunkRing::new(limits(1000, 10), HeaderPolicy::Scan);
    for i in 0..5u64 {
        r.push(i, MAX_OPEN_HEADER_BYTES / 2, None);
    }
    assert!(!r.header_open());
    assert_eq!(r.stats().pinned_bytes, MAX_OPEN_HEADER_BYTES / 2);
}

#[test]
fn clear_counts_undelivered_as_dropped() {
    let mut r = ChunkRing::new(limits(10, 1000), HeaderPolicy::FirstChunk);
    r.push(0, 5, None);
    r.push(1, 5, None);
    let t = r.take_next().unwrap();
    r.finish(t.seq);
    let dropped = r.clear();
    assert_eq!(dropped, vec![Dropped { seq: 1, size: 5 }]);
    let s = r.stats();
    assert_eq!(s.delivered_chunks + s.dropped_chunks, s.pushed_chunks);
    assert_eq!(s.held_bytes, 0);
}

#[test]
fn replay_keeps_delivered_chunks_within_the_budget_and_evicts_them_first_without_drops() {
    let mut r = ChunkRing::new(
        RingLimits {
            max_chunks: 100,
            max_bytes: 500,
            keep_delivered: false,
            replay: true,
        },
        HeaderPolicy::FirstChunk,
    );
    // Delivered as they come: the window slides, nothing is a drop.
    for i in 0..20u64 {
        r.push(i, 100, None);
        let t = r.take_next().unwrap();
        r.finish(t.seq);
    }
    let held: Vec<u64> = r.items().copied().collect();
    assert_eq!(
        held,
        vec![0, 16, 17, 18, 19],
        "the header and the newest that fit"
    );
    assert_eq!(r.stats().held_bytes, 500);
    assert_eq!(r.stats().dropped_chunks, 0);
    // A consumer that stops: delivered chunks make room before pending ones are dropped.
    r.push(20, 100, None);
    r.push(21, 100, None);
    assert_eq!(r.stats().dropped_chunks, 0);
    let held: Vec<u64> = r.items().copied().collect();
    assert_eq!(held, vec![0, 18, 19, 20, 21]);
    for i in 22..26u64 {
        r.push(i, 100, None);
    }
    // Now only pending chunks are left to evict: those are drops.
    assert!(r.stats().dropped_chunks > 0);
    assert!(r.stats().held_bytes <= 500);
}
