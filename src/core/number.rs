//! Decimal numbers without `core::fmt` and without core's float parser: a reader for the numbers
//! providers put in strings and headers (`"45.50"`, `Retry-After: 7`, unix timestamps), the
//! decimal→binary conversion behind [`super::json::parse`], and the binary→decimal writer behind
//! `Json::to_json_string`. It exists instead of `str::parse::<f64>` / `{}` formatting to keep
//! core's float tables (~10 KB) out of the wasm. [`parse_decimal`] reads plain decimals with an
//! optional sign and fraction, not exponents, `inf` or `NaN`.
//!
//! Precision: [`from_decimal_parts`] is exact (correctly rounded) for mantissas below 2^53 with
//! `|exp10| <= 22`; otherwise it multiplies the 64-bit mantissa by a 128-bit power of ten
//! (computed with integers, relative error below 2^-118) and rounds once: correctly rounded
//! except when the value lies within about 2^-60 ulp of a halfway point, and then at most 1 ulp
//! off. [`push_f64`] writes the shortest digit
//! string (up to 17 significant digits) that reads back to the same `f64` through
//! [`from_decimal_parts`].

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

/// `10^0 ..= 10^22`: every one is exactly representable as an `f64`.
const POW10_EXACT: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `x / 10` by long division in 32-bit limbs: wasm divides 64-bit integers natively, while a
/// 128-bit `/` pulls in compiler-builtins' generic 128-bit division (~1 KB).
fn div10(x: u128) -> u128 {
    let mut quotient: u128 = 0;
    let mut rem: u64 = 0;
    for shift in [96u32, 64, 32, 0] {
        let cur = (rem << 32) | ((x >> shift) as u32 as u64);
        quotient |= u128::from(cur / 10) << shift;
        rem = cur % 10;
    }
    quotient
}

/// `10^e` as a normalized 128-bit mantissa (top bit set) and a binary exponent:
/// `10^e ≈ hi · 2^exp`, truncated, relative error below `2^-118` for `|e| <= 400`.
fn pow10_wide(e: i32) -> (u128, i32) {
    let mut hi: u128 = 1 << 127;
    let mut exp: i32 = -127;
    if e >= 0 {
        for _ in 0..e {
            // hi ∈ [2^127, 2^128): (hi >> 4) · 10 < 2^128.
            let next = (hi >> 4) * 10;
            let lz = next.leading_zeros();
            hi = next << lz;
            exp += 4 - lz as i32;
        }
    } else {
        for _ in 0..e.unsigned_abs() {
            let next = div10(hi);
            let lz = next.leading_zeros();
            hi = next << lz;
            exp -= lz as i32;
        }
    }
    (hi, exp)
}

/// `mantissa · 10^exp10` as the nearest `f64` (see the module doc for precision); `None` when
/// the value overflows `f64`. Values below the smallest subnormal become `0.0`.
pub fn from_decimal_parts(mantissa: u64, exp10: i32) -> Option<f64> {
    if mantissa == 0 {
        return Some(0.0);
    }
    if mantissa < (1u64 << 53) && (-22..=22).contains(&exp10) {
        // Both operands exact: one IEEE rounding, so correctly rounded.
        let m = mantissa as f64;
        let p = POW10_EXACT[exp10.unsigned_abs() as usize];
        return Some(if exp10 >= 0 { m * p } else { m / p });
    }
    // mantissa < 2^64 < 10^20: below 10^(exp10+20); at least 10^exp10.
    if exp10 < -345 {
        return Some(0.0);
    }
    if exp10 > 309 {
        return None;
    }
    let (p_hi, p_exp) = pow10_wide(exp10);
    let m_lz = mantissa.leading_zeros();
    let m = mantissa << m_lz;
    // The top 128 bits of the 192-bit product m · p_hi (both halves of the power used).
    let high = u128::from(m) * (p_hi >> 64);
    let low = (u128::from(m) * u128::from(p_hi as u64)) >> 64;
    let mut prod = high + low; // ∈ [2^126, 2^128); no overflow: high <= (2^64-1)^2
    let mut exp2 = p_exp + 64 - m_lz as i32;
    let lz = prod.leading_zeros();
    prod <<= lz;
    exp2 -= lz as i32;
    // value = prod · 2^exp2 with prod ∈ [2^127, 2^128): unbiased exponent e = exp2 + 127.
    let e = exp2 + 127;
    if e > 1023 {
        return None;
    }
    // Bits of prod to drop: 75 keeps 53 for a normal; more for a subnormal.
    let shift: u32 = if e >= -1022 {
        75
    } else {
        let extra = (-1022 - e) as u32;
        if 75 + extra > 128 {
            return Some(0.0);
        }
        75 + extra
    };
    let (mut mant, rem, half) = if shift == 128 {
        (0u64, prod, 1u128 << 127)
    } else {
        (
            (prod >> shift) as u64,
            prod & ((1u128 << shift) - 1),
            1u128 << (shift - 1),
        )
    };
    if rem > half || (rem == half && mant & 1 == 1) {
        mant += 1;
    }
    let bits = if e >= -1022 {
        let mut e = e;
        if mant == 1 << 53 {
            mant >>= 1;
            e += 1;
            if e > 1023 {
                return None;
            }
        }
        ((e + 1023) as u64) << 52 | (mant & ((1 << 52) - 1))
    } else {
        // A subnormal; a carry into bit 52 is exactly the smallest normal.
        mant
    };
    Some(f64::from_bits(bits))
}

