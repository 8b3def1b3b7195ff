//! The MP4 box cursor (`core::mp4::cursor`), shared by the header scan's walker and the
//! index: 32- and 64-bit sizes, size 0, headers cut short, boxes that claim more bytes
//! than there are or fewer than their own header; the same walk whatever the chunk
//! edges; and (property tests) no box it yields reaches past the bytes that hold it.
#![cfg(not(target_arch = "wasm32"))]

use media_recorder_producer::core::mp4::cursor::{
    children, BoxCursor, BoxHeader, BoxSize, Child, Head, Step,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend(kind);
    v.extend(body);
    v
}

fn boxed64(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 1];
    v.extend(kind);
    v.extend((body.len() as u64 + 16).to_be_bytes());
    v.extend(body);
    v
}

/// A box as a streaming walk saw it.
#[derive(Debug, PartialEq)]
struct Seen {
    start: u64,
    kind: [u8; 4],
    /// `None`: a size it cannot walk past.
    size: Option<u64>,
    /// The body bytes handed on.
    body: Vec<u8>,
    /// The last of them came with "the box ends here".
    ended: bool,
}

fn seen(start: u64, kind: &[u8; 4], size: Option<u64>, body: &[u8], ended: bool) -> Seen {
    Seen {
        start,
        kind: *kind,
        size,
        body: body.to_vec(),
        ended,
    }
}

/// What a streaming walk saw, and whether the cursor stopped.
#[derive(Debug, Default, PartialEq)]
struct Walk {
    boxes: Vec<Seen>,
    stopped: bool,
}

fn walk(chunks: &[&[u8]]) -> Walk {
    let mut c = BoxCursor::default();
    let mut w = Walk::default();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let Some((taken, step)) = c.step(rest) else {
                w.stopped = true;
                break;
            };
            assert!(taken >= 1 && taken <= rest.len(), "takes what it was given");
            match step {
                Step::Head(_) => assert_eq!(taken, 1),
                Step::Header(h) => {
                    assert_eq!(taken, 1);
                    w.boxes.push(seen(c.start(), &h.kind, h.size(), &[], false));
                }
                Step::Body(body, last) => {
                    assert_eq!(body, &rest[..taken]);
                    let b = w.boxes.last_mut().expect("a body after a header");
                    b.body.extend(body);
                    b.ended = last;
                }
            }
            rest = &rest[taken..];
        }
    }
    w
}

fn sample() -> Vec<u8> {
    let mut v = boxed(b"ftyp", b"isom\0\0\0\0");
    v.extend(boxed64(b"free", &[7; 5]));
    v.extend(boxed(b"moov", &boxed(b"trak", b"moof")));
    v.extend(boxed(b"skip", b""));
    v.extend(boxed(b"mdat", &[1, 2, 3]));
    v
}

#[test]
fn reads_32_and_64_bit_headers() {
    let b = sample();
    let w = walk(&[&b]);
    let found: Vec<_> = w
        .boxes
        .iter()
        .map(|x| (x.start, x.kind, x.size, x.ended))
        .collect();
    assert_eq!(
        found,
        [
            (0, *b"ftyp", Some(16), true),
            (16, *b"free", Some(21), true),
            (37, *b"moov", Some(20), true),
            (57, *b"skip", Some(8), false), // no body: it ends with its header
            (65, *b"mdat", Some(11), true),
        ]
    );
    assert_eq!(w.boxes[1].body, [7; 5]);
    assert!(!w.stopped);
    // A 64-bit header: the type at its 8th byte, the size at its 16th.
    let mut c = BoxCursor::default();
    let h = boxed64(b"moof", b"");
    for (i, byte) in h.iter().enumerate() {
        let (_, step) = c.step(std::slice::from_ref(byte)).unwrap();
        match i {
            0..=6 => assert_eq!(step, Step::Head(None)),
            7..=14 => assert_eq!(step, Step::Head(Some(*b"moof"))),
            _ => match step {
                Step::Header(h) => {
                    assert_eq!(
                        (h.kind, h.size, h.len),
                        (*b"moof", BoxSize::Declared(16), 16)
                    );
                    assert_eq!(c.head(), &boxed64(b"moof", b"")[..]);
                }
                s => panic!("{s:?}"),
            },
        }
    }
}

