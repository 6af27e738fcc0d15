//! The Pusher protocol 7 server (deAPI realtime) with a raw WebSocket client: handshake, app key,
//! ping/pong, channel auth (endpoint and subscribe), job events, forced closes.

mod net;
use futures_util::{SinkExt, StreamExt};
use net::*;
use polyjob_mock::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
const APP_KEY: &str = "depin-api-prod-key";
const APP_SECRET: &str = "polyjob-mock-pusher-secret";
const CHANNEL: &str = "private-client.1001";

async fn ws(addr: SocketAddr, key: &str) -> Ws {
    let url = format!("ws://{addr}/deapi-ws/app/{key}?protocol=7&client=rust&version=1.0");
    connect_async(url).await.unwrap().0
}

/// The next message, within `ms`; `None` on timeout.
async fn next_within(w: &mut Ws, ms: u64) -> Option<Message> {
    match tokio::time::timeout(Duration::from_millis(ms), w.next()).await {
        Ok(Some(Ok(m))) => Some(m),
        Ok(other) => panic!("socket ended: {other:?}"),
        Err(_) => None,
    }
}

/// The next text frame as JSON (pings of the WebSocket layer skipped).
async fn frame(w: &mut Ws) -> Value {
    loop {
        match next_within(w, 5000).await.expect("a frame within 5 s") {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn send(w: &mut Ws, v: Value) {
    w.send(Message::text(v.to_string())).await.unwrap();
}

/// Connects and returns the socket with its socket id.
async fn connected(addr: SocketAddr) -> (Ws, String) {
    let mut w = ws(addr, APP_KEY).await;
    let hello = frame(&mut w).await;
    assert_eq!(hello["event"], "pusher:connection_established");
    let data: Value =
        serde_json::from_str(hello["data"].as_str().expect("data is a string")).unwrap();
    let socket_id = data["socket_id"].as_str().unwrap().to_owned();
    (w, socket_id)
}

fn sign(socket_id: &str, channel: &str) -> String {
    format!(
        "{APP_KEY}:{}",
        hmac_hex(
            APP_SECRET.as_bytes(),
            format!("{socket_id}:{channel}").as_bytes()
        )
    )
}

async fn subscribed(addr: SocketAddr) -> Ws {
    let (mut w, socket_id) = connected(addr).await;
    send(
        &mut w,
        json!({"event": "pusher:subscribe", "data": {"channel": CHANNEL, "auth": sign(&socket_id, CHANNEL)}}),
    )
    .await;
    let ok = frame(&mut w).await;
    assert_eq!(
        ok,
        json!({"event": "pusher_internal:subscription_succeeded", "channel": CHANNEL, "data": "{}"})
    );
    w
}

async fn submit(addr: SocketAddr, mock: Value) -> String {
    let body = json!({"prompt": "a red fox", "model": "Flux1schnell", "mock": mock});
    let r = post_json(addr, "/deapi/api/v1/client/txt2img", &body).await;
    assert_eq!(r.status, 200);
    r.json()["data"]["request_id"].as_str().unwrap().to_owned()
}

/// The decoded data of the next `request.status.updated` frame.
async fn update(w: &mut Ws) -> Value {
    let f = frame(w).await;
    assert_eq!(f["event"], "request.status.updated", "{f}");
    assert_eq!(f["channel"], CHANNEL);
    serde_json::from_str(f["data"].as_str().expect("data is a JSON string")).unwrap()
}

#[tokio::test]
async fn handshake_ping_and_bad_key() {
    let (addr, _) = serve(Config::default()).await;
    let mut w = ws(addr, APP_KEY).await;
    let hello = frame(&mut w).await;
    let data: Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
    let sid = data["socket_id"].as_str().unwrap();
    let (a, b) = sid.split_once('.').unwrap();
    assert!(
        a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok(),
        "{sid}"
    );
    assert_eq!(data["activity_timeout"], 120);
    send(&mut w, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(frame(&mut w).await["event"], "pusher:pong");
    let stats = http(addr, "GET", "/__mock/stats", &[], "").await.json();
    assert_eq!(stats["ws_connections"], 1);

    let mut bad = ws(addr, "not-the-key").await;
    let err = frame(&mut bad).await;
    assert_eq!(
        err,
        json!({"event": "pusher:error", "data": {"message": "Could not find app by key", "code": 4001}})
    );
    match next_within(&mut bad, 2000).await {
        Some(Message::Close(Some(c))) => assert_eq!(u16::from(c.code), 4001),
        other => panic!("expected close 4001, got {other:?}"),
    }
}

#[tokio::test]
async fn the_server_pings_idle_sockets() {
    let (addr, _) = serve(Config {
        pusher_activity_timeout: 1,
        ..Config::default()
    })
    .await;
    let (mut w, _) = connected(addr).await;
    let started = std::time::Instant::now();
    assert_eq!(frame(&mut w).await["event"], "pusher:ping");
    assert!(started.elapsed() >= Duration::from_millis(900));
    send(&mut w, json!({"event": "pusher:pong", "data": {}})).await;
    // Still open: a ping is answered.
    send(&mut w, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(frame(&mut w).await["event"], "pusher:pong");
}

#[tokio::test]
async fn auth_endpoint_and_subscriptions() {
    let (addr, _) = serve(Config::default()).await;
    let (mut w, sid) = connected(addr).await;
    // JSON body, like deAPI's documented authorizer.
    let r = post_json(
        addr,
        "/deapi/broadcasting/auth",
        &json!({"socket_id": sid, "channel_name": CHANNEL}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"auth": sign(&sid, CHANNEL)}));
    // Form body, like pusher-js' default authorizer.
    let form = format!("socket_id={sid}&channel_name=private-client.1001");
    let r = http(
        addr,
        "POST",
        "/deapi/broadcasting/auth",
        &[
            bearer(),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form,
    )
    .await;
    assert_eq!(r.json(), json!({"auth": sign(&sid, CHANNEL)}));
    // Wrong key: deAPI's 401; another client's channel: 403; no socket id: 422.
    let r = http(
        addr,
        "POST",
        "/deapi/broadcasting/auth",
        &[("Authorization", "Bearer nope")],
        &json!({"socket_id": sid, "channel_name": CHANNEL}).to_string(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"data": null, "message": "Unauthorized user.", "errors": [], "statusCode": 401})
    );
    let r = post_json(
        addr,
        "/deapi/broadcasting/auth",
        &json!({"socket_id": sid, "channel_name": "private-client.1002"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["statusCode"], 403);
    let r = post_json(
        addr,
        "/deapi/broadcasting/auth",
        &json!({"channel_name": CHANNEL}),
    )
    .await;
    assert_eq!(r.status, 422);

    // A bad signature: pusher:error 4009, the socket stays open.
    send(
        &mut w,
        json!({"event": "pusher:subscribe", "data": {"channel": CHANNEL, "auth": format!("{APP_KEY}:00ff")}}),
    )
    .await;
    let err = frame(&mut w).await;
    assert_eq!(err["event"], "pusher:error");
    assert_eq!(err["data"]["code"], 4009);
    assert!(err["data"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid signature"));
    // A signature for another socket is bad too.
    send(
        &mut w,
        json!({"event": "pusher:subscribe", "data": {"channel": CHANNEL, "auth": sign("1.2", CHANNEL)}}),
    )
    .await;
    assert_eq!(frame(&mut w).await["data"]["code"], 4009);
    // The endpoint's answer works; a public channel needs none.
    send(
        &mut w,
        json!({"event": "pusher:subscribe", "data": {"channel": CHANNEL, "auth": sign(&sid, CHANNEL)}}),
    )
    .await;
    assert_eq!(
        frame(&mut w).await["event"],
        "pusher_internal:subscription_succeeded"
    );
    send(
        &mut w,
        json!({"event": "pusher:subscribe", "data": {"channel": "news"}}),
    )
    .await;
    assert_eq!(
        frame(&mut w).await,
        json!({"event": "pusher_internal:subscription_succeeded", "channel": "news", "data": "{}"})
    );
}

#[tokio::test]
async fn job_updates_with_string_progress_previews_and_result_url() {
    let (addr, _) = serve(Config::default()).await;
    let mut w = subscribed(addr).await;
    let id = submit(
        addr,
        json!({"queue_ms": 50, "duration_ms": 300, "steps": 3}),
    )
    .await;
    let first = update(&mut w).await;
    assert_eq!(
        first,
        json!({"request_id": id, "status": "processing", "progress": "0.00", "preview": null, "result_url": null})
    );
    let one = update(&mut w).await;
    assert_eq!(
        (one["status"].clone(), one["progress"].clone()),
        (json!("in_progress"), json!("33.33"))
    );
    let preview = one["preview"].as_str().expect("a preview on step 1");
    assert!(
        preview.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{preview}"
    );
    let two = update(&mut w).await;
    assert_eq!(
        (two["progress"].clone(), two["preview"].clone()),
        (json!("66.67"), Value::Null)
    );
    let done = update(&mut w).await;
    assert_eq!(
        done,
        json!({"request_id": id, "status": "done", "progress": "100.00", "preview": null,
               "result_url": format!("http://{addr}/files/{id}.png")})
    );
    assert_eq!(next_within(&mut w, 300).await, None, "nothing after done");
    let stats = http(addr, "GET", "/__mock/stats", &[], "").await.json();
    assert_eq!(stats["ws_events_sent"], 4);
}

#[tokio::test]
async fn failures_drops_and_unsubscribes_send_nothing() {
    let (addr, _) = serve(Config::default()).await;
    let mut w = subscribed(addr).await;
    // A failure: processing, then silence (errors are webhook-only).
    let id = submit(
        addr,
        json!({"queue_ms": 0, "duration_ms": 100, "steps": 1, "outcome": "failed"}),
    )
    .await;
    assert_eq!(update(&mut w).await["request_id"], id.as_str());
    assert_eq!(next_within(&mut w, 400).await, None);
    // drop_events: nothing at all.
    submit(
        addr,
        json!({"queue_ms": 0, "duration_ms": 100, "realtime": {"drop_events": true}}),
    )
    .await;
    assert_eq!(next_within(&mut w, 400).await, None);
    // Unsubscribed: nothing either.
    send(
        &mut w,
        json!({"event": "pusher:unsubscribe", "data": {"channel": CHANNEL}}),
    )
    .await;
    // The server reads a socket's frames in order: once the ping is answered, the unsubscribe is done.
    send(&mut w, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(frame(&mut w).await["event"], "pusher:pong");
    submit(addr, json!({"queue_ms": 0, "duration_ms": 100})).await;
    assert_eq!(next_within(&mut w, 400).await, None);
}

#[tokio::test]
async fn duplicate_terminal_sends_done_twice() {
    let (addr, _) = serve(Config::default()).await;
    let mut w = subscribed(addr).await;
    submit(
        addr,
        json!({"queue_ms": 0, "duration_ms": 50, "steps": 1, "faults": [{"kind": "duplicate_terminal"}]}),
    )
    .await;
    assert_eq!(update(&mut w).await["status"], "processing");
    let a = update(&mut w).await;
    let b = update(&mut w).await;
    assert_eq!(a["status"], "done");
    assert_eq!(a, b);
}

#[tokio::test]
async fn forced_close_with_the_jobs_code() {
    let (addr, _) = serve(Config::default()).await;
    let mut w = subscribed(addr).await;
    let (mut other, _) = connected(addr).await; // not subscribed: stays open
    let started = std::time::Instant::now();
    submit(
        addr,
        json!({"queue_ms": 1000, "duration_ms": 1000, "realtime": {"close_code": 4200, "close_after_ms": 300}}),
    )
    .await;
    match next_within(&mut w, 3000).await {
        Some(Message::Close(Some(c))) => {
            assert_eq!(u16::from(c.code), 4200);
            assert!(started.elapsed() >= Duration::from_millis(250));
        }
        other => panic!("expected close 4200, got {other:?}"),
    }
    send(&mut other, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(frame(&mut other).await["event"], "pusher:pong");
    // Once: a socket subscribed afterwards is not closed again.
    let mut again = subscribed(addr).await;
    assert_eq!(update(&mut again).await["status"], "processing");
}
