//! An incremental Server-Sent Events decoder, per the WHATWG HTML spec ("Interpreting an event
//! stream"): bytes in, dispatched events out.
//!
//! It owns line splitting (CRLF, LF, CR — also when a CR and its LF arrive in different
//! chunks), UTF-8 decoding (a chunk may end inside a character; invalid bytes become U+FFFD),
//! the leading BOM, comments, the `event`/`data`/`id`/`retry` fields and event dispatch. It
//! does not own the connection: reconnecting, sending `Last-Event-ID` and sleeping `retry` are
//! the transport's job, and what a `data` payload means is the provider's (see
//! `providers::socaity::classify_stream_data`). Memory is bounded: a line longer than the limit
//! (1 MiB by default) is dropped whole, and so is an event whose data grows past the limit.

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The last event ID in effect when the event was dispatched (per spec it carries over to
    /// later events until an `id:` line changes it); `None` while it is empty.
    pub id: Option<String>,
    /// The `event:` type; `None` means the default type, `"message"`.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n` (no trailing newline).
    pub data: String,
}

/// The default cap on one line and on one event's data, in bytes.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Decodes an event stream fed in arbitrary chunks. Call [`SseDecoder::push`] with each chunk
/// as it arrives and [`SseDecoder::finish`] once at the end of the stream.
#[derive(Debug)]
pub struct SseDecoder {
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The current line went over the limit: skip to its end.
    skipping: bool,
    /// The previous chunk ended with CR: a leading LF in the next chunk belongs to it.
    after_cr: bool,
    /// Still at the very start of the stream (a BOM may follow).
    at_start: bool,
    data: String,
    /// The current event's data went over the limit: drop the event at dispatch.
    data_overflow: bool,
    event: String,
    last_id: String,
    retry: Option<u64>,
    max_line: usize,
    dropped: u64,
}

impl Default for SseDecoder {
    fn default() -> Self {
        SseDecoder::new()
    }
}

impl SseDecoder {
    /// A decoder with the default 1 MiB limit per line and per event.
    pub fn new() -> SseDecoder {
        SseDecoder::with_limit(DEFAULT_MAX_LINE)
    }

    /// A decoder that drops lines (and events' data) longer than `max_line` bytes.
    pub fn with_limit(max_line: usize) -> SseDecoder {
        SseDecoder {
            line: Vec::new(),
            skipping: false,
            after_cr: false,
            at_start: true,
            data: String::new(),
            data_overflow: false,
            event: String::new(),
            last_id: String::new(),
            retry: None,
            max_line: max_line.max(1),
            dropped: 0,
        }
    }

