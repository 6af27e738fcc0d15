//! The deAPI realtime channel: drives the sans-IO [`PusherConnection`] over a WebSocket (the
//! global `WebSocket`, or the constructor the user passed), asks deAPI's auth endpoint to sign
//! each subscription, and turns `request.status.updated` events into job updates for the
//! [`PushRegistry`]. One connection per client, opened when the first realtime wait starts and
//! closed when the last one ends (an open socket would keep a Node process alive).
//!
//! It decides nothing about the protocol (that is `core::pusher`) and nothing about how a
//! watcher uses the updates (that is `watcher`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::fetch;
use super::push::{PushRegistry, PushUpdate};
use super::signal::{race, Either, Mailbox};
use super::timer::sleep;
use super::{now_ms, random};
use crate::core::pusher::{Action, PusherConfig, PusherConnection};
use crate::core::{Body, HttpRequest, Json, Method, RequestBody};
use crate::providers::deapi_realtime_event;

/// How to reach deAPI's Pusher-protocol server.
#[derive(Clone)]
pub(crate) struct RealtimeConfig {
    /// The app key (deAPI: `depin-api-prod-key`).
    pub(crate) key: String,
    /// `wss://host:port` (deAPI: `wss://soketi.deapi.ai:443`).
    pub(crate) ws_url: String,
    /// The channel-authorization endpoint (deAPI: `{baseUrl}/broadcasting/auth`).
    pub(crate) auth_url: String,
    /// The account's client id: the channel is `private-client.{clientId}`.
    pub(crate) client_id: String,
    /// The `WebSocket` constructor.
    pub(crate) ws_ctor: Function,
}

/// Time allowed for one authorization request.
const AUTH_TIMEOUT_MS: f64 = 10_000.0;

enum HubEvent {
    Open(u64),
    Text(u64, String),
    Close(u64, u16),
    Auth {
        socket_id: String,
        channel: String,
        result: Result<String, String>,
    },
    /// A lease was taken or released: re-check whether to run.
    Leases,
}

struct Socket {
    ws: JsValue,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Socket {
    fn detach(self) {
        for name in ["onopen", "onmessage", "onclose", "onerror"] {
            let _ = Reflect::set(&self.ws, &JsValue::from_str(name), &JsValue::NULL);
        }
        if let Ok(close) = Reflect::get(&self.ws, &JsValue::from_str("close")) {
            if let Some(close) = close.dyn_ref::<Function>() {
                let _ = close.call0(&self.ws);
            }
        }
    }
}

/// The longest wait between reconnect attempts (see `RealtimeHub::new`).
const RECONNECT_BACKOFF_CAP_MS: f64 = 5_000.0;

/// One client's realtime connection. See the module doc.
pub(crate) struct RealtimeHub {
    cfg: RealtimeConfig,
    /// The client's request headers (`accept`, its extra `headers`, the key's auth header):
    /// the channel auth request carries them, so a gateway token in `headers` reaches it too.
    headers: crate::core::Headers,
    fetch_fn: Function,
    registry: Rc<PushRegistry>,
    conn: RefCell<PusherConnection>,
    socket: RefCell<Option<Socket>>,
    generation: Cell<u64>,
    leases: Cell<usize>,
    running: Cell<bool>,
    /// True once the server refused us for good: later waits poll without trying.
    refused: Cell<bool>,
    /// The connection dropped since the last subscription: the next one is a resumption.
    interrupted: Cell<bool>,
    inbox: Mailbox<HubEvent>,
}

/// Keeps the connection open while held; see [`RealtimeHub::acquire`].
pub(crate) struct Lease {
    hub: Rc<RealtimeHub>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let n = self.hub.leases.get().saturating_sub(1);
        self.hub.leases.set(n);
        self.hub.inbox.send(HubEvent::Leases);
    }
}

