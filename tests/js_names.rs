//! Numbers shared by Rust and the JS snippets, declared on each side and checked here:
//! src/js/job.js names providers and statuses by index (what wasm passes), so its tables must list
//! the names in the order of `Provider::ALL` and `JobStatus::ALL`; src/transport/exchange.js
//! reports outcome kinds and takes methods by number, so its constants must be completion.rs's
//! and fetch.rs's.

use polyjob::core::{JobStatus, Provider};

/// The string items of `const NAME = [...]` in job.js.
fn js_table(name: &str) -> Vec<String> {
    let source = include_str!("../src/js/job.js");
    let start = source
        .find(&format!("const {name} = ["))
        .unwrap_or_else(|| panic!("job.js has no table {name}"));
    let body = &source[start..];
    let body = &body[body.find('[').unwrap() + 1..body.find(']').unwrap()];
    body.split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

#[test]
fn provider_names_follow_provider_all() {
    let want: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(js_table("PROVIDERS"), want);
}

#[test]
fn status_names_follow_job_status_all() {
    let want: Vec<&str> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(js_table("STATUSES"), want);
}

/// `name = value` pairs of `const A = 0, B = 1;` declarations in `source` (JS) or of
/// `pub(crate) const A: u32 = 0;` lines (Rust).
fn numbered(source: &str, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|name| {
            let value = [format!("{name} = "), format!("{name}: u32 = ")]
                .iter()
                .find_map(|key| {
                    let at = source.find(key.as_str())? + key.len();
                    let digits: String = source[at..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    (!digits.is_empty()).then_some(digits)
                })
                .unwrap_or_else(|| panic!("no number for {name}"));
            (name.to_string(), value)
        })
        .collect()
}

/// exchange.js reports outcomes to wasm by number: its kinds must be completion.rs's.
#[test]
fn exchange_js_kinds_are_completion_rs_kinds() {
    let js = include_str!("../src/transport/exchange.js");
    let rust = include_str!("../src/transport/completion.rs");
    let names = ["OK", "NETWORK", "TIMEOUT", "ABORTED", "TOO_LARGE", "SIGNAL"];
    assert_eq!(numbered(js, &names), numbered(rust, &names));
}

/// fetch.rs sends a method as its index in exchange.js's METHODS.
#[test]
fn exchange_js_methods_follow_method_code() {
    let js = include_str!("../src/transport/exchange.js");
    let start = js.find("const METHODS = [").expect("METHODS");
    let body = &js[start..];
    let body = &body[body.find('[').unwrap() + 1..body.find(']').unwrap()];
    let methods: Vec<&str> = body
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .collect();
    let rust = include_str!("../src/transport/fetch.rs");
    for (i, m) in methods.iter().enumerate() {
        let arm = format!("Method::{}{} => {i},", &m[..1], m[1..].to_ascii_lowercase());
        assert!(rust.contains(&arm), "fetch.rs method_code lacks `{arm}`");
    }
}
