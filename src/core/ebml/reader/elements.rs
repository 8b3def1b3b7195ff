//! What the elements mean: which masters the reader opens, which fields it reads,
//! and what it records when an element ends.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::{BlockHead, EbmlReader, Field, Frame, Master, State, TrackDraft, NEXT_ID};
use crate::core::ebml::{
    id, ClusterEntry, EbmlError, Keyframe, SegmentInfo, Track, TrackKind, MAX_FIELD_BYTES,
    MAX_TRACKS,
};

/// A SimpleBlock or Block header: track number (a VINT of at most 8 bytes), a 16-bit
/// relative timecode, a flags byte.
const BLOCK_HEADER_MAX: u64 = 8 + 2 + 1;
impl EbmlReader {
    /// The ID of the current element has been read.
    pub(super) fn on_id(&mut self, id: u32) -> Result<(), EbmlError> {
        let start = self.element;
        // An element of unknown size ends where an element that cannot be its child
        // begins (RFC 8794, section 6.2): for a Cluster, a Segment child or a top-level
        // element.
        if let Some(Frame {
            master: Master::Cluster,
            start: cluster,
            end: None,
        }) = self.top()
        {
            if ends_cluster(id) {
                self.depth = self.depth.saturating_sub(1);
                self.finish(Master::Cluster, cluster)?;
            }
        }
        match self.top() {
            None if !self.seen_ebml => {
                if id != id::EBML {
                    return Err(EbmlError::NotEbml { offset: start });
                }
                self.seen_ebml = true;
            }
            Some(Frame {
                master: Master::Segment,
                ..
            }) if id == id::CLUSTER => {
                if self.header_end.is_none() {
                    if self.pos > self.options.max_header_bytes {
                        return Err(EbmlError::HeaderTooLarge {
                            limit: self.options.max_header_bytes,
                        });
                    }
                    self.header_end = Some(start);
                }
                self.clusters.push(ClusterEntry {
                    offset: start,
                    timecode: None,
                    timecode_end: None,
                    keyframe: None,
                });
            }
            Some(Frame { end: Some(end), .. }) if self.pos > end => {
                return Err(EbmlError::Overrun { offset: start, id });
            }
            _ => {}
        }
        self.state = State::Size {
            id,
            value: 0,
            len: 0,
            got: 0,
            all_ones: false,
        };
        Ok(())
    }

    /// The size of the current element has been read: decide what to do with its body.
    pub(super) fn on_size(&mut self, id: u32, size: Option<u64>) -> Result<(), EbmlError> {
        let start = self.element;
        let end = match size {
            Some(size) => Some(
                self.pos
                    .checked_add(size)
                    .ok_or(EbmlError::Overflow { offset: start })?,
            ),
            None => None,
        };
        let parent = self.top();
        if let Some(Frame {
            end: Some(parent_end),
            ..
        }) = parent
        {
            match end {
                None => return Err(EbmlError::UnknownSize { offset: start, id }),
                Some(end) if end > parent_end => {
                    return Err(EbmlError::Overrun { offset: start, id })
                }
                Some(_) => {}
            }
        }
        let metadata = self.options.metadata;
        match parent.map(|f| f.master) {
            None if id == id::SEGMENT => {
                self.segment = Some(SegmentInfo {
                    offset: start,
                    data_offset: self.pos,
                    size,
                });
                // Whatever its size says (MediaRecorder writes "unknown"), everything
                // after the Segment's start is read as its children.
                self.open(id, Master::Segment, None)
            }
            Some(Master::Segment) => match id {
                id::CLUSTER => self.open(id, Master::Cluster, end),
                id::INFO if metadata && self.info.is_none() => {
                    let end = self.known_header_end(id, end)?;
                    self.info = Some(start..end);
                    self.open(id, Master::Info, Some(end))
                }
                id::TRACKS if metadata && self.tracks_range.is_none() => {
                    let end = self.known_header_end(id, end)?;
                    self.tracks_range = Some(start..end);
                    self.open(id, Master::Tracks, Some(end))
                }
                _ => self.skip(id, end),
            },
            Some(Master::Info) if id == id::TIMECODE_SCALE => self.uint(id, size),
            Some(Master::Tracks) if id == id::TRACK_ENTRY => {
                if self.tracks.len() >= MAX_TRACKS {
                    return Err(EbmlError::TooManyTracks { offset: start });
                }
                self.draft = TrackDraft::default();
                self.open(id, Master::TrackEntry, end)
            }
            Some(Master::TrackEntry) => match id {
                id::TRACK_NUMBER | id::TRACK_TYPE => self.uint(id, size),
                id::CODEC_ID => match size {
                    Some(size) if size <= MAX_FIELD_BYTES as u64 => {
                        self.collect(Field::CodecId, size as usize, 0)
                    }
                    _ => Err(EbmlError::TooLarge { offset: start, id }),
                },
                _ => self.skip(id, end),
            },
            Some(Master::Cluster) => match id {
                id::TIMECODE => self.uint(id, size),
                id::SIMPLE_BLOCK => self.block(true, size),
                id::BLOCK_GROUP => {
                    self.group_block = None;
                    self.group_has_reference = false;
                    self.open(id, Master::BlockGroup, end)
                }
                _ => self.skip(id, end),
            },
            Some(Master::BlockGroup) => match id {
                id::BLOCK => self.block(false, size),
                id::REFERENCE_BLOCK => {
                    self.group_has_reference = true;
                    self.skip(id, end)
                }
                _ => self.skip(id, end),
            },
            _ => self.skip(id, end),
        }
    }

