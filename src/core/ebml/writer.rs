//! The few EBML writing primitives the seekable header needs, and a walk over the
//! elements of an in-memory byte run (the header: at most
//! [`ReaderOptions::max_header_bytes`](super::ReaderOptions::max_header_bytes)).
#![deny(missing_docs)]
// No arithmetic or indexing that could panic on hostile bytes (clippy enforces it).
#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use std::ops::Range;

/// Appends an element ID (its bytes as written, marker bits kept).
pub fn id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8) as usize;
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&bytes));
}

/// Appends a size in the fewest bytes (RFC 8794, 6.1: the all-ones value of each length
/// is reserved for "unknown", so a length holds at most 2^(7n) − 2).
pub fn size(out: &mut Vec<u8>, value: u64) {
    let mut len = 1u32;
    while len < 8 && value >= (1u64 << len.wrapping_mul(7)).wrapping_sub(1) {
        len = len.wrapping_add(1);
    }
    sized(out, value, len);
}

/// Appends a size in exactly 8 bytes (for values patched or computed later).
pub fn size8(out: &mut Vec<u8>, value: u64) {
    sized(out, value, 8);
}

fn sized(out: &mut Vec<u8>, value: u64, len: u32) {
    // The length marker is the bit just above the value's 7·len bits (len ≤ 8; sizes
    // here stay far below 2^56 − 1, the most 8 bytes hold).
    let value = value.min((1u64 << 56).wrapping_sub(2));
    let marked = value | (1u64 << len.wrapping_mul(7));
    let bytes = marked.to_be_bytes();
    out.extend_from_slice(
        bytes
            .get(8usize.saturating_sub(len as usize)..)
            .unwrap_or(&bytes),
    );
}

/// Appends an unsigned integer element in the fewest bytes (at least one).
pub fn uint(out: &mut Vec<u8>, element: u32, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = ((value.leading_zeros() / 8) as usize).min(7);
    let body = bytes.get(skip..).unwrap_or(&bytes);
    id(out, element);
    size(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// Appends an unsigned integer element in exactly 8 bytes (its size is then known
/// before its value).
pub fn uint8(out: &mut Vec<u8>, element: u32, value: u64) {
    id(out, element);
    size(out, 8);
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends a 64-bit float element.
pub fn float(out: &mut Vec<u8>, element: u32, value: f64) {
    id(out, element);
    size(out, 8);
    out.extend_from_slice(&value.to_bits().to_be_bytes());
}

/// Appends a master element: its ID, its size, then `body`.
pub fn master(out: &mut Vec<u8>, element: u32, body: &[u8]) {
    id(out, element);
    size(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// One element found by [`elements`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Its ID, marker bits kept.
    pub id: u32,
    /// Its bytes, ID to end, within the walked run.
    pub whole: Range<usize>,
    /// Its body's bytes within the walked run.
    pub body: Range<usize>,
}

/// The elements one after another in `bytes` (one level, no descent). Stops at the
/// first element that is malformed, has an unknown size or runs past the end; the
/// second value is where the walk stopped (`bytes.len()` if it read everything).
pub fn elements(bytes: &[u8]) -> (Vec<Element>, usize) {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(e) = element_at(bytes, at) else {
            break;
        };
        at = e.whole.end;
        out.push(e);
    }
    (out, at)
}

fn vint(bytes: &[u8], at: usize, is_id: bool) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros().checked_add(1)? as usize;
    if len > if is_id { 4 } else { 8 } {
        return None;
    }
    let run = bytes.get(at..at.checked_add(len)?)?;
    let mut value = 0u64;
    for (i, b) in run.iter().enumerate() {
        let b = if i == 0 && !is_id {
            // Drop the length marker of a size.
            u64::from(*b) & (0xFFu64 >> len)
        } else {
            u64::from(*b)
        };
        value = (value << 8) | b;
    }
    if !is_id && value == (1u64 << (len as u32).wrapping_mul(7)).wrapping_sub(1) {
        return None; // unknown size
    }
    Some((value, len))
}

fn element_at(bytes: &[u8], at: usize) -> Option<Element> {
    let (id, id_len) = vint(bytes, at, true)?;
    let size_at = at.checked_add(id_len)?;
    let (size, size_len) = vint(bytes, size_at, false)?;
    let body_start = size_at.checked_add(size_len)?;
    let end = body_start.checked_add(usize::try_from(size).ok()?)?;
    if end > bytes.len() {
        return None;
    }
    Some(Element {
        id: id as u32,
        whole: at..end,
        body: body_start..end,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_the_fewest_bytes_and_avoid_the_reserved_value() {
        let enc = |v: u64| {
            let mut out = Vec::new();
            size(&mut out, v);
            out
        };
        assert_eq!(enc(0), [0x80]);
        assert_eq!(enc(126), [0xFE]);
        // 127 in one byte would be 0xFF, "unknown".
        assert_eq!(enc(127), [0x40, 0x7F]);
        assert_eq!(enc(16_382), [0x7F, 0xFE]);
        assert_eq!(enc(16_383), [0x20, 0x3F, 0xFF]);
        let mut out = Vec::new();
        size8(&mut out, 5);
        assert_eq!(out, [0x01, 0, 0, 0, 0, 0, 0, 5]);
    }

    #[test]
    fn elements_read_back_what_was_written() {
        let mut out = Vec::new();
        uint(&mut out, 0xE7, 1000);
        uint8(&mut out, 0x53AC, 7);
        float(&mut out, 0x4489, 1.5);
        master(&mut out, 0x1549_A966, &[0xE7, 0x81, 0x01]);
        let (els, end) = elements(&out);
        assert_eq!(end, out.len());
        let ids: Vec<u32> = els.iter().map(|e| e.id).collect();
        assert_eq!(ids, [0xE7, 0x53AC, 0x4489, 0x1549_A966]);
        assert_eq!(&out[els[0].body.clone()], &[0x03, 0xE8]);
        assert_eq!(&out[els[2].body.clone()], &1.5f64.to_bits().to_be_bytes());
        // Zero is one byte.
        let mut z = Vec::new();
        uint(&mut z, 0xF7, 0);
        assert_eq!(z, [0xF7, 0x81, 0x00]);
    }

    #[test]
    fn a_cut_or_unknown_size_element_stops_the_walk() {
        assert_eq!(elements(&[0xE7, 0x82, 0x03]).1, 0);
        assert_eq!(elements(&[0x1F, 0x43, 0xB6, 0x75, 0xFF]).1, 0);
        assert_eq!(elements(&[0xE7, 0x80, 0x00]).1, 2);
    }
}
