//! Fault rules: what they say, how they count, which one fires, and the rate mode.
//!
//! Owns: parsing a rule (`mock.faults`, the `x-mock-faults` header; invalid rules are dropped, never
//! an error), the `after`/`times` counters, choosing the one rule that fires on a request, the
//! per-client rule sets (counters per header value), the faults-fired totals, and the seeded rate
//! mode (`--fault-rate`, `--fault-seed`, `--fault-kinds`). Must not touch: responses (the distortion
//! itself lives in `distort`), provider wire formats, job timing.

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// Longest `delay_ms` a rule may ask for (one day).
pub const MAX_DELAY_MS: u64 = 86_400_000;
/// Default `delay_ms` of `slow_headers`.
pub const DEFAULT_DELAY_MS: u64 = 30_000;
/// Most distinct `x-mock-faults` values whose counters are kept; past that the table starts afresh.
const MAX_CLIENTS: usize = 10_000;
/// Most rules one list may hold (the rest are ignored).
const MAX_RULES: usize = 100;

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    TooManyRequests,
    InternalError,
    BadGateway,
    Unavailable,
    GatewayTimeout,
    PayloadTooLarge,
    ResetBefore,
    ResetAfter,
    SlowHeaders,
    TruncatedJson,
    Html200,
    EmptyBody,
    WrongContentType,
    UnknownStatus,
    ProgressOutOfRange,
    ProgressString,
    Gone,
    Regress,
    DuplicateTerminal,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::TooManyRequests,
        Kind::InternalError,
        Kind::BadGateway,
        Kind::Unavailable,
        Kind::GatewayTimeout,
        Kind::PayloadTooLarge,
        Kind::ResetBefore,
        Kind::ResetAfter,
        Kind::SlowHeaders,
        Kind::TruncatedJson,
        Kind::Html200,
        Kind::EmptyBody,
        Kind::WrongContentType,
        Kind::UnknownStatus,
        Kind::ProgressOutOfRange,
        Kind::ProgressString,
        Kind::Gone,
        Kind::Regress,
        Kind::DuplicateTerminal,
    ];

    /// The name used in rules, flags and introspection.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TooManyRequests => "429",
            Kind::InternalError => "500",
            Kind::BadGateway => "502",
            Kind::Unavailable => "503",
            Kind::GatewayTimeout => "504",
            Kind::PayloadTooLarge => "413",
            Kind::ResetBefore => "reset_before",
            Kind::ResetAfter => "reset_after",
            Kind::SlowHeaders => "slow_headers",
            Kind::TruncatedJson => "truncated_json",
            Kind::Html200 => "html_200",
            Kind::EmptyBody => "empty_body",
            Kind::WrongContentType => "wrong_content_type",
            Kind::UnknownStatus => "unknown_status",
            Kind::ProgressOutOfRange => "progress_out_of_range",
            Kind::ProgressString => "progress_string",
            Kind::Gone => "gone",
            Kind::Regress => "regress",
            Kind::DuplicateTerminal => "duplicate_terminal",
        }
    }

    /// A kind by name (`"429"` or `429` alike; names are case-insensitive).
    pub fn parse(v: &Value) -> Option<Kind> {
        let name = match v {
            Value::String(s) => s.trim().to_ascii_lowercase(),
            Value::Number(n) => n.as_u64()?.to_string(),
            _ => return None,
        };
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The HTTP status the client sees instead of the answer, for the kinds that replace it.
    pub fn status(self) -> Option<u16> {
        match self {
            Kind::TooManyRequests => Some(429),
            Kind::InternalError => Some(500),
            Kind::BadGateway => Some(502),
            Kind::Unavailable => Some(503),
            Kind::GatewayTimeout => Some(504),
            Kind::PayloadTooLarge => Some(413),
            Kind::Gone => Some(404),
            _ => None,
        }
    }

    /// Kinds that rewrite members of the job body (they need a 2xx JSON answer with a status word).
    pub fn rewrites_body(self) -> bool {
        matches!(
            self,
            Kind::UnknownStatus | Kind::ProgressOutOfRange | Kind::ProgressString
        )
    }

    /// The kinds the rate mode draws from when `--fault-kinds` is not given.
    pub fn rate_default() -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| {
                !matches!(
                    k,
                    Kind::SlowHeaders
                        | Kind::Gone
                        | Kind::DuplicateTerminal
                        | Kind::PayloadTooLarge
                )
            })
            .collect()
    }

    /// Parses `--fault-kinds` (`k1,k2,...`).
    pub fn parse_list(s: &str) -> Result<Vec<Kind>, String> {
        let mut out = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let k = Kind::parse(&Value::String(name.to_owned()))
                .ok_or_else(|| format!("unknown fault kind: {name}"))?;
            if !out.contains(&k) {
                out.push(k);
            }
        }
        if out.is_empty() {
            return Err("no fault kinds given".to_owned());
        }
        Ok(out)
    }
}

