//! deAPI realtime: a Pusher Channels protocol 7 server on `GET /deapi-ws/app/{key}`, and deAPI's
//! channel-auth answer (`POST /deapi/broadcasting/auth`, routed by `deapi`).
//!
//! Owns: the WebSocket handshake (`pusher:connection_established` with a JSON-encoded data string,
//! `pusher:error` 4001 + close 4001 for an unknown app key, 4007 for an unsupported protocol),
//! `pusher:ping`/`pong`, `pusher:subscribe` (public channels; `private-` channels need
//! `key:hex(HMAC_SHA256(secret, socket_id:channel))`, `presence-` ones sign `…:channel_data` too;
//! a bad signature gets `pusher:error` code 4009 and the socket stays open),
//! `pusher:unsubscribe`, pinging idle sockets after `activity_timeout` and closing them (4201)
//! when no answer follows, the [`Hub`] that publishes events to subscribed sockets and closes them
//! on demand, and the channel-auth signature. Must not touch: when events happen (`push`), job
//! bodies.

use crate::http::json;
use crate::webhooks::hmac_hex;
use crate::{ids, AppState};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// deAPI's documented app key.
pub const DEFAULT_KEY: &str = "depin-api-prod-key";
pub const DEFAULT_SECRET: &str = "polyjob-mock-pusher-secret";
/// How long a pinged socket has to answer before it is closed (pusher-js' `pongTimeout`).
pub const PONG_TIMEOUT: Duration = Duration::from_secs(30);
/// The event deAPI publishes for every job update.
pub const STATUS_EVENT: &str = "request.status.updated";

pub fn routes() -> Router<AppState> {
    Router::new().route("/deapi-ws/app/{key}", get(connect))
}

/// The channel of a deAPI client: `private-client.<id>`.
pub fn client_channel(client_id: &str) -> String {
    format!("private-client.{client_id}")
}

/// `<key>:<hex HMAC_SHA256(secret, socket_id ":" channel [":" channel_data])>`.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    let mut to_sign = format!("{socket_id}:{channel}");
    if let Some(d) = channel_data {
        to_sign.push(':');
        to_sign.push_str(d);
    }
    format!(
        "{key}:{}",
        hmac_hex(secret.as_bytes(), &[to_sign.as_bytes()])
    )
}

/// Whether `s` looks like a Pusher socket id (`<digits>.<digits>`).
pub fn is_socket_id(s: &str) -> bool {
    s.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

/// What the hub hands a socket's task.
#[derive(Debug)]
enum Out {
    Text(String),
    Close(u16, String),
}

#[derive(Debug)]
struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    channels: HashSet<String>,
}

/// Open sockets, their subscriptions, and the counters of `/__mock/stats`.
#[derive(Debug, Default)]
pub struct Hub {
    inner: Mutex<HashMap<u64, Conn>>,
    next: AtomicU64,
    events_sent: AtomicU64,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Conn>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn register(&self, tx: mpsc::UnboundedSender<Out>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(
            id,
            Conn {
                tx,
                channels: HashSet::new(),
            },
        );
        id
    }

    fn unregister(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn set_subscribed(&self, id: u64, channel: &str, on: bool) {
        if let Some(c) = self.lock().get_mut(&id) {
            if on {
                c.channels.insert(channel.to_owned());
            } else {
                c.channels.remove(channel);
            }
        }
    }

    /// Sends `event` with `data` (already a JSON-encoded string) to every socket subscribed to
    /// `channel`; how many got it.
    pub fn publish(&self, channel: &str, event: &str, data: &str) -> usize {
        let frame = json!({"event": event, "channel": channel, "data": data}).to_string();
        let n = self
            .lock()
            .values()
            .filter(|c| c.channels.contains(channel))
            .filter(|c| c.tx.send(Out::Text(frame.clone())).is_ok())
            .count();
        self.events_sent.fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// Closes every socket subscribed to `channel` with `code`; how many.
    pub fn close_channel(&self, channel: &str, code: u16, reason: &str) -> usize {
        self.lock()
            .values()
            .filter(|c| c.channels.contains(channel))
            .filter(|c| c.tx.send(Out::Close(code, reason.to_owned())).is_ok())
            .count()
    }

    /// (open sockets, events sent since the last reset).
    pub fn stats(&self) -> (usize, u64) {
        (self.lock().len(), self.events_sent.load(Ordering::Relaxed))
    }

    /// Zeroes the event counter (open sockets stay open).
    pub fn reset(&self) {
        self.events_sent.store(0, Ordering::Relaxed);
    }
}

fn frame(event: &str, data: Value) -> String {
    json!({"event": event, "data": data}).to_string()
}

fn error_frame(code: Option<u16>, message: &str) -> String {
    frame("pusher:error", json!({"code": code, "message": message}))
}

async fn connect(
    State(st): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let protocol = uri.query().unwrap_or_default().split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "protocol").then(|| v.parse::<u32>().ok())
    });
    ws.on_upgrade(move |socket| run(st, socket, key, protocol.flatten()))
}