#[test]
fn every_split_walks_the_same() {
    let b = sample();
    let whole = walk(&[&b]);
    for cut in 0..=b.len() {
        for cut2 in cut..=b.len() {
            let w = walk(&[&b[..cut], &b[cut..cut2], &b[cut2..]]);
            assert_eq!(w, whole, "cuts at {cut}, {cut2}");
        }
    }
    let bytes: Vec<&[u8]> = b.chunks(1).collect();
    assert_eq!(walk(&bytes), whole, "byte by byte");
}

#[test]
fn a_box_that_claims_more_than_there_is() {
    // Streaming: the body is handed on as it comes, never more than arrived, and the
    // box does not end.
    let mut b = vec![0, 0, 0, 100, b'm', b'd', b'a', b't'];
    b.extend([9; 10]);
    let w = walk(&[&b[..12], &b[12..]]);
    assert_eq!(w.boxes, [seen(0, b"mdat", Some(100), &[9; 10], false)]);
    // A huge 64-bit size: the same, without overflow.
    let mut b = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
    b.extend(u64::MAX.to_be_bytes());
    b.extend([9; 10]);
    let w = walk(&[&b]);
    assert_eq!(w.boxes, [seen(0, b"mdat", Some(u64::MAX), &[9; 10], false)]);
    // In memory: a child that does not fit its parent is not yielded, nor what follows.
    let mut body = boxed(b"tkhd", &[1; 4]);
    body.extend([0, 0, 0, 200, b'm', b'd', b'i', b'a', 0, 0]);
    let kinds: Vec<_> = children(&body, 0, body.len()).map(|c| c.kind).collect();
    assert_eq!(kinds, [*b"tkhd"]);
    // Nor one that fits the buffer but not the range asked for.
    let two = [boxed(b"aaaa", b""), boxed(b"bbbb", b"")].concat();
    assert_eq!(children(&two, 0, 12).count(), 1);
    assert_eq!(children(&two, 0, 16).count(), 2);
}

#[test]
fn size_zero_runs_to_the_end() {
    // In memory: to the end of the range.
    let mut b = boxed(b"free", b"");
    b.extend([0, 0, 0, 0, b'm', b'd', b'a', b't', 1, 2, 3]);
    let c: Vec<Child> = children(&b, 0, b.len()).collect();
    assert_eq!(
        c[1],
        Child {
            kind: *b"mdat",
            start: 8,
            body: 16,
            end: b.len()
        }
    );
    // A size-0 box must still hold its header.
    assert_eq!(children(&b, 8, 12).count(), 0);
    // Streaming, where the end is not known: the header is read, the cursor stops.
    let w = walk(&[&b]);
    assert_eq!(w.boxes.len(), 2);
    assert_eq!(w.boxes[1].size, None);
    assert!(w.stopped);
}

#[test]
fn sizes_smaller_than_their_header() {
    for bad in [
        vec![0, 0, 0, 7, b'f', b'r', b'e', b'e'],
        // 64-bit sizes below 16, 0 included (it is not "to the end").
        [
            vec![0, 0, 0, 1],
            b"free".to_vec(),
            15u64.to_be_bytes().to_vec(),
        ]
        .concat(),
        [
            vec![0, 0, 0, 1],
            b"free".to_vec(),
            0u64.to_be_bytes().to_vec(),
        ]
        .concat(),
    ] {
        let Head::Whole(h) = BoxHeader::read(&bad) else {
            panic!("{bad:?}")
        };
        assert_eq!(h.size(), None, "{bad:?}");
        assert_eq!(h.size_within(1 << 20), None, "{bad:?}");
        let mut b = bad.clone();
        b.extend([0; 32]);
        assert_eq!(children(&b, 0, b.len()).count(), 0, "{bad:?}");
        let w = walk(&[&b]);
        assert!(w.stopped && w.boxes.len() == 1, "{bad:?}");
    }
}

