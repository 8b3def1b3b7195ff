//! Finding a segment's header run: header candidates are read (`blob.arrayBuffer()`)
//! and fed, in order, to the core's incremental [`HeaderScanner`]; its answer closes
//! the ring's header run. One scan task per pipeline at a time.

use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::StreamPipeline;
use crate::core::ring::HeaderPolicy;
use crate::core::webm::{HeaderScanner, ScanResult};

/// The scan of the current segment's header candidates.
#[derive(Default)]
pub struct HeaderScan {
    /// `None` once the header's end is known, or for containers not scanned.
    scanner: Option<HeaderScanner>,
    /// Candidates waiting to be read: (ring segment, sequence number, chunk).
    queue: VecDeque<(u32, u64, Blob)>,
    /// Whether the scan task runs.
    running: bool,
    /// The bytes the scan read, by sequence number, for delivery to reuse: a header
    /// chunk is read once, not twice (the first useful frame comes sooner).
    read: Vec<(u64, JsValue)>,
}

impl HeaderScan {
    /// The scan for a segment whose header run is found by `policy`.
    pub fn new(policy: HeaderPolicy) -> Self {
        HeaderScan {
            scanner: (policy == HeaderPolicy::Scan).then(HeaderScanner::new),
            ..HeaderScan::default()
        }
    }

    /// Whether the header's end is still being looked for.
    pub fn active(&self) -> bool {
        self.scanner.is_some()
    }

    /// Stops looking (the app said where its header is, or the stream ends).
    pub fn stop(&mut self) {
        self.scanner = None;
        self.queue.clear();
    }

    /// Queues candidate `seq` of `segment`; `true` if the scan task must be started.
    pub fn queue(&mut self, segment: u32, seq: u64, blob: Blob) -> bool {
        self.queue.push_back((segment, seq, blob));
        !std::mem::replace(&mut self.running, true)
    }

    /// Whether candidates are still to be read.
    pub fn busy(&self) -> bool {
        self.running || !self.queue.is_empty()
    }

    /// The bytes of chunk `seq` if the scan read them (each handed out once).
    pub fn take_read(&mut self, seq: u64) -> Option<JsValue> {
        let i = self.read.iter().position(|(s, _)| *s == seq)?;
        Some(self.read.swap_remove(i).1)
    }
}

/// Reads header candidates in order until the scanner knows where the header ends.
pub async fn scan(p: Rc<StreamPipeline>) {
    loop {
        let next = p.st.borrow_mut().scan.queue.pop_front();
        let Some((segment, seq, blob)) = next else {
            break;
        };
        let bytes = JsFuture::from(blob.array_buffer()).await;
        if p.closed() {
            break;
        }
        let result = {
            let mut st = p.st.borrow_mut();
            if st.ring.segment() != segment {
                // A chunk of a segment that has ended: not this scanner's to see.
                continue;
            }
            match bytes {
                Ok(buf) => {
                    let data = Uint8Array::new(&buf).to_vec();
                    let result = match st.scan.scanner.as_mut() {
                        Some(scanner) => scanner.feed(seq, &data),
                        None => break,
                    };
                    st.scan.read.push((seq, buf));
                    result
                }
                // Unreadable: give up on finding the end; keep only the first chunk pinned.
                Err(_) => ScanResult::NotWebm,
            }
        };
        let dropped = {
            let mut st = p.st.borrow_mut();
            let last_seq = match result {
                ScanResult::NeedMore => continue,
                ScanResult::HeaderEnd { last_seq, .. } => last_seq,
                ScanResult::NotWebm => st.ring.segment_start(),
            };
            st.scan.stop();
            st.ring.close_header(last_seq)
        };
        p.counts_changed(dropped);
        break;
    }
    p.st.borrow_mut().scan.running = false;
    p.idle.wake_all();
    p.kick();
}

/// Waits until the scan has seen every candidate pushed so far; if the header run is
/// still open then (the segment ended before its first Cluster), every candidate is
/// header. Called when no more chunks of the segment will come, so that `isHeader` is
/// never a guess and a segment's header run is known before the next one starts.
pub async fn settle(p: &Rc<StreamPipeline>) {
    while p.st.borrow().scan.busy() && !p.closed() {
        let _ = p.idle.wait().await;
    }
    let dropped = {
        let mut st = p.st.borrow_mut();
        if st.scan.scanner.take().is_some() && st.ring.header_open() {
            let last = st.ring.next_seq().saturating_sub(1);
            st.ring.close_header(last)
        } else {
            Vec::new()
        }
    };
    p.counts_changed(dropped);
}
