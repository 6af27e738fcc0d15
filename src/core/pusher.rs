//! A sans-IO client for the Pusher Channels protocol, version 7 (deAPI's WebSocket push path):
//! one connection, any number of channels. It owns the protocol state — handshake, channel
//! authorization and subscription, keepalive ping/pong, and what to do when the socket closes —
//! and nothing else.
//!
//! It opens no socket, reads no clock and draws no random number from the system. The driver
//! (`src/transport`) feeds what happens with `handle_*` (passing the time in), does what
//! [`PusherConnection::poll_action`] returns, and calls [`PusherConnection::handle_timeout`] at
//! [`PusherConnection::next_timeout`]. Backoff jitter comes from a seed given to
//! [`PusherConnection::new`].
//!
//! Call order after every `handle_*`, `subscribe`, `unsubscribe`, `connect` or `disconnect`:
//! drain `poll_action()`, then re-arm one timer at `next_timeout()`.
//!
//! Driver contract:
//! - On [`Action::Connect`], open a WebSocket to [`PusherConnection::connect_url`] and report
//!   `handle_open` / `handle_text` / `handle_close` for it.
//! - On [`Action::Close`], close that socket and **detach it**: nothing more from it may be fed
//!   in (the machine has already decided what to do next and may ask for a new socket at once).
//!   Only one socket is live at a time.
//! - On [`Action::Authorize`], ask the auth endpoint and answer with `handle_auth`, echoing the
//!   `socket_id`; an answer for an older socket is ignored, so an old signature is never reused.
//!
//! Behaviour (pusher-js `protocol.ts`, `connection_manager.ts`, `channel.ts`, with the
//! differences noted):
//! - Frames are `{"event","channel"?,"data"}`; a string `data` is decoded a second time and kept
//!   as a string if that fails; an object `data` is taken as is.
//! - The handshake must be `pusher:connection_established` with `socket_id` and a positive
//!   `activity_timeout` (seconds) — anything else is a protocol error: close, back off.
//! - Keepalive: after `min(client, server)` activity timeout without any received frame, send
//!   `pusher:ping`; any frame within `pong_timeout_ms` counts as the answer, else close and
//!   reconnect. A server `pusher:ping` is answered with `pusher:pong`.
//! - Close codes (and a `pusher:error` code during the handshake): 4000–4099 refused (never
//!   reconnect; 4000 "SSL only" means the URL must be `wss://`); 4100–4199 back off (at least
//!   1 s); 4200–4299
//!   reconnect at once; everything else backs off. pusher-js refuses codes ≥ 4300 and retries
//!   others after a flat 1 s; here both back off exponentially (1 s doubling, capped at
//!   `max_backoff_ms`, full jitter). An immediate reconnect is granted once; if the new
//!   connection fails again before it was stable (30 s), it backs off instead, so a flapping
//!   server cannot cause a reconnect storm.
//! - A connection that is not established within `connect_timeout_ms` is abandoned (back off).
//! - After every (re)connection each channel is authorized afresh for the new `socket_id`.
//!
//! Not done here: presence channels (`channel_data`), client events (`client-*` sends),
//! user sign-in, encrypted channels, transports other than WebSocket, and the TLS-only retry.

use super::json::{self, Json};

/// Pusher protocol version spoken.
pub const PROTOCOL_VERSION: &str = "7";

/// `Disconnected` code when the client closes because a frame broke the protocol (missing
/// `activity_timeout`, invalid handshake). WebSocket's "protocol error"; backs off.
pub const CODE_PROTOCOL_ERROR: u16 = 1002;
/// `Disconnected` code when the connection was not established within `connect_timeout_ms`.
/// WebSocket's "abnormal closure"; backs off.
pub const CODE_CONNECT_TIMEOUT: u16 = 1006;
/// `Disconnected` code when no frame answered a ping within `pong_timeout_ms`. Pusher's own
/// "pong reply not received"; reconnects at once.
pub const CODE_PONG_TIMEOUT: u16 = 4201;
/// `Disconnected` code after [`PusherConnection::disconnect`].
pub const CODE_NORMAL: u16 = 1000;

const INITIAL_BACKOFF_MS: f64 = 1_000.0;
/// A connection up this long resets the backoff.
const STABLE_AFTER_MS: f64 = 30_000.0;
/// The server cannot make us ping more often than this.
const MIN_ACTIVITY_MS: f64 = 1_000.0;
/// Pusher's limit on channel names.
const MAX_CHANNEL_LEN: usize = 200;

