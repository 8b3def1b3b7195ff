//! Who keeps a producer alive.
//!
//! The app's reference to its `MediaRecorderProducer` is not the only one. While one of
//! its streams is live (recording, paused or stopping), or a `startStream()` is under
//! way, the hub is held here, as the browser holds a recording `MediaRecorder` that no
//! script references. So a page that keeps only its `onFrame` listener goes on getting
//! frames after a garbage collection has taken the JS object (wasm-bindgen's finalizer
//! then only marks the hub [abandoned](Hub::abandon)).
//!
//! Nothing outlives its use: once nothing is live, the hold is let go, and an abandoned
//! hub destroys itself at that moment (tracks, timers, listeners and the pool it used
//! released, as by `destroy()`). A hub the app still references is then held by the app
//! alone, and collected with its JS object.

use std::cell::RefCell;
use std::rc::Rc;

use super::Hub;

thread_local! {
    /// The hubs with something live. A handful at most: a page records a few streams.
    static HELD: RefCell<Vec<Rc<Hub>>> = const { RefCell::new(Vec::new()) };
}

/// Held across a `startStream()`: the hub counts as live until the stream is in its
/// list (or the start failed).
pub(super) struct Starting(Rc<Hub>);

impl Drop for Starting {
    fn drop(&mut self) {
        let hub = &self.0;
        hub.starting.set(hub.starting.get().saturating_sub(1));
        hub.review_hold();
    }
}

impl Hub {
    /// Whether anything is live: a stream not yet finished, or one being started.
    fn live(&self) -> bool {
        !self.is_destroyed() && (self.starting.get() > 0 || !self.streams.borrow().is_empty())
    }

    /// Brings the hold in line with [`live`](Self::live); an abandoned hub with nothing
    /// live left is destroyed. Called wherever the stream list changes.
    pub(super) fn review_hold(self: &Rc<Self>) {
        let live = self.live();
        let let_go = HELD.with(|h| {
            let mut held = h.borrow_mut();
            let pos = held.iter().position(|x| Rc::ptr_eq(x, self));
            match (live, pos) {
                (true, None) => {
                    held.push(self.clone());
                    None
                }
                (false, Some(i)) => Some(held.swap_remove(i)),
                _ => None,
            }
        });
        if !live && self.abandoned.get() {
            self.destroy();
        }
        // The caller holds an Rc too: this is never the last one.
        drop(let_go);
    }

    /// Marks the start of a `startStream()`; the returned guard marks its end.
    pub(super) fn starting(self: &Rc<Self>) -> Starting {
        self.starting.set(self.starting.get() + 1);
        self.review_hold();
        Starting(self.clone())
    }

    /// The app's producer object is gone (its finalizer ran, or Rust dropped it): the
    /// hub lives on while something is live, and is destroyed now if nothing is.
    pub fn abandon(self: &Rc<Self>) {
        self.abandoned.set(true);
        self.review_hold();
    }

    /// Lets go of the hold on `destroy()` (the caller's `Rc` outlives it).
    pub(super) fn let_go(self: &Rc<Self>) {
        let held = HELD.with(|h| {
            let mut held = h.borrow_mut();
            held.iter()
                .position(|x| Rc::ptr_eq(x, self))
                .map(|i| held.swap_remove(i))
        });
        drop(held);
    }
}