/// Which request of a job (or of a client) a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Submit,
    Status,
    Cancel,
    List,
    /// A push channel's delivery (webhook, Pusher event): only `duplicate_terminal` acts on it,
    /// whatever the rule's `on`.
    Push,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Submit => "submit",
            Op::Status => "status",
            Op::Cancel => "cancel",
            Op::List => "list",
            Op::Push => "push",
        }
    }

    /// `Some(None)` is `"any"`.
    fn parse(v: &Value) -> Option<Option<Op>> {
        match v.as_str()?.trim().to_ascii_lowercase().as_str() {
            "submit" => Some(Some(Op::Submit)),
            "status" => Some(Some(Op::Status)),
            "cancel" => Some(Some(Op::Cancel)),
            "list" => Some(Some(Op::List)),
            "any" => Some(None),
            _ => None,
        }
    }
}

/// One fault rule, as parsed (README "Faults").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub kind: Kind,
    /// `None` = `"any"`.
    pub on: Option<Op>,
    /// Matching requests let through untouched first.
    pub after: u64,
    /// Matching requests distorted; `None` = unlimited.
    pub times: Option<u64>,
    /// `Retry-After` seconds (429 / 503).
    pub retry_after: Option<u64>,
    /// `retry-after-ms` (429 / 503).
    pub retry_after_ms: Option<u64>,
    /// Send `Retry-After` as an HTTP date.
    pub retry_after_date: bool,
    /// `slow_headers`: how long before the status line.
    pub delay_ms: u64,
}

impl Rule {
    /// A rule of `kind` with every other field at its default.
    pub fn new(kind: Kind) -> Self {
        Rule {
            kind,
            on: Some(Op::Status),
            after: 0,
            times: if kind == Kind::Gone { None } else { Some(1) },
            retry_after: None,
            retry_after_ms: None,
            retry_after_date: false,
            delay_ms: DEFAULT_DELAY_MS,
        }
    }

    /// Parses one rule. `None` when it is not an object, its `kind` or `on` is unknown, or a known
    /// field has the wrong type or range. Unknown fields are ignored.
    pub fn parse(v: &Value) -> Option<Rule> {
        let m = v.as_object()?;
        let mut r = Rule::new(Kind::parse(m.get("kind")?)?);
        if let Some(on) = m.get("on") {
            r.on = Op::parse(on)?;
        }
        if let Some(v) = m.get("after") {
            r.after = v.as_u64()?;
        }
        if let Some(v) = m.get("times") {
            r.times = match v.as_i64() {
                Some(-1) => None,
                Some(n) if n >= 0 => Some(n as u64),
                _ => return None,
            };
        }
        if let Some(v) = m.get("retry_after") {
            r.retry_after = Some(amount(v)?);
        }
        if let Some(v) = m.get("retry_after_ms") {
            r.retry_after_ms = Some(amount(v)?);
        }
        if let Some(v) = m.get("retry_after_date") {
            r.retry_after_date = v.as_bool()?;
        }
        if let Some(v) = m.get("delay_ms") {
            r.delay_ms = amount(v)?;
        }
        Some(r)
    }

