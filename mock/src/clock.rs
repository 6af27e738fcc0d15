//! The mock's notion of "now" and its date formats.
//!
//! Owns: converting a monotonic instant into epoch milliseconds, and rendering epoch times as
//! ISO 8601 UTC (`2024-01-15T10:30:00Z`), HTTP dates or unix seconds. Time is read from tokio's
//! clock, so tests that pause tokio time (`start_paused`, `tokio::time::advance`) drive every job
//! timeline deterministically. Must not touch: jobs, HTTP.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Epoch milliseconds derived from a monotonic origin: `origin_epoch_ms + (now - origin)`.
#[derive(Clone, Debug)]
pub struct Clock {
    origin: Instant,
    origin_epoch_ms: u64,
}

impl Clock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Self {
        let origin_epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self::anchored_at(origin_epoch_ms)
    }

    /// A clock whose "now" is `epoch_ms` at the moment of the call (used by tests).
    pub fn anchored_at(epoch_ms: u64) -> Self {
        Clock {
            origin: Instant::now(),
            origin_epoch_ms: epoch_ms,
        }
    }

    /// Milliseconds since the unix epoch.
    pub fn now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.origin_epoch_ms.saturating_add(elapsed)
    }

    /// How long from now until `epoch_ms` (zero when it has passed).
    pub fn until(&self, epoch_ms: u64) -> Duration {
        Duration::from_millis(epoch_ms.saturating_sub(self.now_ms()))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// Unix seconds (integer) of an epoch-ms time.
pub fn unix_seconds(epoch_ms: u64) -> u64 {
    epoch_ms / 1000
}

/// `epoch_ms` as a `SystemTime`, clamped to 9999-12-31T23:59:59Z (the fixed-width shapes below
/// cannot show later years; the timeline clamps long before that).
fn system_time(epoch_ms: u64) -> std::time::SystemTime {
    let secs = (epoch_ms / 1000).min(253_402_300_799);
    std::time::UNIX_EPOCH + Duration::from_secs(secs)
}

/// An HTTP date (IMF-fixdate, as `Retry-After` and `Date` carry it): `Mon, 15 Jan 2024 10:30:00
/// GMT` (the `httpdate` crate).
pub fn http_date(epoch_ms: u64) -> String {
    httpdate::fmt_http_date(system_time(epoch_ms))
}

/// ISO 8601 UTC with second precision: `2024-01-15T10:30:00Z`, the fields of the HTTP date
/// rearranged (no calendar arithmetic of our own).
pub fn iso8601(epoch_ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let date = http_date(epoch_ms);
    // "Mon, 15 Jan 2024 10:30:00 GMT"
    let fields: Vec<&str> = date.split(' ').collect();
    let month = MONTHS.iter().position(|m| *m == fields[2]).unwrap_or(0) + 1;
    format!("{}-{month:02}-{}T{}Z", fields[3], fields[1], fields[4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_705_314_600_000), "2024-01-15T10:30:00Z");
        assert_eq!(iso8601(1_709_208_000_999), "2024-02-29T12:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(unix_seconds(1_677_858_242_500), 1_677_858_242);
        assert_eq!(
            http_date(1_705_314_600_000),
            "Mon, 15 Jan 2024 10:30:00 GMT"
        );
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
