//! The Pusher state machine's tests (unit, table and property tests), kept out of
//! `pusher.rs` so the protocol code reads on its own.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const CH: &str = "private-client.42";
const MAX: f64 = 30_000.0;

/// A scripted driver on a virtual clock.
struct Sim {
    c: PusherConnection,
    now: f64,
}

impl Sim {
    fn new() -> Sim {
        Sim::with(PusherConfig::default())
    }

    fn with(config: PusherConfig) -> Sim {
        Sim {
            c: PusherConnection::new(config, 7),
            now: 0.0,
        }
    }

    fn drain(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(a) = self.c.poll_action() {
            out.push(a);
        }
        out
    }

    /// Moves the clock forward by `ms`, firing every timer that falls due on the way.
    fn advance(&mut self, ms: f64) -> Vec<Action> {
        let end = self.now + ms;
        let mut out = Vec::new();
        while let Some(t) = self.c.next_timeout() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.c.handle_timeout(self.now);
            out.extend(self.drain());
        }
        self.now = end;
        out
    }

    /// Jumps to the reconnect timer, which must ask for a new socket.
    fn reconnect(&mut self) {
        let t = self.c.next_timeout().expect("a reconnect is planned");
        assert!(t - self.now <= MAX, "delay within the cap");
        self.now = t;
        self.c.handle_timeout(t);
        assert_eq!(self.drain(), vec![Action::Connect]);
    }

    fn subscribe(&mut self, channel: &str) -> Vec<Action> {
        self.c.subscribe(self.now, channel);
        self.drain()
    }

    fn text(&mut self, text: &str) -> Vec<Action> {
        self.c.handle_text(self.now, text);
        self.drain()
    }

    fn open_and_establish(&mut self, socket_id: &str, activity_s: u32) -> Vec<Action> {
        self.c.handle_open(self.now);
        let mut out = self.drain();
        out.extend(self.text(&established(socket_id, activity_s)));
        out
    }

    fn auth(&mut self, socket_id: &str, channel: &str, result: Result<&str, &str>) -> Vec<Action> {
        let result = result.map(str::to_string).map_err(str::to_string);
        self.c.handle_auth(self.now, socket_id, channel, result);
        self.drain()
    }

    fn close(&mut self, code: u16) -> Vec<Action> {
        self.c.handle_close(self.now, code);
        self.drain()
    }

    /// Subscribes `channels`, connects as `socket_id` and completes every subscription.
    fn connected(channels: &[&str], socket_id: &str) -> Sim {
        let mut sim = Sim::new();
        for ch in channels {
            sim.subscribe(ch);
        }
        sim.open_and_establish(socket_id, 120);
        for ch in channels {
            sim.auth(socket_id, ch, Ok("key:sig"));
            sim.text(&frame(
                "pusher_internal:subscription_succeeded",
                Some(ch),
                json!({}),
            ));
        }
        assert!(channels.iter().all(|ch| sim.c.is_subscribed(ch)));
        sim
    }
}

/// A server frame with `data` JSON-encoded as a string, as Pusher sends it.
fn frame(event: &str, channel: Option<&str>, data: Value) -> String {
    let mut f = json!({"event": event, "data": data.to_string()});
    if let Some(ch) = channel {
        f["channel"] = json!(ch);
    }
    f.to_string()
}

fn established(socket_id: &str, activity_s: u32) -> String {
    frame(
        "pusher:connection_established",
        None,
        json!({"socket_id": socket_id, "activity_timeout": activity_s}),
    )
}

fn sent(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(s) => Some(serde_json::from_str(s).expect("sent frames are JSON")),
            _ => None,
        })
        .collect()
}

fn disconnected(actions: &[Action]) -> Option<(u16, Option<f64>)> {
    actions.iter().find_map(|a| match a {
        Action::Disconnected {
            code,
            reconnect_in_ms,
        } => Some((*code, *reconnect_in_ms)),
        _ => None,
    })
}

fn authorizes(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Authorize { socket_id, channel } => Some((socket_id.clone(), channel.clone())),
            _ => None,
        })
        .collect()
}

