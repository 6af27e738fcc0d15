//! The cap on a client's concurrent requests (`maxConcurrentRequests`): every attempt of a
//! request takes a [`Permit`] for as long as it is in flight (sent until its body is read) and
//! gives it back before any retry delay. When none is free the request waits its turn, in
//! arrival order, holding only a completion slot — so 10,000 waits polling at once make at most
//! `limit` requests at a time, and the others cost a few bytes each instead of a request's
//! state. Waiting ends early on the caller's signal or deadline. Long-lived reads (an output
//! stream, the realtime socket) do not take permits. The counting is `core::permits`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use web_sys::AbortSignal;

use super::completion::{is_waiting, kind, reported_kind, settle_kind, Slot};
use super::now_ms;
use super::timer::{js_unwatch_abort, js_watch_abort, sleep, SleepFuture};
use crate::core::permits::Permits;
use crate::core::Deadline;

/// A client's request cap. Shared (`Rc`) by its engine and the permits it hands out.
pub(crate) struct Gate {
    permits: RefCell<Permits>,
}

/// Why waiting for a permit ended without one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The caller's signal fired.
    Aborted,
    /// The caller's deadline passed.
    DeadlinePassed,
}

/// The right to have one request in flight; given back (to the next waiter) on drop.
pub(crate) struct Permit {
    gate: Rc<Gate>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.gate.release();
    }
}

impl Gate {
    /// A cap of `limit` concurrent requests (at least 1).
    pub(crate) fn new(limit: u32) -> Rc<Gate> {
        Rc::new(Gate {
            permits: RefCell::new(Permits::new(limit)),
        })
    }

    /// Waits for a permit: at once when one is free and nobody is queued, else in turn. Ends
    /// with [`Refused`] when `signal` fires or `deadline` passes first.
    pub(crate) fn acquire<'a>(
        self: &Rc<Self>,
        signal: Option<&'a AbortSignal>,
        deadline: Deadline,
    ) -> Acquire<'a> {
        Acquire {
            gate: self.clone(),
            signal,
            deadline,
            queued: None,
            timer: None,
        }
    }

    /// Hands a freed permit to the oldest live waiter, or frees it.
    fn release(&self) {
        // The borrow ends before the waiter is woken.
        let next = self.permits.borrow_mut().release(is_waiting);
        if let Some(ticket) = next {
            settle_kind(ticket, kind::OK);
        }
    }
}

/// The future of [`Gate::acquire`]. Queued, it holds a slot (its ticket, which the releasing
/// permit settles with OK, or the signal with SIGNAL) and, with a deadline, a sleep.
pub(crate) struct Acquire<'a> {
    gate: Rc<Gate>,
    signal: Option<&'a AbortSignal>,
    deadline: Deadline,
    queued: Option<Slot>,
    timer: Option<SleepFuture<'static>>,
}

impl Future for Acquire<'_> {
    type Output = Result<Permit, Refused>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.queued.is_none() {
            if this.signal.is_some_and(AbortSignal::aborted) {
                return Poll::Ready(Err(Refused::Aborted));
            }
            let now = now_ms();
            if this.deadline.passed(now) {
                return Poll::Ready(Err(Refused::DeadlinePassed));
            }
            if this.gate.permits.borrow_mut().try_take() {
                return Poll::Ready(Ok(Permit {
                    gate: this.gate.clone(),
                }));
            }
            let slot = Slot::new();
            this.gate.permits.borrow_mut().enqueue(slot.id());
            if let Some(signal) = this.signal {
                js_watch_abort(signal, slot.id());
            }
            if let Some(ms) = this.deadline.remaining_ms(now) {
                this.timer = Some(sleep(ms, None));
            }
            this.queued = Some(slot);
        }
        let Some(slot) = this.queued.as_mut() else {
            return Poll::Pending; // unreachable: queued above
        };
        if let Poll::Ready(report) = Pin::new(slot).poll(cx) {
            let granted = report.kind == kind::OK;
            // The slot goes with this block; settled by the signal, the ticket was not served.
            if this.leave_queue().is_some() && !granted {
                this.gate.permits.borrow_mut().forget();
            }
            return Poll::Ready(if granted {
                Ok(Permit {
                    gate: this.gate.clone(),
                })
            } else {
                Err(Refused::Aborted)
            });
        }
        if let Some(timer) = this.timer.as_mut() {
            if Pin::new(timer).poll(cx).is_ready() {
                // Leaving the queue here also passes on a permit granted in the meantime.
                this.give_up();
                return Poll::Ready(Err(Refused::DeadlinePassed));
            }
        }
        Poll::Pending
    }
}

impl Acquire<'_> {
    /// Ends the wait's bookkeeping once its slot was settled (the permit, if any, is the
    /// caller's now); returns the slot, still numbered, until it is dropped.
    fn leave_queue(&mut self) -> Option<Slot> {
        let slot = self.queued.take()?;
        if let Some(signal) = self.signal {
            js_unwatch_abort(signal, slot.id());
        }
        self.timer = None;
        Some(slot)
    }

    /// Gives up waiting: out of the queue, or, when a permit was handed over but not taken,
    /// passes it on.
    fn give_up(&mut self) {
        let Some(slot) = self.leave_queue() else {
            return;
        };
        if reported_kind(slot.id()) == Some(kind::OK) {
            self.gate.release();
        } else {
            // Not served; the slot's drop below makes the ticket dead for `release`.
            self.gate.permits.borrow_mut().forget();
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.give_up();
    }
}
