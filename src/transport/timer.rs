//! Abortable sleeps, each on its own host timer: a sleep arms a `setTimeout` when it is made
//! and clears it when it is dropped, and the timer reports to the sleep's completion slot (see
//! completion.rs). Nothing is shared between sleeps, so no timer outlives or crosses the call
//! that made it — which Cloudflare Workers require: workerd ties a timer to the request that
//! created it, and never fires it once that request has been answered (issue 23: a shared timer
//! armed during one request left every later request's sleeps unscheduled). A sleep's signal is
//! watched through one listener per signal (exchange.js `watchAbort`).
//!
//! A sleep ends early, with [`Aborted`], when its signal fires.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::completion::{kind, Slot};
use super::host::js_start_timer;
pub(crate) use super::host::{js_unwatch_abort, js_watch_abort};

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

/// One pending sleep: its slot, its host timer, the signal watched.
struct Sleep<'a> {
    slot: Slot,
    timer: JsValue,
    signal: Option<&'a AbortSignal>,
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        if let Some(signal) = self.signal {
            js_unwatch_abort(signal, self.slot.id());
        }
        clear_timeout(&self.timer);
    }
}

/// Sleeps `ms` milliseconds, or until `signal` aborts. The sleep starts at this call (as a
/// timer does), not at the first poll.
pub(crate) fn sleep(ms: f64, signal: Option<&AbortSignal>) -> SleepFuture<'_> {
    if signal.is_some_and(AbortSignal::aborted) {
        return SleepFuture(None);
    }
    let slot = Slot::new();
    let id = slot.id();
    let timer = js_start_timer(ms.max(0.0), id);
    if let Some(signal) = signal {
        js_watch_abort(signal, id);
    }
    SleepFuture(Some(Sleep {
        slot,
        timer,
        signal,
    }))
}

/// The future of [`sleep`]: the pending sleep, or nothing once it ended (or when the signal had
/// already fired). A hand-written future rather than an `async fn`, which would also keep its
/// arguments and locals: every parked wait holds one.
pub(crate) struct SleepFuture<'a>(Option<Sleep<'a>>);

impl Future for SleepFuture<'_> {
    type Output = Result<(), Aborted>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(sleep) = this.0.as_mut() else {
            return Poll::Ready(Err(Aborted));
        };
        let Poll::Ready(report) = Pin::new(&mut sleep.slot).poll(cx) else {
            return Poll::Pending;
        };
        // Ended: drop the sleep now (its timer entry and abort watch go with it).
        this.0 = None;
        if report.kind == kind::TICK {
            Poll::Ready(Ok(()))
        } else {
            debug_assert_eq!(report.kind, kind::SIGNAL);
            Poll::Ready(Err(Aborted))
        }
    }
}
