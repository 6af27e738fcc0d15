//! The proptest configuration shared by the fuzz tests (`fuzz.rs`, `json_differential.rs`):
//! cases per property from `POLYJOB_FUZZ_CASES` (default 2,000; `scripts/fuzz.sh` runs 1.2 M).

use proptest::test_runner::Config as ProptestConfig;

/// Cases per property.
fn cases() -> u32 {
    match std::env::var("POLYJOB_FUZZ_CASES") {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("POLYJOB_FUZZ_CASES must be a number, got {v:?}")),
        Err(_) => 2_000,
    }
}

/// The config every property runs with.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Failures are reported with the minimal input; nothing is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
