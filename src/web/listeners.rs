//! Sets of JS callbacks behind the `on…(cb) → unsubscribe` methods.
//!
//! Listeners are called from a snapshot, never while a `RefCell` borrow is held, so a
//! listener may subscribe, unsubscribe or even `destroy()` the producer from inside
//! the call. A listener removed during a dispatch is not called afterwards; a listener
//! that throws does not stop the others (its exception is handed back to the caller,
//! which reports it through `onError`).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Default)]
struct Inner {
    next_id: Cell<u32>,
    entries: RefCell<Vec<(u32, js_sys::Function)>>,
}

/// One event's listeners.
#[derive(Clone, Default)]
pub struct ListenerSet {
    inner: Rc<Inner>,
}

/// What a dispatch produced: the values listeners returned (for awaiting Promises)
/// and the exceptions they threw.
#[derive(Default)]
pub struct Dispatch {
    /// Values returned by listeners that are thenables (Promises).
    pub promises: Vec<js_sys::Promise>,
    /// Exceptions thrown by listeners.
    pub thrown: Vec<JsValue>,
}

impl ListenerSet {
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

    /// Calls every listener with `arg`, while `go()` says so (it is checked before each
    /// call, e.g. "not destroyed").
    pub fn dispatch(&self, arg: &JsValue, go: impl Fn() -> bool) -> Dispatch {
        let snapshot: Vec<(u32, js_sys::Function)> = self.inner.entries.borrow().clone();
        let mut out = Dispatch::default();
        for (id, f) in snapshot {
            if !go() || !self.still_subscribed(id) {
                continue;
            }
            match f.call1(&JsValue::UNDEFINED, arg) {
                Ok(ret) => {
                    if let Some(p) = as_thenable(&ret) {
                        out.promises.push(p);
                    }
                }
                Err(e) => out.thrown.push(e),
            }
        }
        out
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
