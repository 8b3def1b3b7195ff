//! A many-waiter wake-up built on JS Promises (no extra executor crate needed).

use std::cell::RefCell;
use wasm_bindgen_futures::JsFuture;

/// Waiters park on [`Signal::wait`] until [`Signal::wake_all`].
#[derive(Default)]
pub struct Signal {
    waiters: RefCell<Vec<js_sys::Function>>,
}

impl Signal {
    /// A future that completes at the next [`wake_all`](Self::wake_all).
    pub fn wait(&self) -> JsFuture {
        let mut resolve_fn = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            resolve_fn = Some(resolve);
        });
        if let Some(resolve) = resolve_fn {
            self.waiters.borrow_mut().push(resolve);
        }
        JsFuture::from(promise)
    }

    /// Wakes every waiter (their continuations run in later microtasks, never inside
    /// this call).
    pub fn wake_all(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for resolve in waiters {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    }
}
