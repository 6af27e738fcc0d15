//! A wait's deadline as a point in time (unix ms), not a timer: the request loop clamps its
//! sleeps and per-request timeouts to the time left and checks it after each, so a parked wait
//! with `timeoutMs` holds no timer, `AbortController` or listener of its own for it. Pure: the
//! caller passes `now`. It does not abort anything by itself; reading a stream, which cannot be
//! clamped, still needs an abort signal armed with [`Deadline::remaining_ms`].

/// When a wait gives up, or never ([`Deadline::NONE`]). 8 bytes: "never" is an infinite time,
/// not an `Option` (a parked wait keeps one or two of these).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline {
    /// Unix ms; `f64::INFINITY` for none.
    at_ms: f64,
}

impl Default for Deadline {
    fn default() -> Deadline {
        Deadline::NONE
    }
}

impl Deadline {
    /// No deadline: nothing is clamped and [`Deadline::passed`] is always false.
    pub const NONE: Deadline = Deadline {
        at_ms: f64::INFINITY,
    };

    /// The deadline `timeout_ms` after `now_ms`; none when the timeout is absent, not finite or
    /// not positive (as `timeoutMs` is read: 0 or less means "no limit").
    pub fn after(timeout_ms: Option<f64>, now_ms: f64) -> Deadline {
        match timeout_ms {
            Some(ms) if ms.is_finite() && ms > 0.0 => Deadline { at_ms: now_ms + ms },
            _ => Deadline::NONE,
        }
    }

    /// Whether the deadline has come at `now_ms`.
    pub fn passed(self, now_ms: f64) -> bool {
        now_ms >= self.at_ms
    }

    /// Milliseconds left at `now_ms` (0 once passed); `None` without a deadline.
    pub fn remaining_ms(self, now_ms: f64) -> Option<f64> {
        self.at_ms
            .is_finite()
            .then(|| (self.at_ms - now_ms).max(0.0))
    }

    /// `ms`, cut to the time left at `now_ms`.
    pub fn clamp(self, ms: f64, now_ms: f64) -> f64 {
        match self.remaining_ms(now_ms) {
            Some(left) => ms.min(left),
            None => ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_never_passes_and_clamps_nothing() {
        let d = Deadline::NONE;
        assert!(!d.passed(f64::MAX));
        assert_eq!(d.remaining_ms(0.0), None);
        assert_eq!(d.clamp(30_000.0, 1e12), 30_000.0);
    }

    #[test]
    fn absent_zero_negative_or_infinite_timeouts_mean_no_deadline() {
        for t in [
            None,
            Some(0.0),
            Some(-5.0),
            Some(f64::INFINITY),
            Some(f64::NAN),
        ] {
            assert_eq!(Deadline::after(t, 1_000.0), Deadline::NONE, "{t:?}");
        }
    }

    #[test]
    fn passes_at_the_deadline_and_clamps_to_the_time_left() {
        let d = Deadline::after(Some(5_000.0), 1_000.0);
        assert!(!d.passed(5_999.0));
        assert!(d.passed(6_000.0));
        assert_eq!(d.remaining_ms(2_000.0), Some(4_000.0));
        assert_eq!(d.remaining_ms(9_000.0), Some(0.0));
        assert_eq!(d.clamp(30_000.0, 2_000.0), 4_000.0);
        assert_eq!(d.clamp(1_500.0, 2_000.0), 1_500.0);
        assert_eq!(d.clamp(1_500.0, 7_000.0), 0.0);
    }
}
