//! The only code that performs I/O (wasm only): `fetch` through the global or user-supplied
//! function, timers through the global `setTimeout`, cancellation through `AbortSignal`s, and
//! the request loop that applies the core's retry and poll-schedule decisions.
//!
//! It uses globals, never `window()`, so the same code runs in a page, in Node and in a Worker.
//! It does not decide policy (that is `core`) and does not translate provider bodies (that is
//! `providers`).

mod abort;
mod completion;
mod engine;
mod fetch;
mod gate;
mod host;
mod push;
mod realtime;
mod signal;
mod status_stream;
mod stream;
mod timer;
mod wait;
mod watcher;

pub(crate) use engine::{Discover, Engine, Stats};
pub(crate) use fetch::{
    fetch_file, from_js, read_bytes, to_js, FetchFailure, DEFAULT_MAX_RESPONSE_BYTES,
};
pub(crate) use gate::Gate;
pub(crate) use push::PushRegistry;
pub(crate) use realtime::{Lease, RealtimeConfig, RealtimeHub};
pub(crate) use stream::{fetch_open_submit, Opened, StreamReader};
pub(crate) use watcher::{Via, Watcher};

/// Runs `task` to its end on the host's microtask queue, detached. The realtime hub's tasks all
/// go through this one boxed type, so wasm-bindgen-futures' spawn is compiled once for them
/// (each distinct task type costs ~1 KB of wasm). The exported calls' promises have their own
/// (src/js `promise`), which spares them the extra box.
pub(crate) fn spawn(task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(task);
}

/// Milliseconds since the unix epoch, from the host clock.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A uniform random number in `[0, 1)` from the host (jitter only; not for secrets).
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}