    /// Opens a master element; its children follow. An empty one closes at once.
    fn open(&mut self, id: u32, master: Master, end: Option<u64>) -> Result<(), EbmlError> {
        let start = self.element;
        if end.is_none() && !matches!(master, Master::Segment | Master::Cluster) {
            return Err(EbmlError::UnknownSize { offset: start, id });
        }
        // The dispatch opens at most MAX_DEPTH levels; running out would be a reader
        // bug, reported as an overrun rather than a panic.
        let slot = self
            .frames
            .get_mut(self.depth)
            .ok_or(EbmlError::Overrun { offset: start, id })?;
        *slot = Frame { master, start, end };
        self.depth = self.depth.saturating_add(1);
        self.state = NEXT_ID;
        self.close_finished()
    }

    /// The end of a header element, which must be known and within the header bound.
    fn known_header_end(&self, id: u32, end: Option<u64>) -> Result<u64, EbmlError> {
        let end = end.ok_or(EbmlError::UnknownSize {
            offset: self.element,
            id,
        })?;
        if self.header_end.is_none() && end > self.options.max_header_bytes {
            return Err(EbmlError::HeaderTooLarge {
                limit: self.options.max_header_bytes,
            });
        }
        Ok(end)
    }

    /// Skips the current element's body.
    fn skip(&mut self, id: u32, end: Option<u64>) -> Result<(), EbmlError> {
        let end = self.known_header_end(id, end)?;
        self.skip_body(end.saturating_sub(self.pos))
    }

    pub(super) fn skip_body(&mut self, left: u64) -> Result<(), EbmlError> {
        if left == 0 {
            self.complete()
        } else {
            self.state = State::Skip { left };
            Ok(())
        }
    }

    /// Reads the current element's body as an unsigned integer (at most 8 bytes).
    fn uint(&mut self, id: u32, size: Option<u64>) -> Result<(), EbmlError> {
        let offset = self.element;
        match size {
            None => Err(EbmlError::UnknownSize { offset, id }),
            // An empty unsigned integer is 0 (RFC 8794, section 7.2).
            Some(0) => {
                self.on_uint(id, 0)?;
                self.complete()
            }
            Some(size @ 1..=8) => {
                self.state = State::Uint {
                    id,
                    value: 0,
                    left: size as u8,
                };
                Ok(())
            }
            Some(_) => Err(EbmlError::TooLarge { offset, id }),
        }
    }