fn events(actions: &[Action]) -> Vec<(String, String, Json)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event {
                channel,
                event,
                data,
            } => Some((channel.clone(), event.clone(), data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn url() {
    assert_eq!(
        PusherConnection::connect_url("wss://soketi.deapi.ai:443/", "depin-api-prod-key", "0.1.0"),
        "wss://soketi.deapi.ai:443/app/depin-api-prod-key?protocol=7&client=polyjob&version=0.1.0&flash=false"
    );
    assert_eq!(
        PusherConnection::connect_url("ws://h", "a b/&", "1+x"),
        "ws://h/app/a%20b%2F%26?protocol=7&client=polyjob&version=1%2Bx&flash=false"
    );
}

#[test]
fn idle_until_subscribe() {
    let mut c = PusherConnection::new(PusherConfig::default(), 1);
    assert_eq!(c.poll_action(), None);
    assert_eq!(c.next_timeout(), None);
    assert!(!c.is_connected());
    assert_eq!(c.socket_id(), None);
    c.handle_timeout(1e12);
    c.handle_text(0.0, &established("1.1", 120));
    c.handle_close(0.0, 1006);
    assert_eq!(c.poll_action(), None);
}

#[test]
fn handshake_auth_subscribe_events() {
    let mut sim = Sim::new();
    sim.now = 1_000.0;
    assert_eq!(sim.subscribe(CH), vec![Action::Connect]);
    assert_eq!(
        sim.c.next_timeout(),
        Some(16_000.0),
        "connect timeout armed"
    );
    // Subscribing twice while connecting changes nothing.
    assert_eq!(sim.subscribe(CH), vec![]);

    let a = sim.open_and_establish("123.456", 120);
    assert_eq!(
        a,
        vec![
            Action::Connected {
                socket_id: "123.456".into()
            },
            Action::Authorize {
                socket_id: "123.456".into(),
                channel: CH.into()
            },
        ]
    );
    assert!(sim.c.is_connected());
    assert_eq!(sim.c.socket_id(), Some("123.456"));

    let a = sim.auth("123.456", CH, Ok("key:abc\"def"));
    assert_eq!(
        sent(&a),
        vec![json!({"event":"pusher:subscribe","data":{"channel":CH,"auth":"key:abc\"def"}})]
    );
    // Key order on the wire: event, data{channel, auth}.
    assert_eq!(
        a[0],
        Action::Send(
            r#"{"event":"pusher:subscribe","data":{"channel":"private-client.42","auth":"key:abc\"def"}}"#
                .into()
        )
    );
    assert!(!sim.c.is_subscribed(CH));

    // An event before the server confirmed is not surfaced.
    let early = sim.text(&frame("request.status.updated", Some(CH), json!({"x":1})));
    assert!(events(&early).is_empty());

    let a = sim.text(&frame(
        "pusher_internal:subscription_succeeded",
        Some(CH),
        json!({}),
    ));
    assert_eq!(a, vec![Action::Subscribed { channel: CH.into() }]);
    assert!(sim.c.is_subscribed(CH));

    // Double-encoded data (deAPI's payload is top-level in data).
    let payload =
        json!({"request_id":"r1","status":"processing","progress":"45.50","preview":null});
    let a = sim.text(&frame("request.status.updated", Some(CH), payload));
    let ev = events(&a);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].0, CH);
    assert_eq!(ev[0].1, "request.status.updated");
    assert_eq!(ev[0].2.get_str("request_id"), Some("r1"));
    assert_eq!(
        ev[0].2.get("progress").and_then(Json::as_number_lenient),
        Some(45.5)
    );
    assert_eq!(ev[0].2.get("preview"), Some(&Json::Null));

    // Object data is accepted as is.
    let raw = json!({"event":"request.status.updated","channel":CH,"data":{"request_id":"r2","status":"done"}});
    let ev = events(&sim.text(&raw.to_string()));
    assert_eq!(ev[0].2.get_str("status"), Some("done"));

    // A string that is not JSON stays a string; missing data is null.
    let raw = json!({"event":"e","channel":CH,"data":"not json"});
    assert_eq!(
        events(&sim.text(&raw.to_string()))[0].2,
        Json::from("not json")
    );
    let raw = json!({"event":"e","channel":CH});
    assert_eq!(events(&sim.text(&raw.to_string()))[0].2, Json::Null);
    // A JSON string inside the string is decoded to that string.
    let raw = json!({"event":"e","channel":CH,"data":"\"hi\""});
    assert_eq!(events(&sim.text(&raw.to_string()))[0].2, Json::from("hi"));
}

#[test]
fn ignores_foreign_and_internal_events() {
    let mut sim = Sim::connected(&[CH], "1.1");
    let other = "private-client.43";
    assert!(sim
        .text(&frame("request.status.updated", Some(other), json!({})))
        .is_empty());
    assert!(sim
        .text(&frame("request.status.updated", None, json!({})))
        .is_empty());
    for ev in [
        "pusher:cache_miss",
        "pusher:signin_success",
        "pusher_internal:member_added",
        "pusher_internal:subscription_count",
        "pusher:pong",
        "pusher:connection_established",
    ] {
        assert!(sim.text(&frame(ev, Some(CH), json!({}))).is_empty(), "{ev}");
    }
    // A duplicate success is not reported twice.
    assert!(sim
        .text(&frame(
            "pusher_internal:subscription_succeeded",
            Some(CH),
            json!({})
        ))
        .is_empty());
    assert!(sim.c.is_connected());
    assert_eq!(sim.c.socket_id(), Some("1.1"));
}

#[test]
fn activity_timeout_is_min_of_client_and_server() {
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.open_and_establish("1.1", 60);
    assert_eq!(sim.c.next_timeout(), Some(60_000.0));

    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.open_and_establish("1.1", 600);
    assert_eq!(sim.c.next_timeout(), Some(120_000.0));

    // A string or fractional value works; a tiny one is floored at 1 s.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.c.handle_open(0.0);
    sim.text(&frame(
        "pusher:connection_established",
        None,
        json!({"socket_id":"1.1","activity_timeout":"0.001"}),
    ));
    assert_eq!(sim.c.next_timeout(), Some(1_000.0));
}