    /// The rule as introspection shows it (defaults filled in, `times: -1` = unlimited).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), json!(self.kind.as_str()));
        m.insert("on".into(), json!(self.on.map_or("any", Op::as_str)));
        m.insert("after".into(), json!(self.after));
        m.insert("times".into(), self.times.map_or(json!(-1), |t| json!(t)));
        if let Some(s) = self.retry_after {
            m.insert("retry_after".into(), json!(s));
        }
        if let Some(ms) = self.retry_after_ms {
            m.insert("retry_after_ms".into(), json!(ms));
        }
        if self.retry_after_date {
            m.insert("retry_after_date".into(), json!(true));
        }
        if self.kind == Kind::SlowHeaders {
            m.insert("delay_ms".into(), json!(self.delay_ms));
        }
        Value::Object(m)
    }

    fn looks_at(&self, op: Op) -> bool {
        self.on.is_none_or(|o| o == op)
    }
}

/// A non-negative whole amount from a JSON number (fractions round up; capped at `MAX_DELAY_MS`).
fn amount(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n.min(MAX_DELAY_MS));
    }
    let f = v.as_f64().filter(|f| f.is_finite() && *f >= 0.0)?;
    Some(f.ceil().min(MAX_DELAY_MS as f64) as u64)
}

/// The rules of a list (`mock.faults`, the header); anything but an array gives none, and invalid
/// rules are left out.
pub fn parse_rules(v: Option<&Value>) -> Vec<Rule> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .take(MAX_RULES)
            .filter_map(Rule::parse)
            .collect(),
        _ => Vec::new(),
    }
}

/// Where a rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `mock.faults` in the submit body.
    Job,
    /// The rate mode, at submit.
    Rate,
    /// An `x-mock-faults` header.
    Client,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Job => "job",
            Source::Rate => "rate",
            Source::Client => "client",
        }
    }
}

/// A rule with its counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Armed {
    pub rule: Rule,
    pub source: Source,
    /// Matching requests counted so far.
    pub seen: u64,
    /// Requests it distorted so far.
    pub fired: u64,
}

impl Armed {
    pub fn new(rule: Rule, source: Source) -> Self {
        Armed {
            rule,
            source,
            seen: 0,
            fired: 0,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = self.rule.to_json();
        if let Value::Object(m) = &mut v {
            m.insert("source".into(), json!(self.source.as_str()));
            m.insert("fired".into(), json!(self.fired));
        }
        v
    }
}

/// One fault that fired, as recorded on the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub kind: Kind,
    /// The request it fired on.
    pub op: Op,
    pub at_ms: u64,
}

impl Fired {
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind.as_str(), "on": self.op.as_str(), "at_ms": self.at_ms})
    }
}

/// What the request's normal answer allows besides the kinds that always apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applicable {
    /// The answer is 2xx JSON with a `status` word (`unknown_status`, `progress_*` can rewrite it).
    pub body_status: bool,
    /// A status read of a terminal job (`regress` can show it processing).
    pub terminal_status: bool,
}

impl Applicable {
    fn allows(self, kind: Kind) -> bool {
        match kind {
            k if k.rewrites_body() => self.body_status,
            Kind::Regress => self.terminal_status,
            // Push channels only: polling never sees it.
            Kind::DuplicateTerminal => false,
            _ => true,
        }
    }
}

/// Counts one request of kind `op` against `rules` and returns the rule that fires, if any.
///
/// Every rule that applies counts the request (`seen`); the first one that is due (`seen > after`
/// and fewer than `times` fired) fires, unless `taken` (a rule elsewhere already fired). At most one
/// fault per request.
pub fn check(rules: &mut [Armed], op: Op, app: Applicable, taken: bool) -> Option<Rule> {
    let mut out = None;
    for a in rules.iter_mut() {
        if !a.rule.looks_at(op) || !app.allows(a.rule.kind) {
            continue;
        }
        a.seen += 1;
        let due = a.seen > a.rule.after && a.rule.times.is_none_or(|t| a.fired < t);
        if due && out.is_none() && !taken {
            a.fired += 1;
            out = Some(a.rule.clone());
        }
    }
    out
}

