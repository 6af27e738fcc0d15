//! A child `AbortController` that aborts when its parent signal aborts or when a timeout
//! elapses: a stream read cut at a wait's deadline (stream.rs) and the bounded cancel of an
//! aborted `run` (wait.rs). (A request's own timeout is exchange.js's, per request.) Dropping it
//! removes the parent listener and clears the timer.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, AbortSignal};

use super::timer::{clear_timeout, set_timeout};

/// Why a [`ChildSignal`] fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AbortCause {
    /// The parent (the caller's signal) aborted.
    Parent,
    /// The timeout elapsed.
    Timeout,
}

/// An abort signal derived from an optional parent plus an optional timeout.
pub(crate) struct ChildSignal {
    controller: AbortController,
    parent: Option<AbortSignal>,
    abort_fn: Function,
    timer: Option<JsValue>,
}

impl ChildSignal {
    /// A signal that aborts when `parent` does or after `timeout_ms`. Fails only if the host has
    /// no `AbortController`.
    pub(crate) fn new(
        parent: Option<&AbortSignal>,
        timeout_ms: Option<f64>,
    ) -> Result<ChildSignal, JsValue> {
        let controller = AbortController::new()?;
        let abort_fn: Function = Reflect::get(&controller, &JsValue::from_str("abort"))?
            .dyn_into::<Function>()?
            .bind0(&controller);
        if let Some(parent) = parent {
            if parent.aborted() {
                controller.abort();
            } else {
                parent.add_event_listener_with_callback("abort", &abort_fn)?;
            }
        }
        let timer = timeout_ms
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            .map(|ms| set_timeout(&abort_fn, ms));
        Ok(ChildSignal {
            controller,
            parent: parent.cloned(),
            abort_fn,
            timer,
        })
    }

    /// The signal to pass to `fetch` or a sleep.
    pub(crate) fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// Aborts now (what a read owned by a dropped future uses to stop its fetch).
    pub(crate) fn abort(&self) {
        self.controller.abort();
    }

    /// Whether, and why, the signal has fired.
    pub(crate) fn cause(&self) -> Option<AbortCause> {
        if !self.controller.signal().aborted() {
            None
        } else if self.parent.as_ref().is_some_and(AbortSignal::aborted) {
            Some(AbortCause::Parent)
        } else {
            Some(AbortCause::Timeout)
        }
    }
}

impl Drop for ChildSignal {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            clear_timeout(timer);
        }
        if let Some(parent) = &self.parent {
            let _ = parent.remove_event_listener_with_callback("abort", &self.abort_fn);
        }
    }
}
