//! The wasm suite in headless Chromium (`wasm-bindgen-test-runner` + chromedriver), calling the
//! mock server cross-origin (its CORS headers are part of what is tested).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod wasm_suite;

wasm_suite_tests!();
