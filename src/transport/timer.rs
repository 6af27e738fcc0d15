//! Abortable sleeps on one shared host timer. Every sleep is an entry in a min-heap of
//! deadlines kept in wasm memory; a single `setTimeout` is armed for the earliest one, and when
//! it fires every due sleep is woken (see completion.rs). A sleep's signal is watched through
//! one listener per signal (exchange.js `watchAbort`). So a parked wait costs a heap entry and a
//! slot — no JS timer, promise, closure or listener of its own.
//!
//! A sleep ends early, with [`Aborted`], when its signal fires. Dropping a sleep gives its slot
//! up; its heap entry is skipped when due (or swept once stale entries outnumber live ones), and
//! the host timer is cleared when no sleep is left, so an idle Node process can exit.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::completion::{is_waiting, kind, settle_kind, Slot};
use super::now_ms;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: &JsValue);
}

#[wasm_bindgen(module = "/src/transport/exchange.js")]
extern "C" {
    /// (Re)arms the shared timer to report a tick after `ms` (clears the previous one).
    #[wasm_bindgen(js_name = armTimer)]
    fn js_arm_timer(ms: f64);
    /// Clears the shared timer.
    #[wasm_bindgen(js_name = disarmTimer)]
    fn js_disarm_timer();
    /// Reports `slot` (kind SIGNAL) when `signal` fires; one listener per signal.
    #[wasm_bindgen(js_name = watchAbort)]
    pub(crate) fn js_watch_abort(signal: &AbortSignal, slot: u32);
    /// Stops reporting `slot` for `signal`.
    #[wasm_bindgen(js_name = unwatchAbort)]
    pub(crate) fn js_unwatch_abort(signal: &AbortSignal, slot: u32);
}

/// The signal fired before the sleep ended.
#[derive(Debug)]
pub(crate) struct Aborted;

/// A sleep's entry: when it is due and whom to wake.
#[derive(Clone, Copy)]
struct Due {
    at: f64,
    slot: u32,
}

/// The pending sleeps: a binary min-heap on `at`, some entries stale (their sleep was dropped).
#[derive(Default)]
struct Timers {
    heap: Vec<Due>,
    /// Sleeps not yet dropped (woken ones until their future ends).
    live: usize,
    /// The deadline the host timer is armed for (`INFINITY`: not armed).
    armed_for: f64,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::new(Timers { armed_for: f64::INFINITY, ..Timers::default() });
}

impl Timers {
    fn push(&mut self, due: Due) {
        self.heap.push(due);
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent].at <= self.heap[i].at {
                break;
            }
            self.heap.swap(parent, i);
            i = parent;
        }
    }

    fn pop(&mut self) -> Option<Due> {
        let last = self.heap.pop()?;
        if self.heap.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.heap[0], last);
        self.sift_down(0);
        Some(top)
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < n && self.heap[l].at < self.heap[least].at {
                least = l;
            }
            if r < n && self.heap[r].at < self.heap[least].at {
                least = r;
            }
            if least == i {
                return;
            }
            self.heap.swap(i, least);
            i = least;
        }
    }

    /// Arms the host timer for the earliest entry (or clears it when none is live).
    fn rearm(&mut self, now: f64) {
        if self.live == 0 {
            self.heap.clear();
            if self.armed_for.is_finite() {
                self.armed_for = f64::INFINITY;
                js_disarm_timer();
            }
            return;
        }
        let Some(first) = self.heap.first().map(|d| d.at) else {
            return;
        };
        if first != self.armed_for {
            self.armed_for = first;
            js_arm_timer((first - now).max(0.0));
        }
    }
}

/// The shared timer fired: wakes every due sleep and re-arms for the next.
pub(crate) fn on_tick() {
    let now = now_ms();
    let mut due = Vec::new();
    TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        t.armed_for = f64::INFINITY;
        // Host timers may fire a millisecond early against Date.now().
        while t.heap.first().is_some_and(|d| d.at <= now + 1.0) {
            if let Some(d) = t.pop() {
                due.push(d.slot);
            }
        }
        t.rearm(now);
    });
    // Outside the borrow: a report for a dropped sleep is ignored by its slot.
    for slot in due {
        settle_kind(slot, kind::TICK);
    }
}

/// One pending sleep; see the module doc. `live` counts these.
struct Sleep<'a> {
    slot: Slot,
    signal: Option<&'a AbortSignal>,
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        if let Some(signal) = self.signal {
            js_unwatch_abort(signal, self.slot.id());
        }
        let own = self.slot.id();
        TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            t.live = t.live.saturating_sub(1);
            // Drop the stale entries once they outnumber the live ones (amortized: it takes as
            // many drops as there are entries left).
            if t.heap.len() > 64 && t.heap.len() > 2 * t.live {
                t.heap.retain(|d| d.slot != own && is_waiting(d.slot));
                for i in (0..t.heap.len() / 2).rev() {
                    t.sift_down(i);
                }
            }
            t.rearm(now_ms());
        });
    }
}

/// Sleeps `ms` milliseconds, or until `signal` aborts. The sleep starts at this call (as a
/// timer does), not at the first poll.
pub(crate) fn sleep(ms: f64, signal: Option<&AbortSignal>) -> SleepFuture<'_> {
    if signal.is_some_and(AbortSignal::aborted) {
        return SleepFuture(None);
    }
    let now = now_ms();
    let slot = Slot::new();
    let id = slot.id();
    TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        t.push(Due {
            at: now + ms.max(0.0),
            slot: id,
        });
        t.live += 1;
        t.rearm(now);
    });
    if let Some(signal) = signal {
        js_watch_abort(signal, id);
    }
    SleepFuture(Some(Sleep { slot, signal }))
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