/// Timers of one connection, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PusherConfig {
    /// Ping after this much silence (pusher-js: 120 s); the server's `activity_timeout` may
    /// lower it.
    pub activity_timeout_ms: f64,
    /// Reconnect when nothing arrives this long after a ping (pusher-js: 30 s).
    pub pong_timeout_ms: f64,
    /// The backoff ceiling.
    pub max_backoff_ms: f64,
    /// Give up on a socket that is not open and handshaken after this long (pusher-js's
    /// WebSocket transport: 15 s).
    pub connect_timeout_ms: f64,
}

impl Default for PusherConfig {
    fn default() -> Self {
        PusherConfig {
            activity_timeout_ms: 120_000.0,
            pong_timeout_ms: 30_000.0,
            max_backoff_ms: 30_000.0,
            connect_timeout_ms: 15_000.0,
        }
    }
}

/// What the driver must do (or learn) next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Open a WebSocket to [`PusherConnection::connect_url`].
    Connect,
    /// Send this text frame on the open socket.
    Send(String),
    /// Close the socket and detach it (see the module doc).
    Close,
    /// The handshake completed. Events sent while disconnected are lost: a good time to re-poll.
    Connected { socket_id: String },
    /// Ask the auth endpoint to sign `socket_id:channel`; answer with `handle_auth`.
    Authorize { socket_id: String, channel: String },
    /// The server confirmed the subscription.
    Subscribed { channel: String },
    /// Authorization or subscription failed; the channel stays registered and is retried on the
    /// next connection or the next `subscribe`.
    SubscriptionFailed { channel: String, error: String },
    /// An application event on a subscribed channel. `data` is decoded (a JSON-encoded string
    /// is parsed; text that is not JSON stays a string).
    Event {
        channel: String,
        event: String,
        data: Json,
    },
    /// Informational: a `pusher:error` from the server or an unreadable frame. Whatever the
    /// machine does about it comes as separate actions.
    Error { code: Option<u16>, message: String },
    /// The connection ended. `reconnect_in_ms`: when a new `Connect` will be asked for (the
    /// timer is in `next_timeout`); `None` = given up until [`PusherConnection::connect`].
    Disconnected {
        code: u16,
        reconnect_in_ms: Option<f64>,
    },
}

/// What a close code (or a fatal `pusher:error` code) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconnect {
    /// 4000–4099: the server refused; do not reconnect unchanged.
    Never,
    /// 4100–4199 and any code outside the other classes: back off exponentially.
    Backoff,
    /// 4200–4299: reconnect at once (once; a connection that drops again before it was stable
    /// backs off instead).
    Now,
}

/// The reconnect class of a close code.
pub fn reconnect_class(code: u16) -> Reconnect {
    match code {
        4000..=4099 => Reconnect::Never,
        4200..=4299 => Reconnect::Now,
        _ => Reconnect::Backoff,
    }
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    /// Not started, or stopped by `disconnect`.
    Idle,
    /// `Connect` emitted; the socket is not open yet.
    Connecting {
        deadline: f64,
    },
    /// Socket open; waiting for `pusher:connection_established`.
    Handshaking {
        deadline: f64,
    },
    Connected(Live),
    /// Waiting for the reconnect timer.
    Waiting {
        until: f64,
    },
    /// Refused by the server; only `connect` restarts.
    Failed,
}

#[derive(Clone, Debug, PartialEq)]
struct Live {
    socket_id: String,
    since: f64,
    activity_ms: f64,
    last_rx: f64,
    ping_sent: Option<f64>,
}

/// The wanted channels and their subscription state, in the order they were first wanted. A
/// list, not a tree: a client has a handful of channels (deAPI: one), and a linear search over
/// even hundreds costs less than a `BTreeMap`'s code in the wasm (~5 KB).
#[derive(Clone, Debug, Default)]
struct Channels(Vec<(String, Sub)>);

impl Channels {
    fn get(&self, name: &str) -> Option<&Sub> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Sub> {
        self.0.iter_mut().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// Sets `name`'s state, adding it at the end when new.
    fn insert(&mut self, name: String, sub: Sub) {
        match self.get_mut(&name) {
            Some(s) => *s = sub,
            None => self.0.push((name, sub)),
        }
    }

    fn remove(&mut self, name: &str) -> Option<Sub> {
        let i = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(i).1)
    }

