//! The two byte-to-text encodings polyjob writes: lowercase hex (HMAC digests, JSON `\u00XX`
//! escapes) and RFC 3986 percent-encoding (URL path segments and query values). One table each
//! way, shared by every caller. And the one it reads: standard base64 ([`decode_base64`], for
//! `Authorization: Basic` credentials; file contents stay base64 text and are never decoded here).

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `bytes` as lowercase hex.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(LOWER[usize::from(b >> 4)] as char);
        out.push(LOWER[usize::from(b & 0xf)] as char);
    }
}

/// Appends `s` percent-encoded (`%XX`, uppercase), leaving the RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) as they are.
pub fn push_percent_encoded(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(UPPER[usize::from(b >> 4)] as char);
            out.push(UPPER[usize::from(b & 0xf)] as char);
        }
    }
}

/// Decodes standard base64 (RFC 4648 §4: `A-Z a-z 0-9 + /`, `=` padding to a multiple of 4
/// characters). `None` for anything else: other characters, a wrong length, misplaced padding, or
/// non-zero bits after the last byte. Not constant-time in the content: callers compare what it
/// yields with `subtle`, not the text.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in &b[..b.len() - pad] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // The leftover bits of the last group are padding: they must be zero (canonical form).
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_percent() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0x0f, 0xa5, 0xff]);
        assert_eq!(s, "000fa5ff");
        let mut s = String::new();
        push_percent_encoded(&mut s, "a b/c?d#é~-._");
        assert_eq!(s, "a%20b%2Fc%3Fd%23%C3%A9~-._");
    }

    #[test]
    fn base64_rfc4648_vectors_and_refusals() {
        for (text, bytes) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("dXNlcjpwYXNzOndvcmQ=", "user:pass:word"),
        ] {
            assert_eq!(
                decode_base64(text).as_deref(),
                Some(bytes.as_bytes()),
                "{text}"
            );
        }
        assert_eq!(decode_base64("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        for bad in [
            "Zg",
            "Zg=",
            "Zg===",
            "Z===",
            "====",
            "Zm9v\n",
            "Zm 9",
            "Zm-_",
            "Zh==",
            "Zm9=",
            "Z=g=",
            "=Zg=",
            "é",
            "Zm9vYmFy====",
        ] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }
}
