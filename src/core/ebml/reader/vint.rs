//! The byte-level walk: element IDs and sizes (VINTs), unsigned integer bodies,
//! buffered fields and skipped bodies, each read a byte (or a run) at a time.
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::{EbmlReader, State};
use crate::core::ebml::EbmlError;

impl EbmlReader {
    /// One step of the walk: reads at least one byte of `rest`.
    pub(super) fn step(&mut self, rest: &mut &[u8]) -> Result<(), EbmlError> {
        match self.state {
            State::Id { value, len, got } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let (value, len) = if got == 0 {
                    self.element = self.pos;
                    // The length is the count of leading zero bits plus one (RFC 8794, 5).
                    let len = byte.leading_zeros().saturating_add(1);
                    if len > 4 {
                        return Err(EbmlError::InvalidId { offset: self.pos });
                    }
                    (u32::from(byte), len as u8)
                } else {
                    ((value << 8) | u32::from(byte), len)
                };
                self.advance(1)?;
                let got = got.saturating_add(1);
                if got < len {
                    self.state = State::Id { value, len, got };
                    Ok(())
                } else {
                    self.on_id(value)
                }
            }
            State::Size {
                id,
                value,
                len,
                got,
                all_ones,
            } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let (value, len, all_ones) = if got == 0 {
                    if byte == 0 {
                        return Err(EbmlError::InvalidSize { offset: self.pos });
                    }
                    let len = byte.leading_zeros().saturating_add(1);
                    let mask = 0xFFu8.checked_shr(len).unwrap_or(0);
                    (u64::from(byte & mask), len as u8, byte & mask == mask)
                } else {
                    (
                        (value << 8) | u64::from(byte),
                        len,
                        all_ones && byte == 0xFF,
                    )
                };
                self.advance(1)?;
                let got = got.saturating_add(1);
                if got < len {
                    self.state = State::Size {
                        id,
                        value,
                        len,
                        got,
                        all_ones,
                    };
                    Ok(())
                } else {
                    // All value bits set means "unknown size".
                    self.on_size(id, (!all_ones).then_some(value))
                }
            }
            State::Uint { id, value, left } => {
                let Some((&byte, tail)) = rest.split_first() else {
                    return Ok(());
                };
                *rest = tail;
                let value = (value << 8) | u64::from(byte);
                self.advance(1)?;
                let left = left.saturating_sub(1);
                if left > 0 {
                    self.state = State::Uint { id, value, left };
                    Ok(())
                } else {
                    self.on_uint(id, value)?;
                    self.complete()
                }
            }
            State::Collect {
                field,
                need,
                then_skip,
            } => {
                let n = need.saturating_sub(self.scratch_len).min(rest.len());
                let (Some(head), Some(tail)) = (rest.get(..n), rest.get(n..)) else {
                    return Ok(());
                };
                let end = self.scratch_len.saturating_add(n);
                if let Some(slot) = self.scratch.get_mut(self.scratch_len..end) {
                    slot.copy_from_slice(head);
                }
                *rest = tail;
                self.scratch_len = end;
                self.advance(n as u64)?;
                if self.scratch_len < need {
                    return Ok(());
                }
                self.on_field(field)?;
                self.skip_body(then_skip)
            }
            State::Skip { left } => {
                let n = usize::try_from(left).map_or(rest.len(), |left| left.min(rest.len()));
                *rest = rest.get(n..).unwrap_or_default();
                self.advance(n as u64)?;
                self.skip_body(left.saturating_sub(n as u64))
            }
        }
    }

    fn advance(&mut self, n: u64) -> Result<(), EbmlError> {
        self.pos = self
            .pos
            .checked_add(n)
            .ok_or(EbmlError::Overflow { offset: self.pos })?;
        Ok(())
    }
}