impl RealtimeHub {
    pub(crate) fn new(
        cfg: RealtimeConfig,
        headers: crate::core::Headers,
        fetch_fn: Function,
        registry: Rc<PushRegistry>,
    ) -> Rc<RealtimeHub> {
        let seed = (random() * 9.007_199_254_740_991e15) as u64;
        Rc::new(RealtimeHub {
            cfg,
            headers,
            fetch_fn,
            registry,
            // Reconnect backoff capped at 5 s (full jitter): a socket server that is back is used
            // again within a few seconds; each attempt is a WebSocket, not a status request.
            conn: RefCell::new(PusherConnection::new(
                PusherConfig {
                    max_backoff_ms: RECONNECT_BACKOFF_CAP_MS,
                    ..PusherConfig::default()
                },
                seed,
            )),
            socket: RefCell::new(None),
            generation: Cell::new(0),
            leases: Cell::new(0),
            running: Cell::new(false),
            refused: Cell::new(false),
            interrupted: Cell::new(false),
            inbox: Mailbox::new(),
        })
    }

    /// Whether realtime can carry new waits (false once the server refused us).
    pub(crate) fn usable(&self) -> bool {
        !self.refused.get()
    }

    fn channel(&self) -> String {
        let mut c = String::from("private-client.");
        c.push_str(&self.cfg.client_id);
        c
    }

    /// Starts (or keeps) the connection for one more waiter.
    pub(crate) fn acquire(self: &Rc<Self>) -> Lease {
        self.leases.set(self.leases.get() + 1);
        // Subscribes, or (after the channel's subscription failed, e.g. a refused auth) tries
        // again with a fresh auth; a no-op while the channel is subscribed or subscribing.
        self.conn.borrow_mut().subscribe(now_ms(), &self.channel());
        if !self.running.get() {
            self.running.set(true);
            let hub = self.clone();
            super::spawn(Box::pin(async move { hub.drive().await }));
        } else {
            self.inbox.send(HubEvent::Leases);
        }
        Lease { hub: self.clone() }
    }

    async fn drive(self: Rc<Self>) {
        loop {
            self.run_actions();
            if self.leases.get() == 0 {
                self.conn.borrow_mut().disconnect(now_ms());
                self.run_actions();
                if let Some(s) = self.socket.borrow_mut().take() {
                    s.detach();
                }
                self.generation.set(self.generation.get() + 1);
                self.running.set(false);
                return;
            }
            let wait = self
                .conn
                .borrow()
                .next_timeout()
                .map(|at| (at - now_ms()).max(0.0))
                .unwrap_or(60_000.0);
            match race(self.inbox.recv(), sleep(wait, None)).await {
                Either::Left(Some(event)) => self.handle(event),
                Either::Left(None) => return,
                Either::Right(_) => self.conn.borrow_mut().handle_timeout(now_ms()),
            }
            // Handle whatever else arrived meanwhile before sleeping again.
            for event in self.inbox.drain() {
                self.handle(event);
            }
        }
    }

    fn handle(self: &Rc<Self>, event: HubEvent) {
        let current = self.generation.get();
        let now = now_ms();
        let mut conn = self.conn.borrow_mut();
        match event {
            HubEvent::Open(g) if g == current => conn.handle_open(now),
            HubEvent::Text(g, text) if g == current => conn.handle_text(now, &text),
            HubEvent::Close(g, code) if g == current => {
                drop(conn);
                if let Some(s) = self.socket.borrow_mut().take() {
                    s.detach();
                }
                self.generation.set(current + 1);
                self.conn.borrow_mut().handle_close(now, code);
            }
            HubEvent::Auth {
                socket_id,
                channel,
                result,
            } => conn.handle_auth(now, &socket_id, &channel, result),
            _ => {}
        }
    }

    fn run_actions(self: &Rc<Self>) {
        loop {
            let action = self.conn.borrow_mut().poll_action();
            let Some(action) = action else { return };
            match action {
                Action::Connect => self.open_socket(),
                Action::Send(text) => {
                    if let Some(s) = self.socket.borrow().as_ref() {
                        if let Ok(send) = Reflect::get(&s.ws, &JsValue::from_str("send")) {
                            if let Some(send) = send.dyn_ref::<Function>() {
                                let _ = send.call1(&s.ws, &JsValue::from_str(&text));
                            }
                        }
                    }
                }
                Action::Close => {
                    if let Some(s) = self.socket.borrow_mut().take() {
                        s.detach();
                    }
                    self.generation.set(self.generation.get() + 1);
                }
                Action::Authorize { socket_id, channel } => self.authorize(socket_id, channel),
                Action::Subscribed { .. } => {
                    // Live again after a drop: catch up on anything missed meanwhile.
                    if self.interrupted.replace(false) {
                        self.registry.broadcast(|| PushUpdate::Resumed);
                    }
                }
                Action::SubscriptionFailed { .. } => {
                    self.registry.broadcast(|| PushUpdate::Lost);
                }
                Action::Event { event, data, .. } => {
                    if event == "request.status.updated" {
                        if let Ok(mut job) = deapi_realtime_event(&data) {
                            job.via = Some(crate::core::Channel::Realtime);
                            self.registry.deliver(&job);
                        }
                    }
                }
                Action::Disconnected {
                    reconnect_in_ms: None,
                    ..
                } => {
                    if self.leases.get() > 0 {
                        self.refused.set(true);
                    }
                    self.registry.broadcast(|| PushUpdate::Lost);
                }
                Action::Disconnected { .. } => {
                    self.interrupted.set(true);
                    self.registry.broadcast(|| PushUpdate::Interrupted);
                }
                Action::Connected { .. } | Action::Error { .. } => {}
            }
        }
    }

