//! src/js/job.js names providers and statuses by index (what wasm passes): its tables must list
//! the names in the order of `Provider::ALL` and `JobStatus::ALL`.

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