#[test]
fn headers_cut_short() {
    let h = boxed64(b"moov", b"");
    for n in 0..8 {
        assert_eq!(BoxHeader::read(&h[..n]), Head::Short, "{n} bytes");
    }
    for n in 8..16 {
        assert_eq!(BoxHeader::read(&h[..n]), Head::Kind(*b"moov"), "{n} bytes");
        assert_eq!(children(&h[..n], 0, n).count(), 0, "{n} bytes");
    }
    // Streaming: a header split over chunks is kept until its end arrives.
    let w = walk(&[&h[..3], &h[3..11], &h[11..]]);
    assert_eq!(w.boxes, [seen(0, b"moov", Some(16), &[], false)]);
    // Nothing to take: no step.
    assert_eq!(BoxCursor::default().step(&[]), None);
}

#[test]
fn next_moves_on_only_past_a_whole_box() {
    let b = boxed(b"free", &[1, 2]);
    let mut c = BoxCursor::default();
    for byte in &b[..9] {
        c.step(std::slice::from_ref(byte)).unwrap();
    }
    c.next();
    assert_eq!(c.start(), 0, "one byte of the body is still to come");
    c.step(&b[9..]).unwrap();
    assert_eq!(c.start(), 0, "the box just ended is still the current one");
    c.next();
    assert_eq!((c.start(), c.header()), (10, None));
}

/// Boxes one after another (32- or 64-bit sizes, now and then size 0), some bytes
/// then changed, cut anywhere.
fn boxy() -> impl Strategy<Value = Vec<u8>> {
    let one = (
        any::<[u8; 4]>(),
        proptest::collection::vec(any::<u8>(), 0..24),
        0u8..8,
    )
        .prop_map(|(kind, body, form)| match form {
            0 => [&[0, 0, 0, 0][..], &kind, &body].concat(),
            1 | 2 => boxed64(&kind, &body),
            _ => boxed(&kind, &body),
        });
    (
        proptest::collection::vec(one, 0..10),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(boxes, flips, cut)| {
            let mut b = boxes.concat();
            for (at, v) in flips {
                if !b.is_empty() {
                    let i = at.index(b.len());
                    b[i] = v;
                }
            }
            let keep = cut.index(b.len() + 1);
            b.truncate(keep.max(b.len() * 3 / 4));
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_seed: RngSeed::Fixed(0x26),
        ..ProptestConfig::default()
    })]

    /// A child is never yielded past the range that holds it: each lies in `from..to`,
    /// has an 8- or 16-byte header inside it, and starts where the one before ended.
    #[test]
    fn children_stay_within_their_parent(
        bytes in boxy(),
        from in 0usize..200,
        to in 0usize..200,
    ) {
        let mut at = from;
        for c in children(&bytes, from, to) {
            prop_assert_eq!(c.start, at);
            prop_assert!(c.body - c.start == 8 || c.body - c.start == 16);
            prop_assert!(c.body <= c.end && c.end <= to && c.end <= bytes.len());
            at = c.end;
        }
    }

    /// The streaming walk is the same whatever the chunk edges, takes every byte it is
    /// given until it stops, and never hands on more of a box than its size.
    #[test]
    fn streaming_is_the_same_at_any_split(
        bytes in boxy(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let whole = walk(&[&bytes]);
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for a in at.into_iter().chain([bytes.len()]) {
            chunks.push(&bytes[prev..a]);
            prev = a;
        }
        prop_assert_eq!(&walk(&chunks), &whole);
        let mut end = 0u64;
        for b in &whole.boxes {
            prop_assert_eq!(b.start, end, "boxes follow one another");
            if let Some(size) = b.size {
                prop_assert!(b.body.len() as u64 + 8 <= size);
                end = b.start.saturating_add(size);
            }
            prop_assert!(!b.ended || b.size.is_some());
        }
    }
}