async fn run(st: AppState, mut socket: WebSocket, key: String, protocol: Option<u32>) {
    if key != st.config.pusher_key {
        let _ = refuse(&mut socket, 4001, "Could not find app by key").await;
        return;
    }
    if !protocol.is_some_and(|p| (5..=7).contains(&p)) {
        let _ = refuse(&mut socket, 4007, "Unsupported protocol version").await;
        return;
    }
    let socket_id = format!(
        "{}.{}",
        ids::random_u64() % 1_000_000_000,
        ids::random_u64() % 1_000_000_000
    );
    let activity = Duration::from_secs(st.config.pusher_activity_timeout.max(1));
    let hello =
        json!({"socket_id": socket_id, "activity_timeout": st.config.pusher_activity_timeout})
            .to_string();
    if socket
        .send(Message::text(frame(
            "pusher:connection_established",
            json!(hello),
        )))
        .await
        .is_err()
    {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = st.hub.register(tx);
    let mut last_seen = Instant::now();
    let mut pinged_at: Option<Instant> = None;
    loop {
        let deadline = match pinged_at {
            Some(p) => p + PONG_TIMEOUT,
            None => last_seen + activity,
        };
        tokio::select! {
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    last_seen = Instant::now();
                    pinged_at = None;
                    let replies = handle_frame(&st, id, &socket_id, t.as_str());
                    for r in replies {
                        if socket.send(Message::text(r)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {
                    last_seen = Instant::now();
                    pinged_at = None;
                }
            },
            out = rx.recv() => match out {
                Some(Out::Text(t)) => {
                    if socket.send(Message::text(t)).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close(code, reason)) => {
                    let _ = close(&mut socket, code, &reason).await;
                    break;
                }
                None => break,
            },
            () = tokio::time::sleep_until(deadline) => {
                if pinged_at.is_none() {
                    if socket.send(Message::text(frame("pusher:ping", json!({})))).await.is_err() {
                        break;
                    }
                    pinged_at = Some(Instant::now());
                } else {
                    let _ = close(&mut socket, 4201, "Pong reply not received").await;
                    break;
                }
            }
        }
    }
    st.hub.unregister(id);
}

/// `pusher:error` with `code`, then a close frame with the same code.
async fn refuse(socket: &mut WebSocket, code: u16, message: &str) -> Result<(), axum::Error> {
    socket
        .send(Message::text(error_frame(Some(code), message)))
        .await?;
    close(socket, code, message).await
}

/// Sends a close frame and waits briefly for the client's answer.
async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> Result<(), axum::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await?;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    Ok(())
}

/// The replies to one text frame from a client.
fn handle_frame(st: &AppState, conn: u64, socket_id: &str, text: &str) -> Vec<String> {
    let Ok(Value::Object(msg)) = serde_json::from_str::<Value>(text) else {
        return vec![error_frame(None, "Invalid JSON")];
    };
    let Some(event) = msg.get("event").and_then(Value::as_str) else {
        return vec![error_frame(None, "Missing event name")];
    };
    // `data` may be an object or a JSON-encoded string.
    let data = match msg.get("data") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    match event {
        "pusher:ping" => vec![frame("pusher:pong", json!({}))],
        "pusher:pong" => vec![],
        "pusher:subscribe" => subscribe(st, conn, socket_id, &data),
        "pusher:unsubscribe" => {
            if let Some(ch) = data.get("channel").and_then(Value::as_str) {
                st.hub.set_subscribed(conn, ch, false);
            }
            vec![]
        }
        e if e.starts_with("client-") => vec![error_frame(
            None,
            "To send client events, you must enable this feature in the Settings page of your dashboard.",
        )],
        _ => vec![],
    }
}

fn subscribe(st: &AppState, conn: u64, socket_id: &str, data: &Value) -> Vec<String> {
    let Some(channel) = data.get("channel").and_then(Value::as_str) else {
        return vec![error_frame(None, "Missing channel name")];
    };
    let private = channel.starts_with("private-");
    let presence = channel.starts_with("presence-");
    let channel_data = data.get("channel_data").and_then(Value::as_str);
    if private || presence {
        let expected = channel_auth(
            &st.config.pusher_key,
            &st.config.pusher_secret,
            socket_id,
            channel,
            channel_data.filter(|_| presence),
        );
        let given = data.get("auth").and_then(Value::as_str).unwrap_or_default();
        if given != expected {
            let signed = match channel_data.filter(|_| presence) {
                Some(d) => format!("{socket_id}:{channel}:{d}"),
                None => format!("{socket_id}:{channel}"),
            };
            let msg = format!(
                "Invalid signature: Expected HMAC SHA256 hex digest of {signed}, but got {}",
                given.split_once(':').map_or(given, |(_, sig)| sig)
            );
            return vec![error_frame(Some(4009), &msg)];
        }
    }
    st.hub.set_subscribed(conn, channel, true);
    let ok = if presence {
        let member: Value = channel_data
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let user_id = match member.get("user_id") {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => socket_id.to_owned(),
        };
        let info = member.get("user_info").cloned().unwrap_or(json!({}));
        json!({"presence": {"ids": [user_id], "hash": {user_id.clone(): info}, "count": 1}})
            .to_string()
    } else {
        "{}".to_owned()
    };
    vec![
        json!({"event": "pusher_internal:subscription_succeeded", "channel": channel, "data": ok})
            .to_string(),
    ]
}

/// `POST /deapi/broadcasting/auth` (key already checked): `{"auth":"key:sig"}` for the caller's
/// own channel, 403 for any other, 422 when `socket_id` / `channel_name` are missing or malformed.
/// The body is JSON or `application/x-www-form-urlencoded` (pusher-js' default authorizer).
pub fn auth_answer(st: &AppState, body: &[u8]) -> Response {
    let fields: HashMap<String, String> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect(),
        _ => form_fields(body),
    };
    let socket_id = fields.get("socket_id").map(String::as_str).unwrap_or("");
    let channel = fields.get("channel_name").map(String::as_str).unwrap_or("");
    let mut errors = serde_json::Map::new();
    if !is_socket_id(socket_id) {
        errors.insert(
            "socket_id".into(),
            json!(["The socket id field must be a valid socket id."]),
        );
    }
    if channel.is_empty() {
        errors.insert(
            "channel_name".into(),
            json!(["The channel name field is required."]),
        );
    }
    if let Some(msg) = errors
        .values()
        .next()
        .and_then(|v| v[0].as_str())
        .map(str::to_owned)
    {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"data": null, "message": msg, "errors": errors, "statusCode": 422}),
        );
    }
    if channel != client_channel(&st.config.deapi_client_id) {
        return json(
            StatusCode::FORBIDDEN,
            &json!({"data": null, "message": "This action is unauthorized.", "errors": [], "statusCode": 403}),
        );
    }
    let auth = channel_auth(
        &st.config.pusher_key,
        &st.config.pusher_secret,
        socket_id,
        channel,
        None,
    );
    json(StatusCode::OK, &json!({ "auth": auth }))
}

/// `a=b&c=d` with `+` and `%XX` decoded.
fn form_fields(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((percent_decode(k), percent_decode(v)))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let decoded = (b[i] == b'%')
            .then(|| Some(hex(*b.get(i + 1)?)? * 16 + hex(*b.get(i + 2)?)?))
            .flatten();
        match (b[i], decoded) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (b'+', _) => out.push(b' '),
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_channels_like_pusher() {
        // The example of pusher.com/docs/channels/library_auth_reference/auth-signatures.
        assert_eq!(
            channel_auth(
                "278d425bdf160c739803",
                "7ad3773142a6692b25b8",
                "1234.1234",
                "private-foobar",
                None
            ),
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
        assert!(is_socket_id("123.456"));
        assert!(!is_socket_id("123."));
        assert!(!is_socket_id("a.1"));
        assert_eq!(
            form_fields(b"socket_id=1.2&channel_name=private-client.1001%2Bx+y&bad%zz=%")
                .get("channel_name")
                .map(String::as_str),
            Some("private-client.1001+x y")
        );
    }
}
