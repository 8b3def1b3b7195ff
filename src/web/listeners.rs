//! Sets of JS callbacks behind the `on…(cb) → unsubscribe` methods.
//!
//! Listeners are called from a snapshot, never while a `RefCell` borrow is held, so a
//! listener may subscribe, unsubscribe or even `destroy()` the producer from inside
//! the call. A listener removed during a dispatch is not called afterwards; a listener
//! that throws does not stop the others: [`ListenerSet::emit`] hands each exception to
//! the caller's reporter, the one place where "dispatch, then report" happens.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

struct Inner {
    name: &'static str,
    next_id: Cell<u32>,
    entries: RefCell<Vec<(u32, js_sys::Function)>>,
}

/// One event's listeners.
#[derive(Clone)]
pub struct ListenerSet {
    inner: Rc<Inner>,
}

impl ListenerSet {
    /// An empty set for the event whose subscribe method is `name` (e.g. `"onFrame"`).
    pub fn new(name: &'static str) -> Self {
        ListenerSet {
            inner: Rc::new(Inner {
                name,
                next_id: Cell::new(0),
                entries: RefCell::new(Vec::new()),
            }),
        }
    }

    /// Adds `f`; returns the JS function that removes it again. The returned function
    /// holds only a weak reference: it does not keep the set alive, and calling it
    /// twice, or after the set was cleared, does nothing.
    pub fn subscribe(&self, f: js_sys::Function) -> js_sys::Function {
        let id = self.inner.next_id.get().wrapping_add(1);
        self.inner.next_id.set(id);
        self.inner.entries.borrow_mut().push((id, f));
        let weak: Weak<Inner> = Rc::downgrade(&self.inner);
        // The closure is owned by the JS function (dropped when it is garbage collected).
        Closure::<dyn Fn()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.entries.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
        .unchecked_into()
    }

    /// Whether no listener is subscribed.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.borrow().is_empty()
    }

    /// How many listeners are subscribed.
    pub fn len(&self) -> usize {
        self.inner.entries.borrow().len()
    }

    /// Removes every listener.
    pub fn clear(&self) {
        self.inner.entries.borrow_mut().clear();
    }

    fn still_subscribed(&self, id: u32) -> bool {
        self.inner.entries.borrow().iter().any(|(i, _)| *i == id)
    }

    /// Calls every listener with `arg` while `go()` says so (checked before each call,
    /// e.g. "not destroyed"). Each exception is handed to `report` with the event's
    /// name; the Promises (thenables) listeners returned are returned, for backpressure.
    pub fn emit(
        &self,
        arg: &JsValue,
        go: impl Fn() -> bool,
        report: impl Fn(&'static str, JsValue),
    ) -> Vec<js_sys::Promise> {
        let snapshot: Vec<(u32, js_sys::Function)> = self.inner.entries.borrow().clone();
        let mut promises = Vec::new();
        for (id, f) in snapshot {
            if !go() || !self.still_subscribed(id) {
                continue;
            }
            match f.call1(&JsValue::UNDEFINED, arg) {
                Ok(ret) => {
                    if let Some(p) = as_thenable(&ret) {
                        promises.push(p);
                    }
                }
                Err(e) => report(self.inner.name, e),
            }
        }
        promises
    }
}

/// A Promise for `v` if it is a thenable (a listener returned a Promise).
fn as_thenable(v: &JsValue) -> Option<js_sys::Promise> {
    if !v.is_object() {
        return None;
    }
    if let Some(p) = v.dyn_ref::<js_sys::Promise>() {
        return Some(p.clone());
    }
    let then = js_sys::Reflect::get(v, &"then".into()).ok()?;
    if then.is_function() {
        Some(js_sys::Promise::resolve(v))
    } else {
        None
    }
}

/// Reports what a listener threw where there is no `onError` to tell (the pool's
/// events): as the platform does for an event listener that throws, it becomes an
/// uncaught error of the page (here an unhandled rejection), never silently dropped.
pub fn report_uncaught(_event: &'static str, thrown: JsValue) {
    let _ = js_sys::Promise::reject(&thrown);
}
