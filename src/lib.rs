//! polyjob: one normalized async [`Job`](core::Job) model over the job APIs of AI-inference
//! providers (Socaity, Optexity, deAPI, Serika), compiled to WebAssembly for pages, Node and
//! Cloudflare Workers.
//!
//! Layers, from pure to effectful:
//! - [`core`]: the normalized job, statuses, errors, the JSON value type, and the retry and
//!   poll-schedule policies. No I/O, no clock, no randomness: time and jitter are passed in.
//! - [`providers`]: one pure translator per provider, request → [`core::HttpRequest`] and
//!   response → [`core::Job`]. No I/O either.
//! - `transport` (wasm only): the only code that performs I/O — `fetch`, timers, abort signals —
//!   and the request loop that applies the core policies.
//! - `js` (wasm only): the only `#[wasm_bindgen]` export surface (`JobClient`, `JobWatch`,
//!   `JobStream`, `isTerminal`, `loadFile`, `verifyWebhook`, `WebhookDeduper`).
//!
//! What this crate does not do: it never stores jobs, never reads a clock outside `transport`
//! (and `js::webhook`, which reads `Date.now()` for a webhook's replay window when the caller
//! passes no `now`),
//! and never puts an API key anywhere but the provider's auth header.

pub mod core;
pub mod providers;

#[cfg(target_arch = "wasm32")]
mod transport;

/// The JS export surface (wasm only). Public so that wasm tests can drive the exact exported
/// API; JS users see it as the package's exports.
#[cfg(target_arch = "wasm32")]
pub mod js;

/// The wasm's global allocator: talc (size-binned free lists, grows linear memory on demand)
/// instead of std's dlmalloc, which is bigger (~6 KB of code) and slower for the many small,
/// short-lived allocations of parsing and normalizing status bodies. Single-threaded wasm only.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