    fn iter(&self) -> impl Iterator<Item = (&String, &Sub)> {
        self.0.iter().map(|(n, s)| (n, s))
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut Sub> {
        self.0.iter_mut().map(|(_, s)| s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sub {
    /// Wanted; waits for a connection.
    Pending,
    /// `Authorize` emitted for the current socket.
    Authorizing,
    /// `pusher:subscribe` sent.
    Subscribing,
    Subscribed,
    /// Refused or authorization failed; retried on the next connection.
    Failed,
}

/// The protocol state of one Pusher connection. See the module doc for the call order.
#[derive(Clone, Debug)]
pub struct PusherConnection {
    config: PusherConfig,
    state: State,
    channels: Channels,
    /// Oldest first; a few at a time (a `Vec`: smaller wasm than a `VecDeque`).
    actions: Vec<Action>,
    /// Connection attempts since the last stable connection.
    attempts: u32,
    /// splitmix64 state for the backoff jitter.
    rng: u64,
}

impl PusherConnection {
    /// A connection that has not started; the first `subscribe` (or `connect`) starts it.
    /// `seed` feeds the backoff jitter (any value; the driver may pass a random one).
    pub fn new(config: PusherConfig, seed: u64) -> Self {
        PusherConnection {
            config,
            state: State::Idle,
            channels: Channels::default(),
            actions: Vec::new(),
            attempts: 0,
            rng: seed,
        }
    }

    /// `{ws_base}/app/{key}?protocol=7&client=polyjob&version={version}&flash=false`, e.g.
    /// `wss://soketi.deapi.ai:443`. A trailing `/` on `ws_base` is dropped; `key` and `version`
    /// are percent-encoded.
    /// Splits a WebSocket URL written in the full form some docs use, `wss://host/app/KEY`
    /// (optionally with a query), into its base (`wss://host`) and the app key; `None` for a plain
    /// base URL. [`PusherConnection::connect_url`] adds `/app/KEY` itself.
    pub fn split_app_url(ws_url: &str) -> Option<(&str, &str)> {
        let without_query = ws_url.split(['?', '#']).next().unwrap_or(ws_url);
        let trimmed = without_query.trim_end_matches('/');
        // A byte scan, not `rsplit_once("/app/")` (core's substring searcher: ~2 KB of wasm).
        let at = trimmed.as_bytes().windows(5).rposition(|w| w == b"/app/")?;
        let (base, key) = (&trimmed[..at], &trimmed[at + 5..]);
        let has_scheme = base.as_bytes().windows(3).any(|w| w == b"://");
        (!key.is_empty() && !key.contains('/') && has_scheme).then_some((base, key))
    }

    pub fn connect_url(ws_base: &str, key: &str, version: &str) -> String {
        let base = ws_base.trim_end_matches('/');
        let mut url = String::with_capacity(base.len() + key.len() + version.len() + 64);
        url.push_str(base);
        url.push_str("/app/");
        super::encoding::push_percent_encoded(&mut url, key);
        url.push_str("?protocol=");
        url.push_str(PROTOCOL_VERSION);
        url.push_str("&client=polyjob&version=");
        super::encoding::push_percent_encoded(&mut url, version);
        url.push_str("&flash=false");
        url
    }

    /// Whether the handshake has completed on the current socket.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected(_))
    }

    /// The current socket id, while connected.
    pub fn socket_id(&self) -> Option<&str> {
        match &self.state {
            State::Connected(live) => Some(&live.socket_id),
            _ => None,
        }
    }

    /// Whether the server has confirmed the subscription to `channel` on this socket.
    pub fn is_subscribed(&self, channel: &str) -> bool {
        self.channels.get(channel) == Some(&Sub::Subscribed)
    }

    /// Starts connecting now: from idle, after a refusal, or skipping a pending reconnect
    /// timer (e.g. when the network comes back). No effect while connecting or connected.
    pub fn connect(&mut self, now_ms: f64) {
        match self.state {
            State::Idle | State::Failed | State::Waiting { .. } => self.start_connect(now_ms),
            _ => {}
        }
    }

    /// Closes the connection and stops reconnecting. Channels stay registered: a later
    /// `connect` (or `subscribe`) re-subscribes them.
    pub fn disconnect(&mut self, _now_ms: f64) {
        match self.state {
            State::Idle => return,
            State::Failed => {
                self.state = State::Idle;
                return;
            }
            State::Connecting { .. } | State::Handshaking { .. } | State::Connected(_) => {
                self.actions.push(Action::Close);
            }
            State::Waiting { .. } => {}
        }
        self.state = State::Idle;
        self.attempts = 0;
        self.reset_channels();
        self.actions.push(Action::Disconnected {
            code: CODE_NORMAL,
            reconnect_in_ms: None,
        });
    }

    /// Wants `channel`. Private channels (`private-…`) are authorized first; other names are
    /// subscribed without auth; `presence-…` channels and invalid names fail at once. Starts
    /// the connection when idle. Subscribing again to a failed channel retries it; otherwise a
    /// repeated call does nothing.
    pub fn subscribe(&mut self, now_ms: f64, channel: &str) {
        if let Some(reason) = invalid_channel(channel) {
            self.actions.push(Action::SubscriptionFailed {
                channel: channel.to_string(),
                error: reason.to_string(),
            });
            return;
        }
        match self.channels.get(channel) {
            None | Some(Sub::Failed) => {
                self.channels.insert(channel.to_string(), Sub::Pending);
            }
            // Known, and the connection was closed (`disconnect` keeps channels as pending):
            // connect again.
            Some(_) if matches!(self.state, State::Idle) => {}
            Some(_) => return,
        }
        match self.state {
            State::Idle => self.start_connect(now_ms),
            State::Connected(_) => self.begin_subscription(channel),
            _ => {}
        }
    }

    /// Drops `channel`; sends `pusher:unsubscribe` if the server knows of it. Its events, and
    /// any pending authorization answer, are ignored from now on.
    pub fn unsubscribe(&mut self, _now_ms: f64, channel: &str) {
        let Some(sub) = self.channels.remove(channel) else {
            return;
        };
        if self.is_connected() && matches!(sub, Sub::Subscribing | Sub::Subscribed) {
            let data = Json::object([("channel", Json::from(channel))]);
            let frame = frame_text("pusher:unsubscribe", data);
            self.actions.push(Action::Send(frame));
        }
    }

    /// The socket asked for by `Connect` is open.
    pub fn handle_open(&mut self, _now_ms: f64) {
        if let State::Connecting { deadline } = self.state {
            self.state = State::Handshaking { deadline };
        }
    }

    /// One text frame from the socket. Never panics: unreadable frames are reported as
    /// [`Action::Error`] (and break the connection only during the handshake).
    pub fn handle_text(&mut self, now_ms: f64, text: &str) {
        match &mut self.state {
            State::Connecting { deadline } | State::Handshaking { deadline } => {
                let deadline = *deadline;
                self.state = State::Handshaking { deadline };
                self.handle_handshake(now_ms, text);
            }
            State::Connected(live) => {
                // Any frame, even an unreadable one, is activity and answers a ping.
                live.last_rx = now_ms;
                live.ping_sent = None;
                self.handle_frame(now_ms, text);
            }
            State::Idle | State::Waiting { .. } | State::Failed => {}
        }
    }

    /// The auth endpoint answered for `channel` on `socket_id`: `Ok("key:signature")` or
    /// `Err(reason)`. Ignored unless it answers the current socket's pending authorization.
    pub fn handle_auth(
        &mut self,
        _now_ms: f64,
        socket_id: &str,
        channel: &str,
        result: Result<String, String>,
    ) {
        if self.socket_id() != Some(socket_id) {
            return;
        }
        let Some(sub) = self.channels.get_mut(channel) else {
            return;
        };
        if *sub != Sub::Authorizing {
            return;
        }
        match result {
            Ok(auth) if !auth.is_empty() => {
                *sub = Sub::Subscribing;
                let frame = subscribe_frame(channel, Some(&auth));
                self.actions.push(Action::Send(frame));
            }
            Ok(_) => self.fail_channel(channel, String::from("empty auth signature")),
            Err(error) => self.fail_channel(channel, error),
        }
    }

    /// The socket closed (or failed to open) with `code` (1006 when the platform gave none).
    /// Decides whether and when to reconnect. Ignored when no socket is live.
    pub fn handle_close(&mut self, now_ms: f64, code: u16) {
        match self.state {
            State::Connecting { .. } | State::Handshaking { .. } | State::Connected(_) => {
                self.drop_connection(now_ms, code, false);
            }
            State::Idle | State::Waiting { .. } | State::Failed => {}
        }
    }

    /// Runs the timers due at `now_ms`: connect timeout, ping after inactivity, pong timeout,
    /// reconnect. Calling it early does nothing.
    pub fn handle_timeout(&mut self, now_ms: f64) {
        match &mut self.state {
            State::Connecting { deadline } | State::Handshaking { deadline } => {
                if now_ms >= *deadline {
                    self.push_error(None, "connection not established in time");
                    self.drop_connection(now_ms, CODE_CONNECT_TIMEOUT, true);
                }
            }
            State::Connected(live) => match live.ping_sent {
                Some(sent) => {
                    if now_ms >= sent + self.config.pong_timeout_ms {
                        self.push_error(None, "no pong from server");
                        self.drop_connection(now_ms, CODE_PONG_TIMEOUT, true);
                    }
                }
                None => {
                    if now_ms >= live.last_rx + live.activity_ms {
                        live.ping_sent = Some(now_ms);
                        self.actions.push(Action::Send(String::from(
                            r#"{"event":"pusher:ping","data":{}}"#,
                        )));
                    }
                }
            },
            State::Waiting { until } => {
                if now_ms >= *until {
                    self.start_connect(now_ms);
                }
            }
            State::Idle | State::Failed => {}
        }
    }

    /// The absolute time (ms) at which `handle_timeout` must next be called, if any.
    pub fn next_timeout(&self) -> Option<f64> {
        match &self.state {
            State::Connecting { deadline } | State::Handshaking { deadline } => Some(*deadline),
            State::Connected(live) => Some(match live.ping_sent {
                Some(sent) => sent + self.config.pong_timeout_ms,
                None => live.last_rx + live.activity_ms,
            }),
            State::Waiting { until } => Some(*until),
            State::Idle | State::Failed => None,
        }
    }

    /// The next thing to do, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        if self.actions.is_empty() {
            None
        } else {
            Some(self.actions.remove(0))
        }
    }

    // --- internals ---

    fn start_connect(&mut self, now_ms: f64) {
        self.state = State::Connecting {
            deadline: now_ms + self.config.connect_timeout_ms,
        };
        self.actions.push(Action::Connect);
    }

    fn handle_handshake(&mut self, now_ms: f64, text: &str) {
        let Some(frame) = Frame::parse(text) else {
            self.protocol_error(now_ms, "invalid handshake frame");
            return;
        };
        match frame.event.as_str() {
            "pusher:connection_established" => {
                let socket_id = frame
                    .data
                    .get("socket_id")
                    .and_then(Json::to_text)
                    .filter(|s| !s.is_empty());
                let activity_s = frame
                    .data
                    .get("activity_timeout")
                    .and_then(Json::as_number_lenient)
                    .filter(|s| *s > 0.0);
                match (socket_id, activity_s) {
                    (Some(socket_id), Some(activity_s)) => {
                        self.established(now_ms, socket_id, activity_s * 1000.0)
                    }
                    (None, _) => self.protocol_error(now_ms, "handshake without socket_id"),
                    (_, None) => {
                        self.protocol_error(now_ms, "No activity timeout specified in handshake")
                    }
                }
            }
            "pusher:error" => {
                let code = self.report_pusher_error(&frame.data);
                // The handshake failed whatever the code; a fatal code says how to go on.
                let code = code.filter(|c| (4000..=4299).contains(c));
                self.drop_connection(now_ms, code.unwrap_or(CODE_PROTOCOL_ERROR), true);
            }
            _ => self.protocol_error(now_ms, "invalid handshake"),
        }
    }

    fn established(&mut self, now_ms: f64, socket_id: String, server_activity_ms: f64) {
        let activity_ms = self
            .config
            .activity_timeout_ms
            .min(server_activity_ms)
            .max(MIN_ACTIVITY_MS);
        self.state = State::Connected(Live {
            socket_id: socket_id.clone(),
            since: now_ms,
            activity_ms,
            last_rx: now_ms,
            ping_sent: None,
        });
        self.actions.push(Action::Connected { socket_id });
        let pending: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, sub)| **sub == Sub::Pending)
            .map(|(name, _)| name.clone())
            .collect();
        for channel in pending {
            self.begin_subscription(&channel);
        }
    }

    /// Authorizes (private) or subscribes (public) a pending channel; must be connected.
    fn begin_subscription(&mut self, channel: &str) {
        let State::Connected(live) = &self.state else {
            return;
        };
        let socket_id = live.socket_id.clone();
        let Some(sub) = self.channels.get_mut(channel) else {
            return;
        };
        if channel.starts_with("private-") {
            *sub = Sub::Authorizing;
            self.actions.push(Action::Authorize {
                socket_id,
                channel: channel.to_string(),
            });
        } else {
            *sub = Sub::Subscribing;
            self.actions
                .push(Action::Send(subscribe_frame(channel, None)));
        }
    }

    fn handle_frame(&mut self, _now_ms: f64, text: &str) {
        let Some(frame) = Frame::parse(text) else {
            self.push_error(None, "unreadable frame");
            return;
        };
        match frame.event.as_str() {
            "pusher:ping" => self.actions.push(Action::Send(String::from(
                r#"{"event":"pusher:pong","data":{}}"#,
            ))),
            "pusher:error" => {
                // After the handshake a `pusher:error` is about a channel — a refused channel
                // auth is code 4009 on a socket that stays open (soketi, sockudo, the mock) —
                // so the channels awaiting their subscription fail (a later `subscribe` tries
                // again with a fresh auth) and the connection stays. Only a close code refuses
                // the connection (`handle_close`).
                self.report_pusher_error(&frame.data);
                let message = describe_error(&frame.data, "pusher:error");
                let waiting: Vec<String> = self
                    .channels
                    .iter()
                    .filter(|(_, sub)| **sub == Sub::Subscribing)
                    .map(|(name, _)| name.clone())
                    .collect();
                for channel in waiting {
                    self.fail_channel(&channel, message.clone());
                }
            }
            "pusher_internal:subscription_succeeded" => {
                let Some(channel) = frame.channel else { return };
                if let Some(sub) = self.channels.get_mut(&channel) {
                    if *sub == Sub::Subscribing {
                        *sub = Sub::Subscribed;
                        self.actions.push(Action::Subscribed { channel });
                    }
                }
            }
            "pusher:subscription_error" => {
                let Some(channel) = frame.channel else { return };
                if matches!(
                    self.channels.get(&channel),
                    Some(Sub::Subscribing | Sub::Authorizing | Sub::Subscribed)
                ) {
                    let error = describe_error(&frame.data, "subscription refused");
                    self.fail_channel(&channel, error);
                }
            }
            event if event.starts_with("pusher:") || event.starts_with("pusher_internal:") => {}
            _ => {
                let Some(channel) = frame.channel else { return };
                if self.channels.get(&channel) == Some(&Sub::Subscribed) {
                    self.actions.push(Action::Event {
                        channel,
                        event: frame.event,
                        data: frame.data,
                    });
                }
            }
        }
    }

    /// Emits `Error` for a `pusher:error` and returns its code.
    fn report_pusher_error(&mut self, data: &Json) -> Option<u16> {
        let code = data
            .get("code")
            .and_then(Json::as_number_lenient)
            .filter(|c| c.fract() == 0.0 && (0.0..=65535.0).contains(c))
            .map(|c| c as u16);
        let message = describe_error(data, "pusher:error");
        self.actions.push(Action::Error { code, message });
        code
    }

    fn protocol_error(&mut self, now_ms: f64, message: &str) {
        self.push_error(None, message);
        self.drop_connection(now_ms, CODE_PROTOCOL_ERROR, true);
    }

    fn push_error(&mut self, code: Option<u16>, message: &str) {
        self.actions.push(Action::Error {
            code,
            message: message.to_string(),
        });
    }

    fn fail_channel(&mut self, channel: &str, error: String) {
        if let Some(sub) = self.channels.get_mut(channel) {
            *sub = Sub::Failed;
        }
        self.actions.push(Action::SubscriptionFailed {
            channel: channel.to_string(),
            error,
        });
    }

    fn reset_channels(&mut self) {
        for sub in self.channels.values_mut() {
            *sub = Sub::Pending;
        }
    }

    /// The live socket is gone (closed by the server, or by us if `close_socket`): plan the
    /// reconnect for `code`'s class and report it.
    fn drop_connection(&mut self, now_ms: f64, code: u16, close_socket: bool) {
        if close_socket {
            self.actions.push(Action::Close);
        }
        if let State::Connected(live) = &self.state {
            if now_ms - live.since >= STABLE_AFTER_MS {
                self.attempts = 0;
            }
        }
        let delay = match reconnect_class(code) {
            Reconnect::Never => None,
            Reconnect::Now if self.attempts == 0 => Some(0.0),
            Reconnect::Now | Reconnect::Backoff => {
                let ceiling =
                    (INITIAL_BACKOFF_MS * pow2(self.attempts)).min(self.config.max_backoff_ms);
                let mut delay = ceiling * self.next_rand01();
                if (4100..=4199).contains(&code) {
                    // The protocol asks for at least a second.
                    delay = delay.max(INITIAL_BACKOFF_MS.min(self.config.max_backoff_ms));
                }
                Some(delay.max(0.0))
            }
        };
        self.reset_channels();
        match delay {
            Some(delay) => {
                self.attempts = self.attempts.saturating_add(1);
                self.state = State::Waiting {
                    until: now_ms + delay,
                };
            }
            None => {
                self.attempts = 0;
                self.state = State::Failed;
            }
        }
        self.actions.push(Action::Disconnected {
            code,
            reconnect_in_ms: delay,
        });
    }

    /// Uniform in `[0, 1)` (splitmix64).
    fn next_rand01(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A decoded frame: `data` is decoded twice when it is a string.
struct Frame {
    event: String,
    channel: Option<String>,
    data: Json,
}

impl Frame {
    fn parse(text: &str) -> Option<Frame> {
        let Json::Object(members) = json::parse(text).ok()? else {
            return None;
        };
        let mut event = None;
        let mut channel = None;
        let mut data = Json::Null;
        for (key, value) in members {
            match (key.as_str(), value) {
                ("event", Json::String(s)) => event = Some(s),
                ("channel", Json::String(s)) => channel = Some(s),
                ("data", Json::String(s)) => {
                    data = match json::parse(&s) {
                        Ok(decoded) => decoded,
                        Err(_) => Json::String(s),
                    }
                }
                ("data", value) => data = value,
                _ => {}
            }
        }
        Some(Frame {
            event: event?,
            channel,
            data,
        })
    }
}

/// Why `channel` cannot be subscribed, if it cannot.
fn invalid_channel(channel: &str) -> Option<&'static str> {
    if channel.is_empty() || channel.len() > MAX_CHANNEL_LEN {
        return Some("invalid channel name length");
    }
    let valid = channel
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b));
    if !valid {
        return Some("invalid character in channel name");
    }
    if channel.starts_with("presence-") {
        return Some("presence channels are not supported");
    }
    if channel.starts_with("private-encrypted-") {
        return Some("encrypted channels are not supported");
    }
    None
}