    /// Feeds the next chunk; returns the events it completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    self.append(&rest[..i]);
                    self.end_line(&mut out);
                    if rest[i] == b'\r' {
                        match rest.get(i + 1) {
                            Some(b'\n') => rest = &rest[i + 2..],
                            Some(_) => rest = &rest[i + 1..],
                            None => {
                                self.after_cr = true;
                                rest = &[];
                            }
                        }
                    } else {
                        rest = &rest[i + 1..];
                    }
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
        out
    }

    /// The end of the stream. Per spec an event not yet ended by a blank line is discarded, so
    /// this never returns events; it resets the line and event state (the last event ID and
    /// `retry` stay) so the decoder can read a reconnected stream.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        self.line.clear();
        self.skipping = false;
        self.after_cr = false;
        self.at_start = true;
        self.data.clear();
        self.data_overflow = false;
        self.event.clear();
        Vec::new()
    }

    /// The last event ID seen (to send as `Last-Event-ID` when reconnecting); `None` if empty.
    pub fn last_event_id(&self) -> Option<&str> {
        (!self.last_id.is_empty()).then_some(self.last_id.as_str())
    }

    /// The reconnection time the server asked for with `retry:`, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// How many lines and events were dropped for going over the size limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.skipping || bytes.is_empty() {
            return;
        }
        if self.line.len() + bytes.len() > self.max_line {
            self.line = Vec::new();
            self.skipping = true;
            self.dropped += 1;
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let mut line = core::mem::take(&mut self.line);
        let first = core::mem::replace(&mut self.at_start, false);
        if core::mem::replace(&mut self.skipping, false) {
            return;
        }
        if first && line.starts_with(b"\xEF\xBB\xBF") {
            line.drain(..3);
        }
        match core::str::from_utf8(&line) {
            Ok(text) => self.process_line(text, out),
            Err(_) => self.process_line(&super::utf8::lossy(&line), out),
        }
        // Keep the allocation for the next line unless it grew large.
        if line.capacity() <= 4096 {
            line.clear();
            self.line = line;
        }
    }

    fn process_line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "data" => {
                if self.data_overflow {
                    return;
                }
                if self.data.len() + value.len() + 1 > self.max_line {
                    self.data = String::new();
                    self.data_overflow = true;
                    self.dropped += 1;
                    return;
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => {
                self.last_id.clear();
                self.last_id.push_str(value);
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let mut ms: u64 = 0;
                for b in value.bytes() {
                    ms = ms.saturating_mul(10).saturating_add(u64::from(b - b'0'));
                }
                self.retry = Some(ms);
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = core::mem::take(&mut self.event);
        let mut data = core::mem::take(&mut self.data);
        if core::mem::replace(&mut self.data_overflow, false) || data.is_empty() {
            return;
        }
        data.pop(); // the trailing '\n'
        out.push(SseEvent {
            id: self.last_event_id().map(str::to_string),
            event: (!event.is_empty()).then_some(event),
            data,
        });
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn ev(id: Option<&str>, event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_string),
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    fn all(input: &[u8]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = d.push(input);
        out.extend(d.finish());
        out
    }

    /// Every way of cutting `input` in two, and byte by byte, gives the same events.
    fn check_splits(input: &[u8], want: &[SseEvent]) {
        assert_eq!(all(input), want, "whole");
        for cut in 0..=input.len() {
            let mut d = SseDecoder::new();
            let mut out = d.push(&input[..cut]);
            out.extend(d.push(&input[cut..]));
            out.extend(d.finish());
            assert_eq!(out, want, "cut at {cut}");
        }
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for b in input {
            out.extend(d.push(core::slice::from_ref(b)));
        }
        out.extend(d.finish());
        assert_eq!(out, want, "byte by byte");
    }

    #[test]
    fn simple_and_multiline_data() {
        check_splits(
            b"data: hello\n\ndata: a\ndata:b\ndata:  c\n\n",
            &[ev(None, None, "hello"), ev(None, None, "a\nb\n c")],
        );
    }

    #[test]
    fn all_line_endings() {
        let want = [ev(None, Some("x"), "1\n2"), ev(None, None, "3")];
        check_splits(b"event: x\r\ndata: 1\rdata: 2\n\r\ndata: 3\r\r", &want);
        check_splits(b"event: x\rdata: 1\rdata: 2\r\rdata: 3\r\r", &want);
        check_splits(
            b"event: x\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n",
            &want,
        );
    }

    #[test]
    fn cr_then_lf_in_the_next_chunk_is_one_line_end() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: a\r").is_empty());
        // This LF completes the CRLF; only the next blank line dispatches.
        assert!(d.push(b"\n").is_empty());
        assert_eq!(d.push(b"\r\n"), vec![ev(None, None, "a")]);
    }

    #[test]
    fn bom_and_utf8_split_across_chunks() {
        let input = "\u{feff}data: héllo 😀\n\n".as_bytes();
        check_splits(input, &[ev(None, None, "héllo 😀")]);
        // Only one leading BOM is stripped, and only at the start of the stream.
        assert_eq!(
            all("\u{feff}\u{feff}data: x\n\n".as_bytes()),
            Vec::<SseEvent>::new()
        );
        assert_eq!(
            all("data: \u{feff}x\n\n".as_bytes()),
            vec![ev(None, None, "\u{feff}x")]
        );
        // Invalid UTF-8 is replaced, not fatal.
        assert_eq!(all(b"data: a\xffb\n\n"), vec![ev(None, None, "a\u{FFFD}b")]);
    }

    #[test]
    fn comments_unknown_fields_and_fields_without_colon() {
        check_splits(
            b": keep-alive\n:\nfoo: bar\ndata\n\ndata\ndata\n\nevent\ndata: x\n\n",
            &[
                ev(None, None, ""),
                ev(None, None, "\n"),
                ev(None, None, "x"),
            ],
        );
    }

    #[test]
    fn empty_data_dispatches_nothing_and_resets_the_type() {
        assert_eq!(all(b"event: a\n\ndata: x\n\n"), vec![ev(None, None, "x")]);
        assert_eq!(all(b"data:\n\n"), vec![ev(None, None, "")]);
    }

    #[test]
    fn ids_carry_over_and_nul_ids_are_ignored() {
        let mut d = SseDecoder::new();
        let out = d.push(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n");
        assert_eq!(
            out,
            vec![
                ev(Some("1"), None, "a"),
                ev(Some("1"), None, "b"),
                ev(Some("1"), None, "c"),
                ev(None, None, "d"),
            ]
        );
        assert_eq!(d.last_event_id(), None);
        // An id without data still updates the last event ID.
        d.push(b"id: 7\n\n");
        assert_eq!(d.last_event_id(), Some("7"));
    }

    #[test]
    fn retry_takes_digits_only() {
        let mut d = SseDecoder::new();
        d.push(b"retry: 3000\n");
        assert_eq!(d.retry_ms(), Some(3000));
        for bad in [
            &b"retry: 3s\n"[..],
            b"retry: -1\n",
            b"retry:\n",
            b"retry: 1.5\n",
            b"retry:  5\n",
        ] {
            d.push(bad);
            assert_eq!(d.retry_ms(), Some(3000), "{bad:?}");
        }
        d.push(b"retry:99999999999999999999999999\n");
        assert_eq!(d.retry_ms(), Some(u64::MAX));
    }

    #[test]
    fn unterminated_event_is_discarded_at_end_of_stream() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: a\n\ndata: partial\n").len() == 1);
        assert!(d.finish().is_empty());
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: no newline at all").is_empty());
        assert!(d.finish().is_empty());
        // After finish the decoder reads a new stream; id and retry survive.
        let mut d = SseDecoder::new();
        d.push(b"id: 5\nretry: 10\ndata: x");
        d.finish();
        assert_eq!(d.push(b"data: y\n\n"), vec![ev(Some("5"), None, "y")]);
        assert_eq!(d.retry_ms(), Some(10));
    }

    #[test]
    fn long_lines_and_events_are_dropped_not_buffered() {
        let mut d = SseDecoder::with_limit(16);
        let mut out = d.push(b"data: 0123456789");
        out.extend(d.push(b"abcdef too long\n\ndata: ok\n\n"));
        assert_eq!(out, vec![ev(None, None, "ok")]);
        assert_eq!(d.dropped(), 1);
        // Many short data lines that add up past the limit drop the whole event.
        let out = d.push(b"data: 12345\ndata: 12345\ndata: 12345\n\ndata: next\n\n");
        assert_eq!(out, vec![ev(None, None, "next")]);
        assert_eq!(d.dropped(), 2);
        // A huge line in one chunk does not grow the buffer.
        let mut d = SseDecoder::new();
        let big = vec![b'x'; DEFAULT_MAX_LINE + 10];
        assert!(d.push(b"data: ").is_empty());
        assert!(d.push(&big).is_empty());
        assert!(d.line.capacity() <= DEFAULT_MAX_LINE);
        assert_eq!(d.push(b"\n\ndata: y\n\n"), vec![ev(None, None, "y")]);
    }

    #[test]
    fn socaity_style_frames() {
        check_splits(
            b"data: {\"choices\":[]}\n\ndata: [DONE]\n\n",
            &[ev(None, None, "{\"choices\":[]}"), ev(None, None, "[DONE]")],
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x: u32 = 12345;
        let alphabet = b"data:id retry\r\n\n:\xef\xbb\xbf\xff\x00x";
        for _ in 0..2000 {
            let mut d = SseDecoder::with_limit(32);
            for _ in 0..8 {
                let mut chunk = Vec::new();
                for _ in 0..(x % 13) {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    chunk.push(alphabet[(x as usize) % alphabet.len()]);
                }
                for e in d.push(&chunk) {
                    assert!(e.data.len() <= 32);
                }
            }
            d.finish();
        }
    }
}