#[test]
fn ping_pong_keepalive() {
    let mut sim = Sim::connected(&[CH], "1.1");
    let t0 = sim.now;
    assert_eq!(sim.c.next_timeout(), Some(t0 + 120_000.0));

    // Any frame resets the inactivity timer.
    sim.now = t0 + 100_000.0;
    sim.text(&frame("request.status.updated", Some(CH), json!({})));
    assert_eq!(sim.c.next_timeout(), Some(t0 + 220_000.0));
    // So does an unreadable one.
    sim.now = t0 + 110_000.0;
    sim.text("garbage");
    assert_eq!(sim.c.next_timeout(), Some(t0 + 230_000.0));

    // Early timer calls do nothing.
    sim.c.handle_timeout(t0 + 229_999.0);
    assert!(sim.drain().is_empty());

    // Silence: ping, then wait for pong.
    let a = sim.advance(120_000.0);
    assert_eq!(sent(&a), vec![json!({"event":"pusher:ping","data":{}})]);
    assert_eq!(sim.c.next_timeout(), Some(t0 + 230_000.0 + 30_000.0));
    sim.now = t0 + 240_000.0;
    assert!(sim.text(&frame("pusher:pong", None, json!({}))).is_empty());
    assert_eq!(sim.c.next_timeout(), Some(t0 + 360_000.0));
    assert!(sim.c.is_connected());

    // The server pings: answer pong, no app event.
    let a = sim.text(&frame("pusher:ping", None, json!({})));
    assert_eq!(
        a,
        vec![Action::Send(r#"{"event":"pusher:pong","data":{}}"#.into())]
    );
}

#[test]
fn pong_timeout_closes_and_reconnects_with_fresh_auth() {
    let chans = [CH, "private-client.43"];
    let mut sim = Sim::connected(&chans, "1.1");
    let a = sim.advance(120_000.0);
    assert_eq!(sent(&a).len(), 1, "ping");
    let a = sim.advance(29_999.0);
    assert!(a.is_empty());
    let a = sim.advance(1.0);
    assert_eq!(
        a,
        vec![
            Action::Error {
                code: None,
                message: "no pong from server".into()
            },
            Action::Close,
            Action::Disconnected {
                code: CODE_PONG_TIMEOUT,
                reconnect_in_ms: Some(0.0)
            },
            // The reconnect timer was due at once.
            Action::Connect,
        ]
    );
    assert!(!sim.c.is_connected());
    assert!(!sim.c.is_subscribed(CH));

    // A late answer from the old socket's auth request, and old frames, are ignored.
    assert!(sim.auth("1.1", CH, Ok("key:old")).is_empty());

    let a = sim.open_and_establish("2.2", 120);
    assert_eq!(
        authorizes(&a),
        vec![
            ("2.2".to_string(), CH.to_string()),
            ("2.2".to_string(), "private-client.43".to_string())
        ]
    );
    // The old socket's signature is never used, even after the new Authorize.
    assert!(sim.auth("1.1", CH, Ok("key:old")).is_empty());
    let a = sim.auth("2.2", CH, Ok("key:new"));
    assert_eq!(sent(&a)[0]["data"]["auth"], json!("key:new"));
    // A second answer for the same request is ignored.
    assert!(sim.auth("2.2", CH, Ok("key:again")).is_empty());
}

#[test]
fn close_code_classes() {
    assert_eq!(reconnect_class(4000), Reconnect::Never);
    assert_eq!(reconnect_class(4099), Reconnect::Never);
    assert_eq!(reconnect_class(4100), Reconnect::Backoff);
    assert_eq!(reconnect_class(4199), Reconnect::Backoff);
    assert_eq!(reconnect_class(4200), Reconnect::Now);
    assert_eq!(reconnect_class(4299), Reconnect::Now);
    for code in [1000, 1001, 1002, 1006, 1011, 3000, 4300, 4999, 0, 65535] {
        assert_eq!(reconnect_class(code), Reconnect::Backoff, "{code}");
    }
}

#[test]
fn refused_close_gives_up() {
    for code in [4000, 4001, 4004, 4009, 4099] {
        let mut sim = Sim::connected(&[CH], "1.1");
        let a = sim.close(code);
        assert_eq!(
            a,
            vec![Action::Disconnected {
                code,
                reconnect_in_ms: None
            }]
        );
        assert_eq!(sim.c.next_timeout(), None);
        assert!(sim.advance(1e9).is_empty());
        // A new subscription does not reconnect on its own; connect() does.
        assert!(sim.subscribe("private-x").is_empty());
        sim.c.connect(sim.now);
        assert_eq!(sim.drain(), vec![Action::Connect]);
        let a = sim.open_and_establish("2.2", 120);
        assert_eq!(authorizes(&a).len(), 2);
    }
}

#[test]
fn backoff_close_is_at_least_a_second_and_grows() {
    let mut sim = Sim::connected(&[CH], "1.1");
    let a = sim.close(4100);
    let (_, delay) = disconnected(&a).unwrap();
    assert_eq!(
        delay,
        Some(1_000.0),
        "first 4100 backoff: ceiling 1 s, floor 1 s"
    );
    let mut ceilings = Vec::new();
    for _ in 0..8 {
        sim.reconnect();
        sim.c.handle_open(sim.now);
        let a = sim.close(4100);
        let delay = disconnected(&a).unwrap().1.unwrap();
        assert!((1_000.0..=MAX).contains(&delay), "{delay}");
        ceilings.push(delay);
    }
    // Attempts 2..: ceilings 2 s, 4 s, 8 s, 16 s, then capped at 30 s.
    assert!(ceilings[0] <= 2_000.0);
    assert!(ceilings[1] <= 4_000.0);
    assert!(ceilings[2] <= 8_000.0);
    assert!(ceilings[3] <= 16_000.0);
}

#[test]
fn generic_close_full_jitter_backoff_capped() {
    let mut sim = Sim::connected(&[CH], "1.1");
    let mut delays = Vec::new();
    let mut code_iter = [1000u16, 1001, 1006, 1011, 4300, 4999].into_iter().cycle();
    for i in 0..40 {
        let code = code_iter.next().unwrap();
        let a = sim.close(code);
        assert_eq!(a.len(), 1, "no Close for a socket the server closed");
        let delay = disconnected(&a).unwrap().1.unwrap();
        let ceiling = (1_000.0 * 2f64.powi(i)).min(MAX);
        assert!(
            (0.0..=ceiling).contains(&delay),
            "attempt {i}: {delay} > {ceiling}"
        );
        delays.push(delay);
        sim.reconnect();
    }
    // Full jitter: the delays differ and some are well below the cap.
    let late = &delays[10..];
    assert!(late.iter().any(|d| *d < MAX / 2.0));
    assert!(late.iter().any(|d| *d > MAX / 2.0));
    // A failed socket that never opened backs off too.
    let a = sim.close(1006);
    assert!(disconnected(&a).unwrap().1.is_some());
}

#[test]
fn backoff_resets_after_a_stable_connection() {
    let mut sim = Sim::new();
    sim.subscribe(CH);
    for _ in 0..10 {
        sim.close(1006);
        sim.reconnect();
    }
    sim.open_and_establish("1.1", 120);
    sim.now += 60_000.0;
    let a = sim.close(1006);
    let delay = disconnected(&a).unwrap().1.unwrap();
    assert!(delay <= 1_000.0, "{delay}");
}

#[test]
fn retry_close_is_immediate_once_then_backs_off_when_flapping() {
    let mut sim = Sim::connected(&[CH], "1.1");
    sim.now += 60_000.0;
    let a = sim.close(4200);
    assert_eq!(disconnected(&a), Some((4200, Some(0.0))));
    sim.reconnect();
    sim.open_and_establish("2.2", 120);
    // Dropped again at once: no second immediate reconnect.
    let a = sim.close(4201);
    let delay = disconnected(&a).unwrap().1.unwrap();
    assert!((0.0..=2_000.0).contains(&delay));
    // After a stable connection, immediate again.
    sim.reconnect();
    sim.open_and_establish("3.3", 120);
    sim.now += STABLE_AFTER_MS;
    let a = sim.close(4299);
    assert_eq!(disconnected(&a), Some((4299, Some(0.0))));
}

#[test]
fn stale_close_and_text_are_ignored() {
    let mut sim = Sim::connected(&[CH], "1.1");
    sim.close(1006);
    // The same socket reporting again, or late frames: nothing.
    assert!(sim.close(4001).is_empty());
    assert!(sim
        .text(&frame("request.status.updated", Some(CH), json!({})))
        .is_empty());
    sim.c.handle_open(sim.now);
    assert!(sim.drain().is_empty());
    assert!(!sim.c.is_connected());
}

#[test]
fn pusher_error_during_handshake() {
    // Refused: error, close, give up.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.c.handle_open(0.0);
    let a = sim.text(&frame(
        "pusher:error",
        None,
        json!({"message":"Application does not exist","code":4001}),
    ));
    assert_eq!(
        a,
        vec![
            Action::Error {
                code: Some(4001),
                message: "Application does not exist".into()
            },
            Action::Close,
            Action::Disconnected {
                code: 4001,
                reconnect_in_ms: None
            },
        ]
    );
    // The server's close that follows is ignored.
    assert!(sim.close(4001).is_empty());

    // Over capacity: back off at least 1 s.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.c.handle_open(0.0);
    let a = sim.text(&frame(
        "pusher:error",
        None,
        json!({"message":"Over capacity","code":4100}),
    ));
    assert_eq!(disconnected(&a), Some((4100, Some(1_000.0))));

    // No code: the handshake failed anyway; back off.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.c.handle_open(0.0);
    let a = sim.text(&frame(
        "pusher:error",
        None,
        json!({"message":"nope","code":null}),
    ));
    assert!(a.contains(&Action::Close));
    let (code, delay) = disconnected(&a).unwrap();
    assert_eq!(code, CODE_PROTOCOL_ERROR);
    assert!(delay.is_some());
}

#[test]
fn pusher_error_while_connected() {
    // After the handshake no `pusher:error` closes the connection, whatever its code: it is
    // about a channel (real Pusher servers send a refused auth as 4009 on an open socket).
    // Only a close code refuses or drops the connection.
    let mut sim = Sim::connected(&[CH], "1.1");
    for data in [
        json!({"message":"m","code":4001}),
        json!({"message":"m","code":4100}),
        json!({"message":"m","code":4200}),
        json!({"message":"m","code":4009}),
        json!({"message":"Client event rejected","code":null}),
        json!({"message":"x","code":4301}),
        json!({"message":"x"}),
        json!("plain text"),
    ] {
        let a = sim.text(&frame("pusher:error", None, data));
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(matches!(a[0], Action::Error { .. }));
        assert!(sim.c.is_connected());
        assert!(
            sim.c.is_subscribed(CH),
            "a subscribed channel stays subscribed"
        );
    }
    // A code sent as an object (not double-encoded) is read too.
    let raw = json!({"event":"pusher:error","data":{"message":"bye","code":4009}});
    let a = sim.text(&raw.to_string());
    assert_eq!(
        a,
        vec![Action::Error {
            code: Some(4009),
            message: "bye".into()
        }]
    );

    // A channel awaiting its subscription when a refused auth arrives (4009) fails; the
    // connection stays, and subscribing again retries with a fresh auth.
    let other = "private-client.43";
    assert_eq!(
        authorizes(&sim.subscribe(other)),
        vec![("1.1".into(), other.into())]
    );
    sim.auth("1.1", other, Ok("key:bad"));
    let a = sim.text(&frame(
        "pusher:error",
        None,
        json!({"message":"Invalid signature","code":4009}),
    ));
    assert_eq!(
        a[1],
        Action::SubscriptionFailed {
            channel: other.into(),
            error: "Invalid signature".into()
        }
    );
    assert!(sim.c.is_connected() && sim.c.is_subscribed(CH));
    assert_eq!(
        authorizes(&sim.subscribe(other)),
        vec![("1.1".into(), other.into())]
    );
    // A handshake refused with a 40xx close is still a refusal.
    assert_eq!(disconnected(&sim.close(4001)), Some((4001, None)));
}

#[test]
fn auth_failure_and_subscription_error() {
    let other = "private-client.43";
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.subscribe(other);
    sim.open_and_establish("1.1", 120);
    let a = sim.auth("1.1", CH, Err("HTTP 403"));
    assert_eq!(
        a,
        vec![Action::SubscriptionFailed {
            channel: CH.into(),
            error: "HTTP 403".into()
        }]
    );
    assert!(sim.auth("1.1", CH, Ok("key:late")).is_empty());
    // An empty signature is a failure too.
    let a = sim.auth("1.1", other, Ok(""));
    assert!(matches!(&a[0], Action::SubscriptionFailed { channel, .. } if channel == other));

    // Subscribing again retries with a fresh Authorize.
    let a = sim.subscribe(CH);
    assert_eq!(authorizes(&a), vec![("1.1".into(), CH.into())]);
    sim.auth("1.1", CH, Ok("key:sig"));
    let a = sim.text(&frame(
        "pusher:subscription_error",
        Some(CH),
        json!({"type":"AuthError","error":"Invalid signature","status":401}),
    ));
    assert_eq!(
        a,
        vec![Action::SubscriptionFailed {
            channel: CH.into(),
            error: "Invalid signature".into()
        }]
    );
    assert!(!sim.c.is_subscribed(CH));
    assert!(
        sim.c.is_connected(),
        "a channel failure does not touch the connection"
    );
    // Events for the failed channel are ignored.
    assert!(sim.text(&frame("e", Some(CH), json!({}))).is_empty());

    // Failed channels are retried after a reconnect.
    sim.close(1006);
    sim.reconnect();
    let a = sim.open_and_establish("2.2", 120);
    assert_eq!(authorizes(&a).len(), 2);
}

#[test]
fn missing_activity_timeout_is_a_protocol_error() {
    for data in [
        json!({"socket_id":"1.1"}),
        json!({"socket_id":"1.1","activity_timeout":0}),
        json!({"socket_id":"1.1","activity_timeout":"x"}),
        json!({"activity_timeout":120}),
        json!({"socket_id":"","activity_timeout":120}),
    ] {
        let mut sim = Sim::new();
        sim.subscribe(CH);
        sim.c.handle_open(0.0);
        let a = sim.text(&frame("pusher:connection_established", None, data.clone()));
        assert!(matches!(a[0], Action::Error { code: None, .. }), "{data}");
        assert_eq!(a[1], Action::Close);
        let (code, delay) = disconnected(&a).unwrap();
        assert_eq!(code, CODE_PROTOCOL_ERROR);
        assert!(delay.unwrap() <= 1_000.0);
        assert!(!sim.c.is_connected());
        assert!(authorizes(&a).is_empty());
    }
    // A numeric socket id is accepted as text.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    sim.c.handle_open(0.0);
    let a = sim.text(&frame(
        "pusher:connection_established",
        None,
        json!({"socket_id":42,"activity_timeout":120}),
    ));
    assert_eq!(authorizes(&a), vec![("42".into(), CH.into())]);
}

#[test]
fn invalid_handshakes() {
    for text in [
        "",
        "garbage",
        "[]",
        "{}",
        r#"{"event":5}"#,
        &frame("request.status.updated", Some(CH), json!({})),
        &frame("pusher:ping", None, json!({})),
    ] {
        let mut sim = Sim::new();
        sim.subscribe(CH);
        sim.c.handle_open(0.0);
        let a = sim.text(text);
        assert_eq!(a[1], Action::Close, "{text}");
        assert_eq!(disconnected(&a).unwrap().0, CODE_PROTOCOL_ERROR);
    }
    // Text before handle_open counts as open.
    let mut sim = Sim::new();
    sim.subscribe(CH);
    let a = sim.text(&established("1.1", 120));
    assert!(sim.c.is_connected());
    assert_eq!(authorizes(&a).len(), 1);
}

#[test]
fn connect_timeout() {
    let mut sim = Sim::new();
    sim.subscribe(CH);
    let a = sim.advance(14_999.0);
    assert!(a.is_empty());
    let a = sim.advance(1.0);
    assert_eq!(a[1], Action::Close);
    assert_eq!(disconnected(&a).unwrap().0, CODE_CONNECT_TIMEOUT);
    // Opened but never handshaken: same deadline from the Connect.
    sim.reconnect();
    let start = sim.now;
    sim.c.handle_open(start + 10_000.0);
    assert_eq!(sim.c.next_timeout(), Some(start + 15_000.0));
    let a = sim.advance(15_000.0);
    assert!(a.contains(&Action::Close));
}

#[test]
fn garbage_frames_while_connected() {
    let mut sim = Sim::connected(&[CH], "1.1");
    for text in [
        "",
        "{",
        "null",
        "[1,2]",
        "\"str\"",
        r#"{"event":null}"#,
        r#"{"channel":"private-client.42"}"#,
        r#"{"event":"e","channel":5,"data":"{}"}"#,
        r#"{"event":"pusher_internal:subscription_succeeded"}"#,
        r#"{"event":"pusher:subscription_error","channel":"private-nope"}"#,
        r#"{"event":"pusher:error","data":{"code":1e300}}"#,
        r#"{"event":"pusher:error","data":{"code":-4001}}"#,
        r#"{"event":"pusher:error","data":{"code":4001.5}}"#,
        "\u{0}\u{ffff}",
    ] {
        sim.text(text);
        assert!(sim.c.is_connected(), "{text}");
        assert!(sim.c.is_subscribed(CH));
    }
}

#[test]
fn unsubscribe() {
    let other = "private-client.43";
    let mut sim = Sim::connected(&[CH], "1.1");
    let a = sim.subscribe(other);
    assert_eq!(authorizes(&a).len(), 1);
    // Unsubscribing while authorizing sends nothing and ignores the answer.
    sim.c.unsubscribe(sim.now, other);
    assert!(sim.drain().is_empty());
    assert!(sim.auth("1.1", other, Ok("key:sig")).is_empty());

    sim.c.unsubscribe(sim.now, CH);
    assert_eq!(
        sent(&sim.drain()),
        vec![json!({"event":"pusher:unsubscribe","data":{"channel":CH}})]
    );
    assert!(sim.text(&frame("e", Some(CH), json!({}))).is_empty());
    assert!(sim
        .text(&frame(
            "pusher_internal:subscription_succeeded",
            Some(CH),
            json!({})
        ))
        .is_empty());
    // Unknown channel: nothing.
    sim.c.unsubscribe(sim.now, "private-none");
    assert!(sim.drain().is_empty());
    // Not re-subscribed after a reconnect.
    sim.close(1006);
    sim.reconnect();
    let a = sim.open_and_establish("2.2", 120);
    assert!(authorizes(&a).is_empty());
}

#[test]
fn public_presence_and_invalid_channels() {
    let mut sim = Sim::new();
    sim.subscribe("public-feed");
    let a = sim.open_and_establish("1.1", 120);
    assert!(authorizes(&a).is_empty());
    assert_eq!(
        sent(&a),
        vec![json!({"event":"pusher:subscribe","data":{"channel":"public-feed"}})]
    );
    for bad in [
        "",
        "presence-room",
        "private-encrypted-x",
        "has space",
        "quo\"te",
        &"x".repeat(201),
    ] {
        let a = sim.subscribe(bad);
        assert!(
            matches!(&a[..], [Action::SubscriptionFailed { channel, .. }] if channel == bad),
            "{bad}"
        );
    }
    assert!(sim.subscribe(&"x".repeat(200)).len() == 1);
}

#[test]
fn disconnect_and_restart() {
    let mut sim = Sim::connected(&[CH], "1.1");
    sim.c.disconnect(sim.now);
    assert_eq!(
        sim.drain(),
        vec![
            Action::Close,
            Action::Disconnected {
                code: CODE_NORMAL,
                reconnect_in_ms: None
            }
        ]
    );
    assert_eq!(sim.c.next_timeout(), None);
    assert!(sim.close(1000).is_empty());
    sim.c.disconnect(sim.now);
    assert!(sim.drain().is_empty());
    // connect() restarts and re-subscribes the registered channels.
    sim.c.connect(sim.now);
    assert_eq!(sim.drain(), vec![Action::Connect]);
    sim.c.connect(sim.now);
    assert!(sim.drain().is_empty(), "already connecting");
    let a = sim.open_and_establish("2.2", 120);
    assert_eq!(authorizes(&a), vec![("2.2".into(), CH.into())]);

    // While waiting for a reconnect, connect() skips the timer.
    sim.close(1006);
    sim.c.connect(sim.now);
    assert_eq!(sim.drain(), vec![Action::Connect]);
    // disconnect() while waiting reports the new plan.
    sim.close(1006);
    sim.c.disconnect(sim.now);
    assert_eq!(
        sim.drain(),
        vec![Action::Disconnected {
            code: CODE_NORMAL,
            reconnect_in_ms: None
        }]
    );
}

#[test]
fn many_channels() {
    let names: Vec<String> = (0..500).map(|i| format!("private-client.{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut sim = Sim::connected(&refs, "1.1");
    for (i, name) in names.iter().enumerate().step_by(37) {
        let ev = events(&sim.text(&frame(
            "request.status.updated",
            Some(name),
            json!({"i": i}),
        )));
        assert_eq!(ev.len(), 1);
        assert_eq!(&ev[0].0, name);
        assert_eq!(ev[0].2.get("i"), Some(&Json::Number(i as f64)));
    }
    // Reconnect: one fresh Authorize per channel, for the new socket.
    sim.close(1001);
    sim.reconnect();
    let a = sim.open_and_establish("9.9", 120);
    let auth = authorizes(&a);
    assert_eq!(auth.len(), 500);
    assert!(auth.iter().all(|(s, _)| s == "9.9"));
    // Answers arrive out of order.
    for name in names.iter().rev() {
        let a = sim.auth("9.9", name, Ok("k:s"));
        assert_eq!(sent(&a)[0]["data"]["channel"], json!(name));
    }
    for name in &names {
        sim.text(&frame(
            "pusher_internal:subscription_succeeded",
            Some(name),
            json!({}),
        ));
    }
    assert!(names.iter().all(|n| sim.c.is_subscribed(n)));
}

#[test]
fn jitter_depends_on_seed_only() {
    let run = |seed| {
        let mut c = PusherConnection::new(PusherConfig::default(), seed);
        c.subscribe(0.0, CH);
        let mut delays = Vec::new();
        for i in 0..6 {
            c.handle_close(i as f64 * 1e6, 1006);
            while let Some(a) = c.poll_action() {
                if let Action::Disconnected {
                    reconnect_in_ms, ..
                } = a
                {
                    delays.push(reconnect_in_ms.unwrap());
                }
            }
            c.connect(i as f64 * 1e6);
            while c.poll_action().is_some() {}
        }
        delays
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

/// Frames shaped like the protocol's, with random pieces.
fn arb_frame() -> impl Strategy<Value = String> {
    let event = prop_oneof![
        Just("pusher:connection_established".to_string()),
        Just("pusher:error".to_string()),
        Just("pusher:ping".to_string()),
        Just("pusher:pong".to_string()),
        Just("pusher_internal:subscription_succeeded".to_string()),
        Just("pusher:subscription_error".to_string()),
        Just("request.status.updated".to_string()),
        "[a-z:_.]{0,12}",
    ];
    let channel = prop_oneof![
        Just(None),
        Just(Some(CH.to_string())),
        Just(Some("private-client.43".to_string())),
        "[ -~]{0,10}".prop_map(Some),
    ];
    let data = prop_oneof![
        Just(json!({"socket_id":"1.1","activity_timeout":120})),
        Just(json!({"socket_id":"2.2","activity_timeout":1})),
        (any::<u16>(), "[ -~]{0,8}").prop_map(|(c, m)| json!({"code":c,"message":m})),
        any::<f64>().prop_map(|f| json!({"code": f, "activity_timeout": f, "socket_id": f})),
        "[ -~]{0,20}".prop_map(Value::String),
        Just(json!(null)),
        Just(json!([1, {"a": []}])),
    ];
    let structured = (event, channel, data, any::<bool>()).prop_map(|(e, c, d, twice)| {
        let mut f = json!({"event": e, "data": if twice { json!(d.to_string()) } else { d }});
        if let Some(c) = c {
            f["channel"] = json!(c);
        }
        f.to_string()
    });
    prop_oneof![
        3 => structured.clone(),
        1 => any::<String>(),
        1 => "[{}\\[\\]\":,a-z0-9\\\\ ]{0,40}",
        1 => (structured, any::<usize>(), any::<char>()).prop_map(|(s, at, ch)| {
            // One character replaced: mostly broken JSON.
            let mut chars: Vec<char> = s.chars().collect();
            let i = at % chars.len();
            chars[i] = ch;
            chars.into_iter().collect()
        }),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Text(String),
    Open,
    Close(u16),
    Advance(f64),
    Auth(bool, bool),
    Subscribe(u8),
    Unsubscribe(u8),
    Connect,
    Disconnect,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => arb_frame().prop_map(Op::Text),
        1 => Just(Op::Open),
        1 => any::<u16>().prop_map(Op::Close),
        2 => (0.0..200_000.0f64).prop_map(Op::Advance),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(ok, stale)| Op::Auth(ok, stale)),
        1 => (0u8..4).prop_map(Op::Subscribe),
        1 => (0u8..4).prop_map(Op::Unsubscribe),
        1 => Just(Op::Connect),
        1 => Just(Op::Disconnect),
    ]
}

fn chan(i: u8) -> &'static str {
    [
        "private-client.42",
        "private-client.43",
        "public",
        "private-x",
    ][i as usize % 4]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random frames and calls in any order: no panic, and the invariants hold.
    #[test]
    fn never_panics_and_stays_consistent(seed in any::<u64>(), ops in prop::collection::vec(arb_op(), 1..60)) {
        let mut sim = Sim { c: PusherConnection::new(PusherConfig::default(), seed), now: 0.0 };
        sim.subscribe(CH);
        let mut last_authorize: Option<(String, String)> = None;
        for op in ops {
            let actions = match op {
                Op::Text(t) => sim.text(&t),
                Op::Open => { sim.c.handle_open(sim.now); sim.drain() }
                Op::Close(code) => sim.close(code),
                Op::Advance(ms) => sim.advance(ms),
                Op::Auth(ok, stale) => match last_authorize.clone() {
                    Some((sid, ch)) => {
                        let sid = if stale { "0.0".to_string() } else { sid };
                        let r = if ok { Ok("k:s") } else { Err("denied") };
                        sim.auth(&sid, &ch, r)
                    }
                    None => Vec::new(),
                },
                Op::Subscribe(i) => sim.subscribe(chan(i)),
                Op::Unsubscribe(i) => { sim.c.unsubscribe(sim.now, chan(i)); sim.drain() }
                Op::Connect => { sim.c.connect(sim.now); sim.drain() }
                Op::Disconnect => { sim.c.disconnect(sim.now); sim.drain() }
            };
            for a in &actions {
                match a {
                    Action::Authorize { socket_id, channel } => {
                        prop_assert_eq!(Some(socket_id.as_str()), sim.c.socket_id());
                        last_authorize = Some((socket_id.clone(), channel.clone()));
                    }
                    Action::Event { event, .. } => {
                        prop_assert!(!event.starts_with("pusher:") && !event.starts_with("pusher_internal:"));
                    }
                    Action::Disconnected { reconnect_in_ms: Some(d), .. } => {
                        prop_assert!((0.0..=MAX).contains(d));
                    }
                    Action::Send(s) => {
                        let v: Value = serde_json::from_str(s).unwrap();
                        prop_assert!(v["event"].is_string());
                    }
                    _ => {}
                }
            }
            if let Some(Action::Event { channel, .. }) = actions.iter().rev().find(|a| matches!(a, Action::Event { .. })) {
                prop_assert!(sim.c.is_subscribed(channel));
            }
            prop_assert_eq!(sim.c.is_connected(), sim.c.socket_id().is_some());
            if let Some(t) = sim.c.next_timeout() {
                prop_assert!(t.is_finite());
                prop_assert!(t <= sim.now + 200_000.0);
            }
        }
    }

    /// Arbitrary text at every stage of the connection never panics.
    #[test]
    fn arbitrary_text_never_panics(texts in prop::collection::vec(any::<String>(), 1..20)) {
        let mut sim = Sim::connected(&[CH], "1.1");
        for t in &texts {
            sim.text(t);
        }
        let mut sim = Sim::new();
        sim.subscribe(CH);
        sim.c.handle_open(0.0);
        for t in &texts {
            sim.text(t);
        }
    }
}

#[test]
fn full_form_ws_urls_split_into_base_and_key() {
    assert_eq!(
        PusherConnection::split_app_url("wss://soketi.deapi.ai:443/app/depin-api-prod-key"),
        Some(("wss://soketi.deapi.ai:443", "depin-api-prod-key"))
    );
    assert_eq!(
        PusherConnection::split_app_url("ws://127.0.0.1:9/deapi-ws/app/k/?protocol=7"),
        Some(("ws://127.0.0.1:9/deapi-ws", "k"))
    );
    assert_eq!(
        PusherConnection::split_app_url("wss://soketi.deapi.ai:443"),
        None
    );
    assert_eq!(PusherConnection::split_app_url("wss://h/app/"), None);
    assert_eq!(PusherConnection::split_app_url("wss://h/app/a/b"), None);
}

#[test]
fn subscribing_after_a_disconnect_connects_again() {
    // A client whose waits all ended disconnected; its next wait subscribes the same channel.
    let mut sim = Sim::connected(&[CH], "1.1");
    sim.c.disconnect(sim.now);
    sim.drain();
    assert!(!sim.c.is_connected());
    let a = sim.subscribe(CH);
    assert_eq!(a, vec![Action::Connect], "the known channel reconnects");
    let a = sim.open_and_establish("2.2", 120);
    assert_eq!(
        authorizes(&a),
        vec![("2.2".into(), CH.into())],
        "with a fresh auth"
    );
}
