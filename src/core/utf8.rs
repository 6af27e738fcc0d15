//! Bytes to text as the web platform decodes them (the Encoding standard's "UTF-8 decode", what
//! `Response.text()` and `TextDecoder` do): a leading byte-order mark is dropped and each
//! invalid sequence becomes one U+FFFD. Written with `from_utf8` alone: std's
//! `from_utf8_lossy` brings its own chunk iterator (~1 KB of wasm) for what is a rare path.

/// `bytes` as text: valid UTF-8 is taken as is (no copy), a leading BOM is dropped, invalid
/// sequences are replaced. Never fails.
pub fn decode(mut bytes: Vec<u8>) -> String {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => lossy(e.as_bytes()),
    }
}

/// `bytes` as text, each invalid UTF-8 sequence (its maximal subpart) replaced by U+FFFD, as
/// `String::from_utf8_lossy` does. The BOM, if any, is kept.
pub fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    loop {
        match core::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(core::str::from_utf8(valid).unwrap_or(""));
                out.push(char::REPLACEMENT_CHARACTER);
                rest = &after[e.error_len().unwrap_or(after.len())..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: [&[u8]; 10] = [
        b"plain",
        b"caf\xc3\xa9",
        b"bad \xff byte",
        b"\xf0\x9f\x98",
        b"\xf0\x9f\x98x",
        b"\xe2\x82\xac\xed\xa0\x80end",
        b"\xc0\xaf",
        b"",
        b"\x80\x80\x80",
        b"\xEF\xBB",
    ];

    #[test]
    fn lossy_matches_std() {
        for bytes in CASES {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn decode_drops_one_leading_bom_and_replaces_invalid_bytes() {
        for bytes in CASES {
            assert_eq!(decode(bytes.to_vec()), String::from_utf8_lossy(bytes));
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(bytes);
            assert_eq!(
                decode(with_bom),
                String::from_utf8_lossy(bytes),
                "{bytes:?}"
            );
        }
        assert_eq!(decode(b"\xEF\xBB\xBF\xEF\xBB\xBF{}".to_vec()), "\u{FEFF}{}");
        assert_eq!(decode(b"{} \xEF\xBB\xBF".to_vec()), "{} \u{FEFF}");
    }
}