/// The rate mode's settings (`--fault-rate`, `--fault-seed`, `--fault-kinds`).
#[derive(Clone, Debug, PartialEq)]
pub struct RateConfig {
    /// Probability (0..1) that a new job gets a rule; 0 turns the mode off.
    pub rate: f64,
    pub seed: u64,
    pub kinds: Vec<Kind>,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            rate: 0.0,
            seed: 1,
            kinds: Kind::rate_default(),
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator; plenty for choosing faults.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The rule the rate mode gives the `n`th job (0-based, counted since start or the last reset).
/// Depends only on the settings and `n`, so a run is replayable from its seed.
pub fn rate_rule(cfg: &RateConfig, n: u64) -> Option<Rule> {
    if cfg.rate.is_nan() || cfg.rate <= 0.0 || cfg.kinds.is_empty() {
        return None;
    }
    let mut s = cfg.seed;
    let mut s = splitmix(&mut s) ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03);
    let u = (splitmix(&mut s) >> 11) as f64 / (1u64 << 53) as f64;
    if u >= cfg.rate {
        return None;
    }
    let kind = cfg.kinds[(splitmix(&mut s) % cfg.kinds.len() as u64) as usize];
    let mut r = Rule::new(kind);
    let status_only = kind.rewrites_body()
        || matches!(
            kind,
            Kind::Regress | Kind::ResetBefore | Kind::Gone | Kind::DuplicateTerminal
        );
    let coin = splitmix(&mut s);
    r.on = Some(if status_only || coin % 2 == 1 {
        Op::Status
    } else {
        Op::Submit
    });
    r.times = Some(1 + splitmix(&mut s) % 3);
    if matches!(kind, Kind::TooManyRequests | Kind::Unavailable) && (coin >> 1) & 1 == 0 {
        r.retry_after = Some(1);
    }
    Some(r)
}

/// Server-wide fault state: per-client rule sets, totals by kind, the rate mode's job counter.
#[derive(Debug, Default)]
pub struct Faults {
    pub rate: RateConfig,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    clients: HashMap<String, Vec<Armed>>,
    fired: BTreeMap<&'static str, u64>,
    jobs: u64,
}

