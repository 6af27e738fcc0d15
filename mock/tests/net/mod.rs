//! Real-socket harness for the push-channel tests: a server on 127.0.0.1 (real clock), a minimal
//! HTTP/1.1 client (whole answers, or an SSE body read incrementally through chunked encoding), a
//! tiny webhook receiver and an independent HMAC-SHA256.
#![allow(dead_code)]

use polyjob_mock::{app, AppState, Config};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub const KEY: &str = "test-key";

/// Starts a server with `config` (its `fallback_host` set to the bound address).
pub async fn serve(config: Config) -> (SocketAddr, AppState) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(Config {
        fallback_host: addr.to_string(),
        ..config
    });
    let s = state.clone();
    tokio::spawn(async move { axum::serve(listener, app(s)).await });
    (addr, state)
}

pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        r.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> (u16, HashMap<String, String>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

/// One request with `Connection: close`; the whole answer (chunked bodies decoded).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request(addr, method, path, headers, body).as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .expect("an answer within 20 s")
        .unwrap();
    let at = find(&raw, b"\r\n\r\n").expect("a head");
    let (status, headers) = parse_head(&raw[..at]);
    let mut body = raw[at + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        let mut d = Dechunk {
            raw: body,
            ..Dechunk::default()
        };
        body = d.take();
    }
    Answer {
        status,
        headers,
        body,
    }
}

pub fn bearer() -> (&'static str, &'static str) {
    ("Authorization", "Bearer test-key")
}

pub async fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Answer {
    http(addr, "POST", path, &[bearer()], &body.to_string()).await
}

pub async fn get(addr: SocketAddr, path: &str) -> Answer {
    http(addr, "GET", path, &[bearer()], "").await
}

/// Incremental chunked-encoding decoder.
#[derive(Default)]
pub struct Dechunk {
    raw: Vec<u8>,
    /// The terminating zero-size chunk was seen.
    pub ended: bool,
}

impl Dechunk {
    /// Decodes every complete chunk in the buffer.
    fn take(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(eol) = find(&self.raw, b"\r\n") {
            let size_text = String::from_utf8_lossy(&self.raw[..eol]).to_string();
            let size =
                usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                break;
            }
            if self.raw.len() < eol + 2 + size + 2 {
                break;
            }
            out.extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
            self.raw.drain(..eol + 2 + size + 2);
        }
        out
    }
}

/// An open SSE response, read as it arrives.
pub struct Sse {
    stream: TcpStream,
    pub status: u16,
    pub headers: HashMap<String, String>,
    chunked: bool,
    dechunk: Dechunk,
    /// Decoded body text not yet split into events.
    text: String,
    /// The connection ended (EOF or reset).
    pub closed: bool,
}

/// How an SSE stream ended.
#[derive(Debug, PartialEq)]
pub enum End {
    /// The body ended properly (final chunk).
    Clean,
    /// The connection closed without the final chunk.
    Abrupt,
}

impl Sse {
    /// Sends `method path` and reads the head.
    pub async fn open(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Sse {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(request(addr, method, path, headers, body).as_bytes())
            .await
            .unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let at = loop {
            if let Some(at) = find(&raw, b"\r\n\r\n") {
                break at;
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "EOF before the head");
            raw.extend_from_slice(&buf[..n]);
        };
        let (status, headers) = parse_head(&raw[..at]);
        let chunked = headers
            .get("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"));
        let mut sse = Sse {
            stream,
            status,
            headers,
            chunked,
            dechunk: Dechunk::default(),
            text: String::new(),
            closed: false,
        };
        sse.feed(&raw[at + 4..]);
        sse
    }

    fn feed(&mut self, bytes: &[u8]) {
        if self.chunked {
            self.dechunk.raw.extend_from_slice(bytes);
            let out = self.dechunk.take();
            self.text.push_str(&String::from_utf8_lossy(&out));
        } else {
            self.text.push_str(&String::from_utf8_lossy(bytes));
        }
    }

    /// The next event block (text up to a blank line, without it), or `None` at the end.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            if let Some(at) = self.text.find("\n\n") {
                let block = self.text[..at].to_owned();
                self.text.drain(..at + 2);
                return Some(block);
            }
            if self.closed || self.dechunk.ended {
                return None;
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut buf))
                .await
                .expect("SSE data within 10 s")
                .unwrap_or(0);
            if n == 0 {
                self.closed = true;
            } else {
                self.feed(&buf[..n]);
            }
        }
    }

    /// Reads every remaining event block, skipping comments; how the stream ended.
    pub async fn rest(&mut self) -> (Vec<String>, End) {
        let mut out = Vec::new();
        while let Some(b) = self.next().await {
            if !b.starts_with(':') {
                out.push(b);
            }
        }
        let end = if self.dechunk.ended {
            End::Clean
        } else {
            End::Abrupt
        };
        (out, end)
    }
}

/// Lowercase hex HMAC-SHA256, computed with the RustCrypto crates directly.
pub fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no header {name}"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1: `answer` picks the status for each request (given the request
/// and how many came before it).
pub async fn receiver(
    answer: impl Fn(&Received, usize) -> u16 + Send + Sync + 'static,
) -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((mut s, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let got = loop {
                if let Some(at) = find(&raw, b"\r\n\r\n") {
                    let text = String::from_utf8_lossy(&raw[..at]).to_string();
                    let mut lines = text.split("\r\n");
                    let first: Vec<&str> = lines.next().unwrap().split(' ').collect();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .map_or(0, |v| v.parse().unwrap());
                    if raw.len() >= at + 4 + len {
                        break Some(Received {
                            method: first[0].to_owned(),
                            path: first[1].to_owned(),
                            headers,
                            body: raw[at + 4..at + 4 + len].to_vec(),
                        });
                    }
                }
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break None,
                    Ok(k) => raw.extend_from_slice(&buf[..k]),
                }
            };
            let Some(got) = got else { continue };
            let status = answer(&got, n);
            n += 1;
            let _ = tx.send(got);
            let reply =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = s.write_all(reply.as_bytes()).await;
        }
    });
    (addr, rx)
}

/// The next received request, within `secs`.
pub async fn recv(rx: &mut mpsc::UnboundedReceiver<Received>, secs: u64) -> Received {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("a webhook in time")
        .unwrap()
}

/// Polls `/__mock/jobs/{id}` until `pred` holds (at most 10 s).
pub async fn introspect_until(addr: SocketAddr, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let j = http(addr, "GET", &format!("/__mock/jobs/{id}"), &[], "")
            .await
            .json();
        if pred(&j) {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("introspection of {id} never matched");
}