    /// Reads a SimpleBlock's or Block's header, then skips its frames.
    fn block(&mut self, simple: bool, size: Option<u64>) -> Result<(), EbmlError> {
        let offset = self.element;
        let size = size.ok_or(EbmlError::UnknownSize {
            offset,
            id: if simple { id::SIMPLE_BLOCK } else { id::BLOCK },
        })?;
        // The shortest header: a 1-byte track number, the timecode, the flags.
        if size < 4 {
            return Err(EbmlError::InvalidBlock { offset });
        }
        let need = size.min(BLOCK_HEADER_MAX);
        self.collect(
            Field::Block { simple },
            need as usize,
            size.saturating_sub(need),
        )
    }

    fn collect(&mut self, field: Field, need: usize, then_skip: u64) -> Result<(), EbmlError> {
        self.scratch_len = 0;
        if need == 0 {
            self.on_field(field)?;
            return self.skip_body(then_skip);
        }
        self.state = State::Collect {
            field,
            need,
            then_skip,
        };
        Ok(())
    }

    pub(super) fn on_uint(&mut self, id: u32, value: u64) -> Result<(), EbmlError> {
        let offset = self.element;
        match id {
            id::TIMECODE_SCALE => {
                if value == 0 {
                    return Err(EbmlError::InvalidValue { offset, id });
                }
                self.timecode_scale = value;
            }
            id::TRACK_NUMBER => self.draft.number = Some(value),
            id::TRACK_TYPE => self.draft.kind = Some(value),
            id::TIMECODE => {
                let cluster = self
                    .clusters
                    .last_mut()
                    .ok_or(EbmlError::MissingTimecode { offset })?;
                if cluster.timecode.is_some() {
                    return Err(EbmlError::Duplicate { offset, id });
                }
                cluster.timecode = Some(value);
                cluster.timecode_end = Some(self.pos);
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn on_field(&mut self, field: Field) -> Result<(), EbmlError> {
        let offset = self.element;
        let bytes = self.scratch.get(..self.scratch_len).unwrap_or_default();
        match field {
            Field::CodecId => {
                // EBML strings may be padded with zero bytes.
                let text = match bytes.iter().position(|&b| b == 0) {
                    Some(nul) => bytes.get(..nul).unwrap_or_default(),
                    None => bytes,
                };
                let text = std::str::from_utf8(text).map_err(|_| EbmlError::InvalidValue {
                    offset,
                    id: id::CODEC_ID,
                })?;
                self.draft.codec_id = text.to_string();
            }
            Field::Block { simple } => {
                let head = parse_block_head(bytes, simple, offset)
                    .ok_or(EbmlError::InvalidBlock { offset })?;
                if simple {
                    self.simple_block = Some(head);
                } else if self.group_block.is_some() {
                    return Err(EbmlError::Duplicate {
                        offset,
                        id: id::BLOCK,
                    });
                } else {
                    self.group_block = Some(head);
                }
            }
        }
        Ok(())
    }

    /// The current element's body has been read to its end.
    pub(super) fn complete(&mut self) -> Result<(), EbmlError> {
        self.state = NEXT_ID;
        if let Some(head) = self.simple_block.take() {
            self.commit_block(head, head.key)?;
        }
        self.close_finished()
    }

    /// Closes the masters that end at the current offset, innermost first.
    fn close_finished(&mut self) -> Result<(), EbmlError> {
        while let Some(frame) = self.top() {
            if frame.end != Some(self.pos) {
                break;
            }
            self.depth = self.depth.saturating_sub(1);
            self.finish(frame.master, frame.start)?;
        }
        Ok(())
    }

    /// A master element starting at `start` has ended.
    fn finish(&mut self, master: Master, start: u64) -> Result<(), EbmlError> {
        match master {
            Master::TrackEntry => {
                let draft = std::mem::take(&mut self.draft);
                let (Some(number @ 1..), Some(kind)) = (draft.number, draft.kind) else {
                    return Err(EbmlError::InvalidValue {
                        offset: start,
                        id: id::TRACK_ENTRY,
                    });
                };
                if self.tracks.iter().any(|t| t.number == number) {
                    return Err(EbmlError::Duplicate {
                        offset: start,
                        id: id::TRACK_NUMBER,
                    });
                }
                self.tracks.push(Track {
                    number,
                    kind: match kind {
                        1 => TrackKind::Video,
                        2 => TrackKind::Audio,
                        other => TrackKind::Other(other),
                    },
                    codec_id: draft.codec_id,
                    blocks: 0,
                });
            }
            Master::BlockGroup => {
                // Without a ReferenceBlock, a Block is a keyframe (Matroska, BlockGroup).
                let head = self
                    .group_block
                    .take()
                    .ok_or(EbmlError::InvalidBlock { offset: start })?;
                self.commit_block(head, !self.group_has_reference)?;
            }
            Master::Cluster => {
                if let Some(ClusterEntry { timecode: None, .. }) = self.clusters.last() {
                    return Err(EbmlError::MissingTimecode { offset: start });
                }
            }
            Master::Segment | Master::Info | Master::Tracks => {}
        }
        Ok(())
    }

    /// A whole block has been read (it ends at the current offset).
    fn commit_block(&mut self, head: BlockHead, key: bool) -> Result<(), EbmlError> {
        let missing = EbmlError::MissingTimecode {
            offset: head.offset,
        };
        let cluster = self.clusters.last_mut().ok_or(missing)?;
        let base = cluster.timecode.ok_or(missing)?;
        let timecode = i64::try_from(base)
            .ok()
            .and_then(|base| base.checked_add(i64::from(head.relative)))
            .ok_or(EbmlError::Overflow {
                offset: head.offset,
            })?;
        self.max_timecode = Some(self.max_timecode.map_or(timecode, |m| m.max(timecode)));
        self.last_block_end = Some(self.pos);
        self.blocks = self.blocks.saturating_add(1);
        let video = match self.tracks.iter_mut().find(|t| t.number == head.track) {
            Some(track) => {
                track.blocks = track.blocks.saturating_add(1);
                track.kind == TrackKind::Video
            }
            None => false,
        };
        if key && video && cluster.keyframe.is_none() {
            cluster.keyframe = Some(Keyframe {
                track: head.track,
                timecode,
            });
        }
        Ok(())
    }

    /// The header must end within the bound: fail once the bound is passed without it.
    pub(super) fn check_header_limit(&self) -> Result<(), EbmlError> {
        if self.header_end.is_none() && self.pos >= self.options.max_header_bytes {
            return Err(EbmlError::HeaderTooLarge {
                limit: self.options.max_header_bytes,
            });
        }
        Ok(())
    }
}

/// IDs that end a Cluster of unknown size: the Segment's other children and the
/// top-level elements.
fn ends_cluster(id: u32) -> bool {
    matches!(
        id,
        id::CLUSTER
            | id::CUES
            | id::SEEK_HEAD
            | id::INFO
            | id::TRACKS
            | id::TAGS
            | id::CHAPTERS
            | id::ATTACHMENTS
            | id::EBML
            | id::SEGMENT
    )
}

/// Reads a block header: track number (VINT), relative timecode (big-endian i16), flags.
fn parse_block_head(bytes: &[u8], simple: bool, offset: u64) -> Option<BlockHead> {
    let first = *bytes.first()?;
    if first == 0 {
        return None;
    }
    let len = (first.leading_zeros() as usize).saturating_add(1);
    let mask = 0xFFu8.checked_shr(len as u32).unwrap_or(0);
    let track = bytes
        .get(1..len)?
        .iter()
        .fold(u64::from(first & mask), |acc, &b| (acc << 8) | u64::from(b));
    let rest = bytes.get(len..len.checked_add(3)?)?;
    let (&hi, &lo, &flags) = (rest.first()?, rest.get(1)?, rest.get(2)?);
    Some(BlockHead {
        track,
        relative: i16::from_be_bytes([hi, lo]),
        // SimpleBlock flags bit 0x80: keyframe. A Block's bit is reserved; its group
        // decides.
        key: simple && flags & 0x80 != 0,
        offset,
    })
}
