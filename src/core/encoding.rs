//! The two byte-to-text encodings polyjob writes: lowercase hex (HMAC digests, JSON `\u00XX`
//! escapes) and RFC 3986 percent-encoding (URL path segments and query values). One table each
//! way, shared by every caller.

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
}
