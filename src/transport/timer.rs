//! Abortable sleeps over the global `setTimeout` / `clearTimeout`. A sleep ends early, with
//! [`Aborted`], when its signal fires; its timer and listener are removed however it ends
//! (including when the future is dropped), so nothing leaks on long-lived signals.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: &JsValue);
}

/// The signal fired before the sleep ended.
#[derive(Debug)]
pub(crate) struct Aborted;

struct SleepGuard<'a> {
    timer: JsValue,
    signal: Option<&'a AbortSignal>,
    listener: Option<Function>,
}

impl Drop for SleepGuard<'_> {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let (Some(signal), Some(listener)) = (self.signal, &self.listener) {
            let _ = signal.remove_event_listener_with_callback("abort", listener);
        }
    }
}

/// Sleeps `ms` milliseconds, or until `signal` aborts.
pub(crate) async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Result<(), Aborted> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(Aborted);
    }
    let mut timer = JsValue::UNDEFINED;
    let mut listener = None;
    let promise = Promise::new(&mut |resolve, reject| {
        timer = set_timeout(&resolve, ms.max(0.0));
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", &reject);
            listener = Some(reject);
        }
    });
    let _guard = SleepGuard {
        timer,
        signal,
        listener,
    };
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| Aborted)
}
