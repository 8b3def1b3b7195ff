//! A seekable WebM from a MediaRecorder one, without copying its body.
//!
//! MediaRecorder's WebM (Chromium's and Firefox's) has a Segment of unknown size and no
//! Duration, SeekHead or Cues: players report `duration = Infinity` and cannot seek.
//! [`seekable`] takes the recording's header bytes and an [`EbmlReader`] that has read
//! the whole recording once, and writes a new header:
//!
//! ```text
//! EBML header             (copied)
//! Segment, unknown size   (as MediaRecorder wrote it: the Clusters' sizes are unknown)
//!   SeekHead              → Info, Tracks, Cues (8-byte positions)
//!   Info                  (copied, with Duration)
//!   Tracks                (copied)
//!   …                     (other header elements, copied; old SeekHead, Cues, Void dropped)
//!   Cues                  one CuePoint per Cluster that starts with a video keyframe
//! ```
//!
//! followed by the recording's own bytes from its first Cluster to the end of its last
//! complete block ([`Seekable::body`]), untouched. In the browser the file is
//! `new Blob([header, recording.slice(body.start, body.end)])`: the body never passes
//! through wasm or the JS heap again. Every position is written in a fixed width, so the
//! header is computed in one pass over the cluster index (ts-ebml's is quadratic).
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::ops::Range;

use super::writer::{self, elements};
use super::{id, EbmlError, EbmlReader, TrackKind};
use crate::core::container::{Part, Seekable, Snapshot};

/// Duration (in Info): a float, in TimecodeScale units.
pub const DURATION: u32 = 0x4489;
/// Void: padding.
pub const VOID: u32 = 0xEC;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;

/// One CuePoint: its time (TimecodeScale units), track, and the Cluster's offset
/// from the start of the body that follows the header.
type Cue = (u64, u64, u64);

/// The seekable header for a recording that `reader` has read whole, `head` being the
/// recording's first bytes (at least up to [`EbmlReader::header_end`]).
///
/// Errors name the byte at fault: the reader's own error if it failed, or
/// [`EbmlError::Missing`] when there is no header, no Tracks or no complete block.
pub fn seekable(head: &[u8], reader: &EbmlReader) -> Result<Seekable, EbmlError> {
    let (header_end, body_end) = bounds(reader)?;
    let video = reader.tracks().iter().any(|t| t.kind == TrackKind::Video);
    let points: Vec<Cue> = reader
        .clusters()
        .iter()
        .filter(|c| c.offset < body_end)
        .filter_map(|c| cue(reader, c, video, 0, c.offset.checked_sub(header_end)?))
        .collect();
    let duration = duration_units(reader, 0);
    let header = build_header(head, reader, &points, duration)?;
    Ok(Seekable {
        header,
        body: header_end..body_end,
        duration_ms: duration * reader.timecode_scale() as f64 / 1e6,
        cues: points.len(),
    })
}

/// The last `last_ms` milliseconds (all that is held, if `None` or if less is held) of a
/// recording that `reader` has read up to now, as a seekable file of its own, from the
/// bytes still `held` (recording offsets, a contiguous run to the end of what was
/// read). `head` is the recording's header (at least up to [`EbmlReader::header_end`]).
///
/// The clip starts at a Cluster that begins with a video keyframe (any Cluster for
/// audio only), the latest one at least `last_ms` before the end. Cluster Timecodes are
/// shifted so the clip starts at 0: each Cluster's start is rewritten (ID, unknown size,
/// Timecode) and the rest of it is referenced unchanged.
pub fn snapshot(
    head: &[u8],
    reader: &EbmlReader,
    held: Range<u64>,
    last_ms: Option<f64>,
) -> Result<Snapshot, EbmlError> {
    let (_, read_end) = bounds(reader)?;
    let end = read_end.min(held.end);
    let video = reader.tracks().iter().any(|t| t.kind == TrackKind::Video);
    let all = reader.clusters();
    // Clusters wholly held, with their Timecode read, that a player can start at.
    let starts: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.offset >= held.start
                && c.timecode_end.is_some_and(|t| t <= end)
                && c.timecode.is_some()
                && (c.keyframe.is_some() || !video)
        })
        .map(|(i, _)| i)
        .collect();
    let first = *starts.first().ok_or(EbmlError::Missing {
        id: id::CLUSTER,
        offset: held.start,
    })?;
    let time_of = |i: usize| -> u64 {
        all.get(i)
            .and_then(|c| {
                c.keyframe
                    .and_then(|k| u64::try_from(k.timecode).ok())
                    .or(c.timecode)
            })
            .unwrap_or(0)
    };
    let last_time = u64::try_from(reader.max_timecode().unwrap_or(0)).unwrap_or(0);
    let chosen = match last_ms {
        Some(ms) => {
            let window = (ms * 1e6 / reader.timecode_scale() as f64).max(0.0) as u64;
            let latest = last_time.saturating_sub(window);
            starts
                .iter()
                .rev()
                .find(|&&i| time_of(i) <= latest)
                .copied()
                .unwrap_or(first)
        }
        None => first,
    };
    let t0 = all.get(chosen).and_then(|c| c.timecode).unwrap_or(0);

    let mut parts = Vec::new();
    let mut points: Vec<Cue> = Vec::new();
    let mut rel = 0u64;
    let clusters = all.get(chosen..).unwrap_or(&[]);
    for (k, c) in clusters.iter().enumerate() {
        let (Some(tc), Some(tc_end)) = (c.timecode, c.timecode_end) else {
            break;
        };
        if c.offset >= end || tc_end > end {
            break;
        }
        let next = clusters
            .get(k.saturating_add(1))
            .map_or(end, |n| n.offset.min(end));
        if let Some(p) = cue(reader, c, video, t0, rel) {
            points.push(p);
        }
        let mut start = Vec::with_capacity(24);
        writer::id(&mut start, id::CLUSTER);
        start.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        writer::uint(&mut start, id::TIMECODE, tc.saturating_sub(t0));
        rel = rel
            .saturating_add(start.len() as u64)
            .saturating_add(next.saturating_sub(tc_end));
        parts.push(Part::Bytes(start));
        parts.push(Part::Range(tc_end..next.max(tc_end)));
    }
    let duration = duration_units(reader, t0);
    let header = build_header(head, reader, &points, duration)?;
    let ms = reader.timecode_scale() as f64 / 1e6;
    Ok(Snapshot {
        header,
        parts,
        start_ms: t0 as f64 * ms,
        duration_ms: duration * ms,
        cues: points.len(),
    })
}

