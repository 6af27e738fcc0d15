//! Single-threaded async plumbing for the push channels: a [`Mailbox`] that one side fills
//! (a WebSocket handler, an SSE reader) and one waiter drains, and [`race`], which awaits two
//! futures and returns the first to finish. No timers, no I/O.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Which of two raced futures finished first.
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Awaits `a` and `b` together; returns the first result (the other future is dropped, which
/// cancels it: our sleeps and fetches clean up on drop).
pub(crate) fn race<A: Future, B: Future>(a: A, b: B) -> Race<A, B> {
    Race { a, b }
}

/// The future of [`race`]: the two futures side by side, nothing else. (An `async fn` would
/// keep each argument twice, as an argument and as a pinned local: a parked wait is such a
/// race, so that copy would be paid once per tracked job.)
pub(crate) struct Race<A, B> {
    a: A,
    b: B,
}

impl<A: Future, B: Future> Future for Race<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `a` and `b` are pinned structurally: they are never moved out of a pinned
        // `Race` (no method hands them out by value, and `Race` has no `Drop` impl), and `Race`
        // is `Unpin` only when both are (the auto impl).
        let this = unsafe { self.get_unchecked_mut() };
        if let Poll::Ready(v) = unsafe { Pin::new_unchecked(&mut this.a) }.poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = unsafe { Pin::new_unchecked(&mut this.b) }.poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    }
}

struct Inner<T> {
    /// Oldest first; a few at a time (a `Vec`: smaller wasm than a `VecDeque`).
    queue: Vec<T>,
    waker: Option<Waker>,
    closed: bool,
}

/// A FIFO of items with one async reader. Cloning gives another handle to the same mailbox.
pub(crate) struct Mailbox<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Clone for Mailbox<T> {
    fn clone(&self) -> Self {
        Mailbox {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Mailbox<T> {
    pub(crate) fn new() -> Mailbox<T> {
        Mailbox {
            inner: Rc::new(RefCell::new(Inner {
                queue: Vec::new(),
                waker: None,
                closed: false,
            })),
        }
    }

    /// Adds an item and wakes the reader. Items sent after [`Mailbox::close`] are dropped.
    pub(crate) fn send(&self, item: T) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            if inner.closed {
                return;
            }
            inner.queue.push(item);
            inner.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The next item, or `None` once closed and drained.
    pub(crate) async fn recv(&self) -> Option<T> {
        poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            if !inner.queue.is_empty() {
                let item = inner.queue.remove(0);
                return Poll::Ready(Some(item));
            }
            if inner.closed {
                return Poll::Ready(None);
            }
            inner.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Whether `other` is a handle to this same mailbox.
    pub(crate) fn same_as(&self, other: &Mailbox<T>) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Takes every queued item without waiting.
    pub(crate) fn drain(&self) -> Vec<T> {
        self.inner.borrow_mut().queue.drain(..).collect()
    }
}
