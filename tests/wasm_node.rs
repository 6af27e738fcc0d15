//! The wasm suite in Node (`wasm-bindgen-test-runner`, Node's global fetch).
#![cfg(target_arch = "wasm32")]

mod wasm_suite;

wasm_suite_tests!();