/// Where the header ends and where the last complete block ends.
fn bounds(reader: &EbmlReader) -> Result<(u64, u64), EbmlError> {
    if let Some(e) = reader.error() {
        return Err(e);
    }
    let missing = |id: u32| EbmlError::Missing {
        id,
        offset: reader.offset(),
    };
    let header_end = reader.header_end().ok_or(missing(id::CLUSTER))?;
    let body_end = reader.last_block_end().ok_or(missing(id::SIMPLE_BLOCK))?;
    Ok((header_end, body_end))
}

/// The CuePoint for Cluster `c` at body offset `rel`, times shifted by `t0`: its first
/// video keyframe, or (no video track) its start.
fn cue(
    reader: &EbmlReader,
    c: &super::ClusterEntry,
    video: bool,
    t0: u64,
    rel: u64,
) -> Option<Cue> {
    match c.keyframe {
        Some(k) => Some((
            u64::try_from(k.timecode).ok()?.checked_sub(t0)?,
            k.track,
            rel,
        )),
        None if !video => {
            let track = reader.tracks().first().map_or(1, |t| t.number);
            Some((c.timecode?.checked_sub(t0)?, track, rel))
        }
        None => None,
    }
}

/// The Duration (TimecodeScale units) of a file whose time starts at the recording's
/// `shift`: the last block's time minus `shift`, plus one frame (the mean block spacing
/// of the video track over the recording, else of all blocks).
fn duration_units(reader: &EbmlReader, shift: u64) -> f64 {
    let first_time = reader
        .clusters()
        .iter()
        .find_map(|c| c.timecode)
        .unwrap_or(0) as f64;
    let last_time = reader.max_timecode().unwrap_or(0) as f64;
    let video = reader.tracks().iter().find(|t| t.kind == TrackKind::Video);
    let blocks = video.map_or(reader.block_count(), |t| t.blocks);
    let frame = if blocks > 1 {
        (last_time - first_time).max(0.0) / (blocks.saturating_sub(1)) as f64
    } else {
        0.0
    };
    (last_time - shift as f64 + frame).max(0.0)
}

