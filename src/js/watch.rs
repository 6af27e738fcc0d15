//! `JobWatch`: the async iterator returned by `client.watch(idOrJob)`. Each `next()` resolves with
//! the job's next changed state (`{ value: Job, done: false }`) and, after the terminal state,
//! `{ done: true }`. `return()` stops it (a `break` in `for await` calls it). One `next()` may be
//! pending at a time, as `for await` guarantees; a second concurrent call rejects.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::job_to_js;
use super::error::to_js_error;
use crate::core::{Error, Job};
use crate::transport::{Engine, Lease, Watcher};

/// An async iterator over one job's changes. Obtain it from `JobClient.watch`.
#[wasm_bindgen]
pub struct JobWatch {
    /// `None` while a `next()` is running (it owns the watcher meanwhile).
    watcher: Rc<RefCell<Option<Watcher>>>,
    stopped: Rc<RefCell<bool>>,
    signal: Option<AbortSignal>,
    /// Keeps the realtime channel open while the watch lives (released by `return()`).
    _lease: Rc<RefCell<Option<Lease>>>,
}

impl JobWatch {
    /// The watch as a JS value that is also async-iterable (`[Symbol.asyncIterator]` returns it);
    /// `known`, the job's state when the caller has it, is the first yielded.
    pub(crate) fn new(
        engine: Rc<Engine>,
        id: String,
        known: Option<Job>,
        signal: Option<AbortSignal>,
        lease: Option<Lease>,
    ) -> JsValue {
        let push = lease.is_some();
        let watch = JobWatch {
            _lease: Rc::new(RefCell::new(lease)),
            watcher: Rc::new(RefCell::new(Some(Watcher::new(
                engine,
                id.into(),
                known.map(Box::new),
                push,
            )))),
            stopped: Rc::new(RefCell::new(false)),
            signal,
        };
        let js: JsValue = watch.into();
        super::make_async_iterable(&js);
        js
    }
}

#[wasm_bindgen]
impl JobWatch {
    /// Resolves with the next changed state, or `{ done: true }` after the terminal one.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Job, undefined>>")]
    pub fn next(&self) -> Promise {
        let slot = self.watcher.clone();
        let stopped = self.stopped.clone();
        let signal = self.signal.clone();
        super::promise(async move {
            if *stopped.borrow() {
                return Ok(super::iter_step(&JsValue::UNDEFINED, true));
            }
            let Some(mut watcher) = slot.borrow_mut().take() else {
                return Err(to_js_error(&Error::config(
                    "watch: next() called while a previous next() is pending",
                )));
            };
            let result = watcher.next(signal.as_ref()).await;
            if *stopped.borrow() {
                watcher.stop();
            }
            *slot.borrow_mut() = Some(watcher);
            match result {
                Ok(Some(job)) => Ok(super::iter_step(&job_to_js(&job), false)),
                Ok(None) => Ok(super::iter_step(&JsValue::UNDEFINED, true)),
                Err(err) => {
                    *stopped.borrow_mut() = true;
                    Err(to_js_error(&err))
                }
            }
        })
    }

    /// Stops the watch; later `next()` calls resolve `{ done: true }`.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<Job, undefined>>"
    )]
    pub fn stop(&self) -> Promise {
        *self.stopped.borrow_mut() = true;
        self._lease.borrow_mut().take();
        if let Some(w) = self.watcher.borrow_mut().as_mut() {
            w.stop();
        }
        Promise::resolve(&super::iter_step(&JsValue::UNDEFINED, true))
    }
}