impl Faults {
    pub fn new(rate: RateConfig) -> Self {
        Faults {
            rate,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Called once per created job, in submit order: the rate mode's rule for it, if any.
    pub fn next_job(&self) -> Option<Rule> {
        let n = {
            let mut s = self.lock();
            s.jobs += 1;
            s.jobs - 1
        };
        rate_rule(&self.rate, n)
    }

    /// Counts one request carrying `x-mock-faults: header` against that value's rules.
    pub fn check_client(&self, header: &str, op: Op, app: Applicable, taken: bool) -> Option<Rule> {
        let mut s = self.lock();
        if !s.clients.contains_key(header) {
            if s.clients.len() >= MAX_CLIENTS {
                s.clients.clear();
            }
            let rules = serde_json::from_str::<Value>(header)
                .map(|v| parse_rules(Some(&v)))
                .unwrap_or_default()
                .into_iter()
                .map(|r| Armed::new(r, Source::Client))
                .collect();
            s.clients.insert(header.to_owned(), rules);
        }
        let rules = s.clients.get_mut(header)?;
        check(rules, op, app, taken)
    }

    /// Counts one fired fault in the totals.
    pub fn count(&self, kind: Kind) {
        *self.lock().fired.entry(kind.as_str()).or_insert(0) += 1;
    }

    /// `{kind: n}` for every kind that fired since the last reset.
    pub fn fired_by_kind(&self) -> Value {
        let s = self.lock();
        Value::Object(
            s.fired
                .iter()
                .map(|(k, n)| ((*k).to_owned(), json!(n)))
                .collect(),
        )
    }

    /// Forgets client counters, totals and the rate mode's job count.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_drops_invalid_ones() {
        let rules = parse_rules(Some(&json!([
            {"kind": 429, "on": "submit", "retry_after": 1.2, "retry_after_ms": 1500, "retry_after_date": true},
            {"kind": "GONE"},
            {"kind": "slow_headers", "delay_ms": 1e12},
            {"kind": "500", "times": -1, "after": 2, "extra": "ignored"},
            {"kind": "nope"},
            {"kind": "500", "on": "sometimes"},
            {"kind": "500", "times": -2},
            {"kind": "500", "after": -1},
            {"kind": "500", "after": "1"},
            {"kind": "429", "retry_after": -1},
            {"kind": "slow_headers", "delay_ms": -1.5},
            {"kind": "429", "retry_after_date": "yes"},
            {"on": "status"},
            "500",
            null
        ])));
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[0].kind, Kind::TooManyRequests);
        assert_eq!(rules[0].on, Some(Op::Submit));
        assert_eq!(
            (
                rules[0].retry_after,
                rules[0].retry_after_ms,
                rules[0].retry_after_date
            ),
            (Some(2), Some(1500), true)
        );
        assert_eq!((rules[1].kind, rules[1].times), (Kind::Gone, None));
        assert_eq!(rules[2].delay_ms, MAX_DELAY_MS);
        assert_eq!((rules[3].after, rules[3].times), (2, None));
        assert!(parse_rules(Some(&json!({"kind": "500"}))).is_empty());
        assert!(parse_rules(None).is_empty());
        assert_eq!(
            rules[3].to_json(),
            json!({"kind": "500", "on": "status", "after": 2, "times": -1})
        );
    }

    #[test]
    fn after_and_times_count_matching_requests() {
        let mut r = Rule::new(Kind::InternalError);
        r.after = 2;
        r.times = Some(2);
        let mut rules = vec![Armed::new(r, Source::Job)];
        let app = Applicable::default();
        let got: Vec<bool> = (0..6)
            .map(|_| check(&mut rules, Op::Status, app, false).is_some())
            .collect();
        assert_eq!(got, [false, false, true, true, false, false]);
        // Other operations are not counted.
        assert!(check(&mut rules, Op::Submit, app, false).is_none());
        assert_eq!(rules[0].seen, 6);
    }

    #[test]
    fn the_rate_mode_is_a_function_of_seed_and_order() {
        let cfg = RateConfig {
            rate: 0.3,
            seed: 42,
            kinds: Kind::rate_default(),
        };
        let a: Vec<_> = (0..500).map(|n| rate_rule(&cfg, n)).collect();
        let b: Vec<_> = (0..500).map(|n| rate_rule(&cfg, n)).collect();
        assert_eq!(a, b);
        let other = RateConfig {
            seed: 43,
            ..cfg.clone()
        };
        let c: Vec<_> = (0..500).map(|n| rate_rule(&other, n)).collect();
        assert_ne!(a, c);
        for r in a.iter().flatten() {
            assert!(r.times.is_some_and(|t| (1..=3).contains(&t)));
            assert!(!(r.kind == Kind::ResetBefore && r.on == Some(Op::Submit)));
            assert!(cfg.kinds.contains(&r.kind));
        }
        let off = RateConfig { rate: 0.0, ..cfg };
        assert!((0..100).all(|n| rate_rule(&off, n).is_none()));
    }

    #[test]
    fn kind_lists() {
        assert_eq!(
            Kind::parse_list("429, reset_after,429").unwrap(),
            vec![Kind::TooManyRequests, Kind::ResetAfter]
        );
        assert!(Kind::parse_list("429,bogus").is_err());
        assert!(Kind::parse_list(",").is_err());
        assert_eq!(Kind::parse(&json!(413)), Some(Kind::PayloadTooLarge));
        assert!(!Kind::rate_default().contains(&Kind::PayloadTooLarge));
        assert_eq!(Kind::rate_default().len(), 15);
    }
}
