//! Completions from the JS side, delivered through one shared callback: an operation (a
//! request, a sleep's abort watch) takes a numbered [`Slot`], hands the number to JS, and awaits
//! the slot; JS calls the one `settle(slot, kind, status, headers, payload, bytes)` function
//! when it ends (the payload: an error's text or an opened Response; the bytes: a body or a
//! chunk of one, copied into wasm memory by the call itself).
//!
//! This replaces, per request, a JS promise, two `Closure`s (each a JS function plus a
//! finalization-registry entry) and a `JsFuture` (a parked wait's sleep is a gloo-timers timeout;
//! only its abort watch is a slot). It does not decide anything: it only routes what JS reports to the future
//! waiting for it. A slot number carries a generation, so a report for a slot that was given up
//! (its future dropped) and reused is ignored.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

use super::host::js_install;

/// What JS reports, by `kind` (numbers shared with exchange.js; tests/js_names.rs checks that
/// both sides declare the same).
pub(crate) mod kind {
    /// An operation succeeded. An exchange: `status`, `headers` (the read headers,
    /// `\n`-joined), the body's bytes; an open: the Response as payload; a stream read: status
    /// 1 at the end, else the chunk's bytes; a body read: its bytes.
    pub(crate) const OK: u32 = 0;
    /// An operation failed: the host's message in `headers`' place, its error as the payload.
    pub(crate) const NETWORK: u32 = 1;
    /// An exchange's own timeout fired.
    pub(crate) const TIMEOUT: u32 = 2;
    /// An exchange's parent signal fired.
    pub(crate) const ABORTED: u32 = 3;
    /// An exchange's body passed the size cap.
    pub(crate) const TOO_LARGE: u32 = 4;
    /// A watched signal fired (see `watchAbort`).
    pub(crate) const SIGNAL: u32 = 5;
}

/// One report from JS.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) kind: u32,
    pub(crate) status: u16,
    /// OK from an exchange: the read headers, `\n`-joined; NETWORK: the failure's text.
    pub(crate) headers: Option<String>,
    pub(crate) payload: JsValue,
    pub(crate) bytes: Option<Vec<u8>>,
}

impl Report {
    /// A failure's text (a NETWORK report carries it in the headers' place).
    pub(crate) fn text(&self) -> Option<String> {
        self.headers.clone()
    }
}

/// A slot's state. The report is boxed: an entry is then 16 bytes instead of 48, and every
/// parked wait's sleep holds one entry (in a table grown for the most ever pending at once).
enum State {
    Free,
    Waiting(Option<Waker>),
    Done(Box<Report>),
}

struct Entry {
    generation: u32,
    state: State,
}

#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    free: Vec<u32>,
}

/// Slot numbers: the low 20 bits index the table, the high 12 bits are the generation.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// The shared settle function: `(slot, kind, status, headers, payload, bytes)`.
type SettleFn = Closure<dyn FnMut(u32, u32, u32, Option<String>, JsValue, Option<Vec<u8>>)>;

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
    /// The settle function given to JS; kept for the instance's lifetime.
    static INSTALLED: RefCell<Option<SettleFn>> = const { RefCell::new(None) };
}

/// Hands the shared settle function to exchange.js, once.
fn ensure_installed() {
    INSTALLED.with(|installed| {
        let mut installed = installed.borrow_mut();
        if installed.is_none() {
            let settle = SettleFn::new(
                |slot: u32,
                 kind: u32,
                 status: u32,
                 headers: Option<String>,
                 payload: JsValue,
                 bytes: Option<Vec<u8>>| {
                    settle(
                        slot,
                        Report {
                            kind,
                            status: status.min(u16::MAX as u32) as u16,
                            headers,
                            payload,
                            bytes,
                        },
                    );
                },
            );
            js_install(settle.as_ref());
            *installed = Some(settle);
        }
    });
}

/// Stores `report` in `slot` and wakes its future; ignored when the slot was given up.
fn settle(slot: u32, report: Report) {
    let waker = TABLE.with(|table| {
        let mut table = table.borrow_mut();
        let entry = table.entries.get_mut((slot & INDEX_MASK) as usize)?;
        if entry.generation != slot >> INDEX_BITS || !matches!(entry.state, State::Waiting(_)) {
            return None;
        }
        match std::mem::replace(&mut entry.state, State::Done(Box::new(report))) {
            State::Waiting(waker) => waker,
            _ => None,
        }
    });
    if let Some(w) = waker {
        w.wake();
    }
}

/// Whether `slot` still awaits its report (false once reported, or given up).
pub(crate) fn is_waiting(slot: u32) -> bool {
    TABLE.with(|table| {
        table
            .borrow()
            .entries
            .get((slot & INDEX_MASK) as usize)
            .is_some_and(|e| {
                e.generation == slot >> INDEX_BITS && matches!(e.state, State::Waiting(_))
            })
    })
}

/// The kind of the report `slot` holds, once reported and not yet taken by its future.
pub(crate) fn reported_kind(slot: u32) -> Option<u32> {
    TABLE.with(|table| {
        let table = table.borrow();
        let entry = table.entries.get((slot & INDEX_MASK) as usize)?;
        match &entry.state {
            State::Done(report) if entry.generation == slot >> INDEX_BITS => Some(report.kind),
            _ => None,
        }
    })
}

/// Wakes `slot` with a report of `kind` and nothing else (a timer's end).
pub(crate) fn settle_kind(slot: u32, kind: u32) {
    settle(
        slot,
        Report {
            kind,
            status: 0,
            headers: None,
            payload: JsValue::UNDEFINED,
            bytes: None,
        },
    );
}

/// A numbered place for one JS report; awaiting it yields the report. Dropping it gives the
/// number up: a later report for it is ignored.
pub(crate) struct Slot {
    id: u32,
}

impl Slot {
    /// Takes a free slot (installing the shared settle function on first use, so JS can
    /// report to it).
    pub(crate) fn new() -> Slot {
        ensure_installed();
        TABLE.with(|table| {
            let mut table = table.borrow_mut();
            let index = match table.free.pop() {
                Some(i) => i,
                None => {
                    table.entries.push(Entry {
                        generation: 0,
                        state: State::Free,
                    });
                    (table.entries.len() - 1) as u32
                }
            };
            let entry = &mut table.entries[index as usize];
            entry.state = State::Waiting(None);
            Slot {
                id: (entry.generation << INDEX_BITS) | index,
            }
        })
    }

    /// The number JS reports to.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Future for Slot {
    type Output = Report;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Report> {
        let id = self.id;
        TABLE.with(|table| {
            let mut table = table.borrow_mut();
            let entry = &mut table.entries[(id & INDEX_MASK) as usize];
            match std::mem::replace(&mut entry.state, State::Waiting(None)) {
                State::Done(report) => Poll::Ready(*report),
                State::Waiting(Some(w)) if w.will_wake(cx.waker()) => {
                    entry.state = State::Waiting(Some(w));
                    Poll::Pending
                }
                _ => {
                    entry.state = State::Waiting(Some(cx.waker().clone()));
                    Poll::Pending
                }
            }
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let index = self.id & INDEX_MASK;
        TABLE.with(|table| {
            let mut table = table.borrow_mut();
            let entry = &mut table.entries[index as usize];
            entry.state = State::Free;
            entry.generation = (entry.generation + 1) & ((1 << (32 - INDEX_BITS)) - 1);
            table.free.push(index);
        });
    }
}
