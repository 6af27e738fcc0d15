//! A small decimal-number reader for the numbers providers put in strings and headers
//! (`"45.50"`, `Retry-After: 7`, unix timestamps). It exists instead of `str::parse::<f64>` to
//! keep core's float-parsing tables (~10 KB) out of the wasm; it reads plain decimals with an
//! optional sign and fraction, not exponents, `inf` or `NaN`.

/// Parses `[+-]digits[.digits]` (or `.digits`), surrounding ASCII whitespace allowed.
/// Exact for up to 15 significant digits (integer mantissa divided by a power of ten).
pub fn parse_decimal(s: &str) -> Option<f64> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut mantissa: f64 = 0.0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        mantissa = mantissa * 10.0 + f64::from(b - b'0');
    }
    let scale = pow10(frac_part.len())?;
    let value = mantissa / scale;
    if !value.is_finite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

fn pow10(n: usize) -> Option<f64> {
    if n > 308 {
        return None;
    }
    let mut p = 1.0;
    for _ in 0..n {
        p *= 10.0;
    }
    Some(p)
}

/// Writes a non-negative integer in decimal (no `core::fmt`).
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("45.50"), Some(45.5));
        assert_eq!(parse_decimal(" 7 "), Some(7.0));
        assert_eq!(parse_decimal("-3"), Some(-3.0));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("5."), Some(5.0));
        assert_eq!(parse_decimal("0.1"), Some(0.1));
        assert_eq!(parse_decimal("1677858242"), Some(1_677_858_242.0));
        for bad in [
            "", ".", "-", "1e5", "NaN", "inf", "1.2.3", "12a", "--1", " ",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn agrees_with_std_on_short_decimals() {
        for s in ["0.45", "99.99", "12.5", "100", "0.001", "123456.789"] {
            assert_eq!(parse_decimal(s), s.parse::<f64>().ok(), "{s}");
        }
    }

    #[test]
    fn integers() {
        for n in [0u64, 7, 10, 429, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
