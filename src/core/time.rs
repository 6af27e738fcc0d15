//! Pure calendar arithmetic: unix time ↔ ISO 8601 UTC strings, and HTTP dates. Used to
//! normalize timestamps (Serika sends unix seconds) and to read ETAs and `Retry-After` dates.
//! It never reads a clock.

/// Formats unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (or with `.mmm` when not whole seconds).
/// Returns `None` for values outside years 0..=9999 or non-finite input.
pub fn unix_ms_to_iso(ms: f64) -> Option<String> {
    if !ms.is_finite() {
        return None;
    }
    let total_ms = ms.round() as i64;
    let secs = total_ms.div_euclid(1000);
    let millis = total_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let mut out = String::with_capacity(24);
    push_num(&mut out, y, 4);
    out.push('-');
    push_num(&mut out, m as i64, 2);
    out.push('-');
    push_num(&mut out, d as i64, 2);
    out.push('T');
    push_num(&mut out, sod / 3600, 2);
    out.push(':');
    push_num(&mut out, (sod % 3600) / 60, 2);
    out.push(':');
    push_num(&mut out, sod % 60, 2);
    if millis != 0 {
        out.push('.');
        push_num(&mut out, millis, 3);
    }
    out.push('Z');
    Some(out)
}

/// Parses an ISO 8601 / RFC 3339 date-time (`2024-01-15T10:30:00Z`, with optional fraction and
/// `±HH:MM` offset; a missing zone is read as UTC) into unix milliseconds.
pub fn iso_to_unix_ms(s: &str) -> Option<f64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ms = 0.0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        let mut scale = 100.0;
        while i < b.len() && b[i].is_ascii_digit() {
            frac_ms += f64::from(b[i] - b'0') * scale;
            scale /= 10.0;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_min: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let rest = &b[i + 1..];
            let (h, m) = match rest.len() {
                5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                2 => (digits(rest, 0, 2)?, 0),
                _ => return None,
            };
            let off = (h * 60 + m) as i64;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year as i64, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
        - offset_min * 60;
    Some(secs as f64 * 1000.0 + frac_ms)
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's preferred IMF-fixdate)
/// into unix milliseconds.
pub fn http_date_to_unix_ms(s: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = s.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_name))? as u32
        + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let hms = parts.next()?.as_bytes();
    let zone = parts.next()?;
    if parts.next().is_some() || !(zone == "GMT" || zone == "UTC") || hms.len() != 8 {
        return None;
    }
    let (h, m, sec) = (digits(hms, 0, 2)?, digits(hms, 3, 2)?, digits(hms, 6, 2)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || !(0..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec)) as f64 * 1000.0)
}

fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = b.get(at..at + len)?;
    let mut n = 0u32;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn push_num(out: &mut String, n: i64, width: usize) {
    let mut s = String::new();
    super::number::push_u64(&mut s, n.unsigned_abs());
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip() {
        // Serika's example created_at.
        assert_eq!(
            unix_ms_to_iso(1_677_858_242_000.0).as_deref(),
            Some("2023-03-03T15:44:02Z")
        );
        assert_eq!(
            iso_to_unix_ms("2023-03-03T15:44:02Z"),
            Some(1_677_858_242_000.0)
        );
        assert_eq!(unix_ms_to_iso(0.0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            unix_ms_to_iso(1_705_314_600_250.0).as_deref(),
            Some("2024-01-15T10:30:00.250Z")
        );
    }

    #[test]
    fn iso_variants() {
        let base = iso_to_unix_ms("2024-01-15T10:30:00Z").unwrap();
        assert_eq!(iso_to_unix_ms("2024-01-15T10:30:00.5Z"), Some(base + 500.0));
        assert_eq!(iso_to_unix_ms("2024-01-15T11:30:00+01:00"), Some(base));
        assert_eq!(iso_to_unix_ms("2024-01-15T10:30:00"), Some(base));
        assert_eq!(iso_to_unix_ms("2024-01-15 10:30:00Z"), Some(base));
        assert_eq!(iso_to_unix_ms("2024-13-15T10:30:00Z"), None);
        assert_eq!(iso_to_unix_ms("not a date at all!!"), None);
        assert_eq!(iso_to_unix_ms("2024-01-15T10:30:00Zjunk"), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date_to_unix_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000.0)
        );
        assert_eq!(http_date_to_unix_ms("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(http_date_to_unix_ms("120"), None);
    }

    #[test]
    fn out_of_range() {
        assert_eq!(unix_ms_to_iso(f64::INFINITY), None);
        assert_eq!(unix_ms_to_iso(1e20), None);
    }
}