/// `error`, `message` or `type` of an error payload (or the payload itself if it is text).
fn describe_error(data: &Json, fallback: &str) -> String {
    if let Json::String(s) = data {
        if !s.is_empty() {
            return s.clone();
        }
    }
    for key in ["error", "message", "type"] {
        match data.get(key) {
            Some(Json::String(s)) if !s.is_empty() => return s.clone(),
            // `{"error":{"message":…}}` shapes.
            Some(nested @ Json::Object(_)) => {
                if let Some(s) = nested.get_str("message").filter(|s| !s.is_empty()) {
                    return s.to_string();
                }
            }
            _ => {}
        }
    }
    fallback.to_string()
}

/// `{"event":event,"data":data}` as compact JSON text.
fn frame_text(event: &str, data: Json) -> String {
    Json::object([("event", Json::from(event)), ("data", data)]).to_json_string()
}

fn subscribe_frame(channel: &str, auth: Option<&str>) -> String {
    let mut data = Json::object([("channel", Json::from(channel))]);
    if let Some(auth) = auth {
        data.set("auth", Json::from(auth));
    }
    frame_text("pusher:subscribe", data)
}

fn pow2(n: u32) -> f64 {
    let mut p = 1.0;
    for _ in 0..n.min(64) {
        p *= 2.0;
    }
    p
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
