//! The requests a pipeline takes from the producer (the hub): pause and resume, stop,
//! destroy, a bitrate, pushed chunks, memory pressure, and the load figures adaptive
//! quality reads.

use std::rc::Rc;

use web_sys::Blob;

use super::*;

impl StreamPipeline {
    /// Pauses (`true`) or resumes the stream; `InvalidStateError` if it cannot now.
    pub fn pause_or_resume(self: &Rc<Self>, pause: bool) -> Result<(), ProducerError> {
        let event = if pause {
            Event::PauseRequested
        } else {
            Event::ResumeRequested
        };
        let transition = self.life.borrow().step(event).map_err(|mut e| {
            if let Some(at) = crate::core::value::find(&e.message, "the stream") {
                let m = &e.message;
                let (before, after) = (m.get(..at).unwrap_or(""), m.get(at + 10..).unwrap_or(""));
                e.message = [before, "stream \"", &self.id(), "\"", after].concat();
            }
            e
        })?;
        for action in transition.actions.iter() {
            match action {
                Action::PauseRecorder => self.engine.pause()?,
                Action::ResumeRecorder => self.engine.resume()?,
                _ => {}
            }
        }
        let changed = transition.next.phase() != self.phase();
        *self.life.borrow_mut() = transition.next;
        self.sync_phase();
        if changed {
            self.report(Report::Updated);
        }
        Ok(())
    }

    /// Stops the stream and waits until it has ended (its last frames delivered) and
    /// its sinks have been closed (their last writes are done, or failed).
    pub async fn stop(self: &Rc<Self>) {
        if !self.is_ended() {
            let ended = self.ended.wait();
            self.handle(Event::StopRequested);
            if !self.is_ended() && !self.closed() {
                let _ = ended.await;
            }
        }
        let closing = self.sinks_closing.borrow().clone();
        if let Some(c) = closing {
            let _ = JsFuture::from(c).await;
        }
        // The OPFS file, committed by the sinks' close: the stream's seekable recording,
        // from the index built while recording (no read at stop), else by a pass over
        // the file.
        if let Some(file) = &self.file {
            if self.recording.borrow().is_empty() {
                let indexed = match file.written() {
                    Some(whole) => self.indexed_recording(&whole).await,
                    None => None,
                };
                let made = match indexed {
                    Some(b) => file.named(&b),
                    None => file.file().await,
                };
                match made {
                    Ok(f) => *self.recording.borrow_mut() = vec![f.into()],
                    Err(e) => self.report(Report::Error(self.with_id(e))),
                }
            }
        }
    }

    /// Ends the stream at once (`destroy()`): everything released, nothing reported.
    pub fn destroy(self: &Rc<Self>) {
        self.handle(Event::Destroyed);
        self.ended.wake_all();
        self.idle.wake_all();
    }

    /// Records the video at `video_bps` from now on (a new segment where the engine
    /// needs one; nothing where it has no bitrate).
    /// Returns how: `"in-place"`, `"new-segment"` or `"unsupported"`.
    pub fn request_bitrate(self: &Rc<Self>, video_bps: u32) -> &'static str {
        match self.engine.reconfigure(video_bps) {
            Reconfig::NewSegment => {
                self.handle(Event::RestartRequested { video_bps });
                "new-segment"
            }
            Reconfig::InPlace => "in-place",
            Reconfig::Unsupported => "unsupported",
        }
    }

    /// Its engine's encoder figures over the quality window, if it encodes itself.
    pub fn take_encoder_load(&self) -> Option<crate::web::engine::EncoderLoad> {
        self.engine.take_encoder_load()
    }

    /// Whether its engine changes the bitrate in place (no new segment).
    pub fn bitrate_in_place(&self) -> bool {
        self.engine.bitrate_in_place()
    }

    /// A chunk pushed by the app (`source: "external"`), with its `isHeader` hint.
    /// Returns its sequence number, or `None` for an empty chunk.
    pub fn push(self: &Rc<Self>, blob: Blob, pin: Option<bool>) -> Option<u64> {
        self.on_chunk(blob, pin)
    }

    /// Memory relief: cuts the ring's byte budget to `budget` (never below its header
    /// run) after letting go of delivered chunks kept for `retain: "all"`. Returns the
    /// bytes released and the chunks evicted (reported as drops).
    pub fn relieve(
        self: &Rc<Self>,
        budget_of: impl Fn(u64, u64, u64) -> u64,
    ) -> (u64, u64, Vec<Dropped>) {
        let (released, budget, dropped) = {
            let mut st = self.st.borrow_mut();
            let released = st.ring.release_delivered();
            let stats = st.ring.stats();
            let budget = budget_of(
                st.ring.limits().max_bytes,
                stats.held_bytes,
                stats.pinned_bytes,
            );
            (released, budget, st.ring.set_max_bytes(budget))
        };
        if released > 0 {
            self.handle(Event::CompleteAbandoned);
            self.report(Report::Error(ProducerError::new(
                ErrorKind::DataLoss,
                format!(
                    "Stream {}: under memory pressure the delivered chunks kept for retain: \"all\" were released; no complete recording will be emitted at stop",
                    self.id()
                ),
            )));
        }
        let evicted = dropped.clone();
        self.counts_changed(dropped);
        (released, budget, evicted)
    }

    /// Gives the ring back its configured byte budget (pressure is over).
    pub fn restore_budget(self: &Rc<Self>, max_bytes: u64) {
        let dropped = {
            let mut st = self.st.borrow_mut();
            if st.ring.limits().max_bytes >= max_bytes {
                return;
            }
            st.ring.set_max_bytes(max_bytes)
        };
        self.counts_changed(dropped);
    }

    /// An `onFrame` consumer subscribed: what waits now is not its backlog; delivery
    /// starts.
    pub fn consumer_subscribed(self: &Rc<Self>) {
        {
            let mut st = self.st.borrow_mut();
            if st.consumer_from.is_none() {
                st.consumer_from = Some(st.ring.next_seq());
            }
        }
        self.kick();
    }

    /// Chunks waiting for a consumer that is there and falls behind (see
    /// adaptive quality), and the listeners' main-thread time per frame since the
    /// last call (ms; `None` without frames). With no consumer the backlog is 0.
    pub fn take_load(&self, listening: bool) -> (u64, Option<(f64, u32)>) {
        let mut st = self.st.borrow_mut();
        let frames = std::mem::take(&mut st.frames);
        let sync = std::mem::take(&mut st.sync_ms);
        // Sinks are consumers too: chunks waiting for them are their backlog.
        let listening = listening || !self.sinks.is_empty();
        let backlog = if !listening {
            st.consumer_from = None;
            0
        } else {
            match st.consumer_from {
                Some(from) => st.ring.pending_since(from),
                None => {
                    st.consumer_from = Some(st.ring.next_seq());
                    0
                }
            }
        };
        (backlog, (frames > 0).then_some((sync, frames)))
    }
}