    fn open_socket(self: &Rc<Self>) {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let url = PusherConnection::connect_url(
            &self.cfg.ws_url,
            &self.cfg.key,
            env!("CARGO_PKG_VERSION"),
        );
        let ws = match Reflect::construct(&self.cfg.ws_ctor, &Array::of1(&JsValue::from_str(&url)))
        {
            Ok(ws) => ws,
            Err(_) => {
                // The constructor threw (bad URL, no network stack): report a failed connection.
                self.inbox.send(HubEvent::Close(generation, 1006));
                return;
            }
        };
        let mut handlers = Vec::new();
        let inbox = self.inbox.clone();
        let on_open =
            Closure::<dyn FnMut(JsValue)>::new(move |_| inbox.send(HubEvent::Open(generation)));
        let inbox = self.inbox.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            if let Some(text) = Reflect::get(&e, &JsValue::from_str("data"))
                .ok()
                .and_then(|d| d.as_string())
            {
                inbox.send(HubEvent::Text(generation, text));
            }
        });
        let inbox = self.inbox.clone();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let code = Reflect::get(&e, &JsValue::from_str("code"))
                .ok()
                .and_then(|c| c.as_f64())
                .unwrap_or(1006.0);
            inbox.send(HubEvent::Close(generation, code as u16));
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_| {});
        for (name, h) in [
            ("onopen", &on_open),
            ("onmessage", &on_message),
            ("onclose", &on_close),
            ("onerror", &on_error),
        ] {
            let _ = Reflect::set(&ws, &JsValue::from_str(name), h.as_ref());
        }
        handlers.extend([on_open, on_message, on_close, on_error]);
        if let Some(old) = self.socket.borrow_mut().replace(Socket {
            ws,
            _handlers: handlers,
        }) {
            old.detach();
        }
    }

    fn authorize(self: &Rc<Self>, socket_id: String, channel: String) {
        let hub = self.clone();
        super::spawn(Box::pin(async move {
            let result = hub.fetch_auth(&socket_id, &channel).await;
            hub.inbox.send(HubEvent::Auth {
                socket_id,
                channel,
                result,
            });
        }));
    }

    async fn fetch_auth(&self, socket_id: &str, channel: &str) -> Result<String, String> {
        let req = HttpRequest {
            method: Method::Post,
            url: self.cfg.auth_url.clone(),
            headers: self.headers.clone(),
            body: Some(RequestBody::Json(Json::object([
                ("socket_id", Json::from(socket_id)),
                ("channel_name", Json::from(channel)),
            ]))),
        };
        let resp = fetch::send(
            &self.fetch_fn,
            &req,
            None,
            None,
            AUTH_TIMEOUT_MS,
            fetch::DEFAULT_MAX_RESPONSE_BYTES,
        )
        .await
        .map_err(|_| String::from("the auth endpoint could not be reached"))?;
        if !resp.is_success() {
            let mut m = String::from("the auth endpoint answered HTTP ");
            crate::core::number::push_u64(&mut m, u64::from(resp.status));
            return Err(m);
        }
        match &resp.body {
            Body::Json(j) => j
                .get_str("auth")
                .map(str::to_string)
                .ok_or_else(|| String::from("the auth endpoint sent no `auth`")),
            _ => Err(String::from("the auth endpoint sent no JSON")),
        }
    }
}
