//! Unit tests of [`super`] (private items), kept apart so the module reads short.
use super::*;

/// EBML header, Segment (unknown size), Info, Tracks (video 1, audio 2).
fn header() -> Vec<u8> {
    let mut v = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80];
    v.extend([
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    v.extend([
        0x15, 0x49, 0xA9, 0x66, 0x87, 0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40,
    ]);
    let video = [
        0xAE, 0x8D, 0xD7, 0x81, 0x01, 0x83, 0x81, 0x01, 0x86, 0x85, b'V', b'_', b'V', b'P', b'8',
    ];
    let audio = [
        0xAE, 0x8E, 0xD7, 0x81, 0x02, 0x83, 0x81, 0x02, 0x86, 0x86, b'A', b'_', b'O', b'P', b'U',
        b'S',
    ];
    v.extend([
        0x16,
        0x54,
        0xAE,
        0x6B,
        0x80 | (video.len() + audio.len()) as u8,
    ]);
    v.extend(video);
    v.extend(audio);
    v
}

fn cluster_unknown(timecode: u8) -> Vec<u8> {
    vec![
        0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xE7, 0x81,
        timecode,
    ]
}

fn simple_block(track: u8, relative: i16, key: bool) -> Vec<u8> {
    let [hi, lo] = relative.to_be_bytes();
    vec![
        0xA3,
        0x85,
        0x80 | track,
        hi,
        lo,
        if key { 0x80 } else { 0 },
        0x55,
    ]
}

fn read_all(bytes: &[u8]) -> Result<EbmlReader, EbmlError> {
    let mut r = EbmlReader::new();
    r.feed(bytes)?;
    Ok(r)
}

#[test]
fn reads_tracks_and_clusters() {
    let mut b = header();
    let header_len = b.len() as u64;
    b.extend(cluster_unknown(0));
    b.extend(simple_block(2, 0, true));
    b.extend(simple_block(1, 3, true));
    b.extend(simple_block(1, 40, false));
    let second = b.len() as u64;
    b.extend(cluster_unknown(100));
    b.extend(simple_block(2, -1, true));
    b.extend(simple_block(1, 20, false));
    let r = read_all(&b).unwrap();
    assert_eq!(r.header_end(), Some(header_len));
    assert_eq!(r.tracks().len(), 2);
    assert_eq!(r.tracks()[0].kind, TrackKind::Video);
    assert_eq!(r.tracks()[1].codec_id, "A_OPUS");
    assert_eq!(r.tracks()[0].blocks, 3);
    assert_eq!(r.tracks()[1].blocks, 2);
    assert_eq!(
        r.clusters(),
        &[
            ClusterEntry {
                offset: header_len,
                timecode: Some(0),
                timecode_end: Some(header_len + 15),
                keyframe: Some(Keyframe {
                    track: 1,
                    timecode: 3
                })
            },
            ClusterEntry {
                offset: second,
                timecode: Some(100),
                timecode_end: Some(second + 15),
                keyframe: None
            }
        ]
    );
    assert_eq!(r.max_timecode(), Some(120));
    assert_eq!(r.last_block_end(), Some(b.len() as u64));
    assert_eq!(r.block_count(), 5);
}

#[test]
fn block_group_without_reference_is_a_keyframe() {
    let mut b = header();
    // Cluster of known size: Timecode 10, BlockGroup (key), BlockGroup (ReferenceBlock).
    let group = |reference: bool| {
        let mut g = vec![0xA1, 0x85, 0x81, 0x00, 0x02, 0x00, 0x99];
        if reference {
            g.extend([0xFB, 0x81, 0xFE]);
        }
        let mut v = vec![0xA0, 0x80 | g.len() as u8];
        v.extend(g);
        v
    };
    let mut body = vec![0xE7, 0x81, 10];
    body.extend(group(true));
    body.extend(group(false));
    let cluster_at = b.len() as u64;
    b.extend([0x1F, 0x43, 0xB6, 0x75, 0x80 | body.len() as u8]);
    b.extend(body);
    let r = read_all(&b).unwrap();
    assert_eq!(
        r.clusters(),
        &[ClusterEntry {
            offset: cluster_at,
            timecode: Some(10),
            timecode_end: Some(cluster_at + 8),
            keyframe: Some(Keyframe {
                track: 1,
                timecode: 12
            })
        }]
    );
    assert_eq!(r.block_count(), 2);
    assert_eq!(r.last_block_end(), Some(b.len() as u64));
}

#[test]
fn every_byte_split_reads_the_same() {
    let mut b = header();
    b.extend(cluster_unknown(0));
    b.extend(simple_block(1, 0, true));
    b.extend(cluster_unknown(50));
    b.extend(simple_block(2, 1, true));
    let whole = read_all(&b).unwrap();
    let mut r = EbmlReader::new();
    for byte in &b {
        r.feed(std::slice::from_ref(byte)).unwrap();
    }
    assert_eq!(r.clusters(), whole.clusters());
    assert_eq!(r.tracks(), whole.tracks());
    assert_eq!(r.max_timecode(), whole.max_timecode());
}

#[test]
fn errors_are_typed_and_sticky() {
    let mut r = EbmlReader::new();
    assert_eq!(
        r.feed(&[0x42, 0x86, 0x81, 0x01]),
        Err(EbmlError::NotEbml { offset: 0 })
    );
    assert_eq!(
        r.feed(&header()),
        Err(EbmlError::NotEbml { offset: 0 }),
        "stays failed"
    );
    assert_eq!(r.error(), Some(EbmlError::NotEbml { offset: 0 }));

    let mut b = header();
    b.extend(cluster_unknown(0));
    b.extend([0xA3, 0x82, 0x81, 0x00]);
    let at = b.len() as u64 - 4;
    assert_eq!(
        read_all(&b).err(),
        Some(EbmlError::InvalidBlock { offset: at })
    );

    let mut b = header();
    b.extend([
        0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let at = b.len() as u64;
    b.extend(simple_block(1, 0, true));
    assert_eq!(
        read_all(&b).err(),
        Some(EbmlError::MissingTimecode { offset: at })
    );

    // A size of 2^56 - 2 bytes on a header element: beyond the header bound.
    let mut b = vec![
        0x1A, 0x45, 0xDF, 0xA3, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    ];
    b.push(0);
    assert_eq!(
        read_all(&b).err(),
        Some(EbmlError::HeaderTooLarge {
            limit: DEFAULT_MAX_HEADER_BYTES
        })
    );
}

#[test]
fn unknown_size_only_on_segment_and_cluster() {
    let mut b = header();
    b.extend([0x12, 0x54, 0xC3, 0x67, 0xFF]);
    let at = header().len() as u64;
    assert_eq!(
        read_all(&b).err(),
        Some(EbmlError::UnknownSize {
            offset: at,
            id: id::TAGS
        })
    );
}

#[test]
fn child_overrunning_its_parent_fails() {
    // Info of 3 bytes holding a TimecodeScale that claims 3 bytes of body.
    let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80];
    b.extend([
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    b.extend([
        0x15, 0x49, 0xA9, 0x66, 0x83, 0x2A, 0xD7, 0xB1, 0x83, 1, 2, 3,
    ]);
    assert_eq!(
        read_all(&b).err(),
        Some(EbmlError::Overrun {
            offset: 22,
            id: id::TIMECODE_SCALE
        })
    );
}

#[test]
fn too_many_tracks() {
    let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80];
    b.extend([
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let mut entries = Vec::new();
    for n in 1..=(MAX_TRACKS as u8 + 1) {
        entries.extend([0xAE, 0x86, 0xD7, 0x81, n, 0x83, 0x81, 0x02]);
    }
    let len = entries.len() as u16;
    b.extend([0x16, 0x54, 0xAE, 0x6B, 0x40 | (len >> 8) as u8, len as u8]);
    b.extend(entries);
    assert!(matches!(
        read_all(&b).err(),
        Some(EbmlError::TooManyTracks { .. })
    ));
}

#[test]
fn messages_name_the_offset() {
    let e = EbmlError::Overrun {
        offset: 42,
        id: id::CLUSTER,
    };
    assert_eq!(
        e.to_string(),
        "element 0x1F43B675 at byte 42 runs past its parent"
    );
    assert_eq!(e.offset(), 42);
}