/// `10^n` for `n <= 19`.
fn pow10_u64(n: u32) -> u64 {
    let mut p = 1u64;
    for _ in 0..n {
        p *= 10;
    }
    p
}

/// `round(v · 10^s)` for a positive finite `v`, computed with integers; `None` when it does not
/// fit the working range (the caller then adjusts `s`).
fn scaled_round(v: f64, s: i32) -> Option<u64> {
    let bits = v.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e2) = if raw_exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), raw_exp - 1075)
    };
    let (p_hi, p_exp) = pow10_wide(s);
    let p = (p_hi >> 64) as u64;
    let prod = u128::from(m) * u128::from(p);
    // value = prod · 2^(e2 + p_exp + 64)
    let shift = -(e2 + p_exp + 64);
    if !(1..=127).contains(&shift) {
        return None;
    }
    let q = prod >> shift;
    let round = (prod >> (shift - 1)) & 1;
    u64::try_from(q + round).ok()
}

/// Appends a finite `f64` in JSON/JavaScript form: integers below 2^53 exactly (`42`, `-7`),
/// otherwise the shortest significant digits that read back to the same value (`0.1`, `1.5e-7`,
/// `1e+21`), in JavaScript's `Number.prototype.toString` layout. Non-finite values append `null`.
pub fn push_f64(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    if v == 0.0 {
        out.push('0');
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    let a = v.abs();
    if a.fract() == 0.0 && a < 9_007_199_254_740_992.0 {
        push_u64(out, a as u64);
        return;
    }
    let (digits, k) = shortest_digits(a);
    push_digits(out, digits, k);
}

/// The shortest `(digits, k)` with `a == digits.d₁d₂… × 10^k` (one leading digit before the
/// point) that round-trips through [`from_decimal_parts`]; `digits` has no trailing zeros.
fn shortest_digits(a: f64) -> (u64, i32) {
    let bits = a.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    // floor(log2 a), then an estimate of floor(log10 a) that is at most 1 off.
    let log2 = if raw_exp == 0 {
        -1074 + 63 - frac.leading_zeros() as i32
    } else {
        raw_exp - 1023
    };
    let mut k = (log2 * 78_913) >> 18;
    // 17 significant digits: d17 ∈ [10^16, 10^17).
    let mut d17 = 0u64;
    for _ in 0..4 {
        match scaled_round(a, 16 - k) {
            Some(d) if d >= 100_000_000_000_000_000 => k += 1,
            Some(d) if d < 10_000_000_000_000_000 => k -= 1,
            Some(d) => {
                d17 = d;
                break;
            }
            None => break,
        }
    }
    if d17 == 0 {
        // Not reached for finite non-zero input; keep a sane answer regardless.
        return (1, k);
    }
    for p in 1..17u32 {
        // Rounded directly (not from d17) so that no double rounding creeps in.
        let Some(mut d) = scaled_round(a, p as i32 - 1 - k) else {
            continue;
        };
        let mut kk = k;
        if d == pow10_u64(p) {
            d /= 10;
            kk += 1;
        }
        // Check the digits exactly as they will be printed (and read back): trimmed.
        let mut exp10 = kk - (p as i32 - 1);
        while d % 10 == 0 && d != 0 {
            d /= 10;
            exp10 += 1;
        }
        if from_decimal_parts(d, exp10) == Some(a) {
            return (d, kk);
        }
    }
    // 17 digits always identify a double; also try the neighbours in case the reader lands
    // one ulp off for the nearest one.
    for d in [d17, d17 + 1, d17 - 1] {
        let mut d = d;
        let mut exp10 = k - 16;
        while d % 10 == 0 && d != 0 {
            d /= 10;
            exp10 += 1;
        }
        if from_decimal_parts(d, exp10) == Some(a) {
            return (d, k);
        }
    }
    let mut d = d17;
    while d % 10 == 0 && d != 0 {
        d /= 10;
    }
    (d, k)
}

/// Lays out `digits × 10^(k - len + 1)` the way JavaScript prints numbers.
fn push_digits(out: &mut String, digits: u64, k: i32) {
    let mut s = String::new();
    push_u64(&mut s, digits);
    let n = s.len() as i32;
    if (0..21).contains(&k) {
        if k + 1 >= n {
            out.push_str(&s);
            for _ in 0..(k + 1 - n) {
                out.push('0');
            }
        } else {
            out.push_str(&s[..(k + 1) as usize]);
            out.push('.');
            out.push_str(&s[(k + 1) as usize..]);
        }
    } else if (-6..0).contains(&k) {
        out.push_str("0.");
        for _ in 0..(-k - 1) {
            out.push('0');
        }
        out.push_str(&s);
    } else {
        out.push_str(&s[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&s[1..]);
        }
        out.push('e');
        out.push(if k < 0 { '-' } else { '+' });
        push_u64(out, u64::from(k.unsigned_abs()));
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn div10_matches_128_bit_division() {
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for _ in 0..2000 {
            assert_eq!(div10(x), x / 10, "{x:#x}");
            x = x.rotate_left(7) ^ (x >> 3).wrapping_mul(0x2545_f491_4f6c_dd1d);
        }
        for x in [
            0u128,
            9,
            10,
            11,
            u128::MAX,
            u128::MAX - 5,
            1 << 127,
            (1 << 64) * 10 - 1,
        ] {
            assert_eq!(div10(x), x / 10, "{x:#x}");
        }
    }

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
    #[test]
    fn decimal_parts_match_std() {
        let cases: &[(u64, i32)] = &[
            (1, 0),
            (5, -324),
            (2, -324),
            (3, -324),
            (24703282292062327, -340),
            (24703282292062328, -340),
            (22250738585072011, -324),
            (22250738585072014, -324),
            (17976931348623157, 292),
            (17976931348623158, 292),
            (123456789012345678, -5),
            (9007199254740993, 0),
            (u64::MAX, 0),
            (u64::MAX, 289),
            (1, 23),
            (1, -23),
            (7, 308),
            (1, 400),
            (1, -400),
            (4_940_656_458_412, -336),
        ];
        for &(m, e) in cases {
            agrees_with_std(m, e);
        }
    }

    /// `from_decimal_parts(m, e)` equals std's parse of "{m}e{e}" (None where std overflows).
    fn agrees_with_std(m: u64, e: i32) {
        let mut s = String::new();
        push_u64(&mut s, m);
        s.push('e');
        if e < 0 {
            s.push('-');
        }
        push_u64(&mut s, u64::from(e.unsigned_abs()));
        let want: f64 = s.parse().unwrap();
        let got = from_decimal_parts(m, e);
        if want.is_infinite() {
            assert_eq!(got, None, "{s}");
        } else {
            assert_eq!(got, Some(want), "{s}");
        }
    }

    #[test]
    fn decimal_parts_are_correctly_rounded_on_a_random_spread() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = x >> (x % 64);
            let e = (x % 700) as i32 - 350;
            agrees_with_std(m, e);
        }
    }

    #[test]
    fn decimal_parts_fast_path_is_exact() {
        for (m, e, want) in [
            (1u64, -1, 0.1),
            (45, -2, 0.45),
            (123, 20, 123e20),
            (3, -22, 3e-22),
        ] {
            assert_eq!(from_decimal_parts(m, e), Some(want));
        }
    }

    fn f(v: f64) -> String {
        let mut s = String::new();
        push_f64(&mut s, v);
        s
    }

    #[test]
    fn floats_print_like_javascript() {
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(42.0), "42");
        assert_eq!(f(-7.0), "-7");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(0.45), "0.45");
        assert_eq!(f(-1.5), "-1.5");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(123456.789), "123456.789");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(f64::NAN), "null");
        assert_eq!(f(f64::INFINITY), "null");
    }

    #[test]
    fn floats_round_trip_and_are_shortest() {
        // A deterministic spread of bit patterns; the digit count must match std's shortest.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if !v.is_finite() {
                continue;
            }
            let s = f(v);
            let back: f64 = s.parse().unwrap();
            assert_eq!(back, if v == 0.0 { 0.0 } else { v }, "{v:e} printed as {s}");
            let std_digits = format!("{:e}", v.abs())
                .split('e')
                .next()
                .unwrap()
                .replace('.', "")
                .len();
            let ours = s
                .trim_start_matches('-')
                .split('e')
                .next()
                .unwrap()
                .replace('.', "")
                .trim_start_matches('0')
                .trim_end_matches('0')
                .len();
            if !(v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0) {
                assert!(ours <= std_digits, "{v:e} printed as {s}");
            }
        }
    }
}