/// The new header: EBML header, Segment start, SeekHead, Info (with `duration`),
/// Tracks, the other header elements, and Cues for `points`.
fn build_header(
    head: &[u8],
    reader: &EbmlReader,
    points: &[Cue],
    duration: f64,
) -> Result<Vec<u8>, EbmlError> {
    let end = reader.offset();
    let missing = |id: u32| EbmlError::Missing { id, offset: end };
    let segment = reader.segment().ok_or(missing(id::SEGMENT))?;
    let header_end = reader.header_end().ok_or(missing(id::CLUSTER))?;
    let to_usize = |v: u64| usize::try_from(v).map_err(|_| EbmlError::Overflow { offset: v });
    let (seg_at, data_at, head_end) = (
        to_usize(segment.offset)?,
        to_usize(segment.data_offset)?,
        to_usize(header_end)?,
    );
    let ebml_header = head.get(..seg_at).ok_or(missing(id::EBML))?;
    let children = head.get(data_at..head_end).ok_or(missing(id::CLUSTER))?;

    // The Segment's children before the first Cluster.
    let (found, _) = elements(children);
    let mut info = None;
    let mut tracks = None;
    let mut others = Vec::new();
    for e in &found {
        let bytes = children.get(e.whole.clone()).unwrap_or(&[]);
        match e.id {
            id::INFO => info = Some(e),
            id::TRACKS => tracks = Some(bytes),
            id::SEEK_HEAD | id::CUES | VOID => {}
            _ => others.extend_from_slice(bytes),
        }
    }
    let info = info.ok_or(missing(id::INFO))?;
    let tracks = tracks.ok_or(missing(id::TRACKS))?;

    // Info, with our Duration in place of any other.
    let inner = children.get(info.body.clone()).unwrap_or(&[]);
    let mut info_body = Vec::with_capacity(inner.len().saturating_add(11));
    let (info_children, _) = elements(inner);
    for c in info_children.iter().filter(|c| c.id != DURATION) {
        info_body.extend_from_slice(inner.get(c.whole.clone()).unwrap_or(&[]));
    }
    writer::float(&mut info_body, DURATION, duration);
    let mut new_info = Vec::with_capacity(info_body.len().saturating_add(12));
    writer::master(&mut new_info, id::INFO, &info_body);

    // Cues: positions are fixed-width, so their size does not depend on where the
    // Clusters land; write them once with the positions relative to the body, then
    // once more shifted by the header's size.
    let cues_for = |shift: u64| -> Result<Vec<u8>, EbmlError> {
        let mut body = Vec::with_capacity(points.len().saturating_mul(24));
        let mut point = Vec::with_capacity(24);
        let mut positions = Vec::with_capacity(16);
        for &(time, track, rel) in points {
            positions.clear();
            writer::uint(&mut positions, CUE_TRACK, track);
            let at = rel
                .checked_add(shift)
                .ok_or(EbmlError::Overflow { offset: rel })?;
            writer::uint8(&mut positions, CUE_CLUSTER_POSITION, at);
            point.clear();
            writer::uint(&mut point, CUE_TIME, time);
            writer::master(&mut point, CUE_TRACK_POSITIONS, &positions);
            writer::master(&mut body, CUE_POINT, &point);
        }
        let mut out = Vec::with_capacity(body.len().saturating_add(12));
        writer::master(&mut out, id::CUES, &body);
        Ok(out)
    };
    let seek_head = |info_at: u64, tracks_at: u64, cues_at: u64| {
        let mut body = Vec::with_capacity(3 * 24);
        for (target, at) in [
            (id::INFO, info_at),
            (id::TRACKS, tracks_at),
            (id::CUES, cues_at),
        ] {
            let mut seek = Vec::with_capacity(24);
            let mut target_id = Vec::with_capacity(4);
            writer::id(&mut target_id, target);
            writer::master(&mut seek, SEEK_ID, &target_id);
            writer::uint8(&mut seek, SEEK_POSITION, at);
            writer::master(&mut body, SEEK, &seek);
        }
        let mut out = Vec::with_capacity(body.len().saturating_add(8));
        writer::master(&mut out, id::SEEK_HEAD, &body);
        out
    };

    // Sizes first (every position is fixed-width), then the bytes.
    let len = |v: &[u8]| v.len() as u64;
    let seek_len = len(&seek_head(0, 0, 0));
    let info_at = seek_len;
    let tracks_at = info_at.saturating_add(len(&new_info));
    let others_at = tracks_at.saturating_add(len(tracks));
    let cues_at = others_at.saturating_add(len(&others));
    let cues_len = len(&cues_for(0)?);
    let body_at = cues_at.saturating_add(cues_len);
    let cues = cues_for(body_at)?;

    let mut header = Vec::with_capacity(
        ebml_header
            .len()
            .saturating_add(12)
            .saturating_add(usize::try_from(body_at).unwrap_or(0)),
    );
    header.extend_from_slice(ebml_header);
    writer::id(&mut header, id::SEGMENT);
    // The Segment keeps MediaRecorder's "unknown" size: its Clusters have unknown sizes
    // too, and an unknown-size child inside a known-size parent is an error to FFmpeg.
    // Players find Info, Tracks and Cues through the SeekHead; the Segment ends with
    // the file.
    header.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    header.extend_from_slice(&seek_head(info_at, tracks_at, cues_at));
    header.extend_from_slice(&new_info);
    header.extend_from_slice(tracks);
    header.extend_from_slice(&others);
    header.extend_from_slice(&cues);
    Ok(header)
}
