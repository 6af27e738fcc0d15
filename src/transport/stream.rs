//! Socaity output streams: opens the job's `text/event-stream` with `fetch` (so the
//! Authorization header is sent — `EventSource` cannot), decodes it with `core::sse`, classifies
//! each payload with the provider, and reconnects with `Last-Event-ID` when the server sent ids.
//! Also reads a "direct SSE" answer, where the submit response itself is the stream.
//!
//! What a payload means is `providers::socaity`'s; the SSE grammar is `core::sse`'s.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use super::abort::{AbortCause, ChildSignal};
use super::engine::Engine;
use super::fetch;
use super::now_ms;
use super::timer::sleep;
use crate::core::sse::{SseDecoder, SseEvent};
use crate::core::Deadline;
use crate::core::{Error, ErrorCode, HttpRequest, Job};
use crate::providers::{adapter, classify_stream_data, StreamItem};

/// Reconnects allowed after the stream dropped (only when the server sent event ids).
const MAX_RECONNECTS: u32 = 5;

/// Reads one job's output stream chunk by chunk.
pub(crate) struct StreamReader {
    engine: Rc<Engine>,
    request: Option<HttpRequest>,
    decoder: SseDecoder,
    reader: Option<ReadableStreamDefaultReader>,
    queue: Vec<SseEvent>,
    reconnects: u32,
    done: bool,
}

impl StreamReader {
    /// A reader of job `id`'s stream; `last` lets the provider use the job's stream link.
    pub(crate) fn for_job(
        engine: Rc<Engine>,
        id: &str,
        last: Option<&Job>,
    ) -> Result<StreamReader, Error> {
        let request = adapter(engine.cfg.provider).stream(&engine.cfg, id, last)?;
        Ok(StreamReader {
            engine,
            request: Some(request),
            decoder: SseDecoder::new(),
            reader: None,
            queue: Vec::new(),
            reconnects: 0,
            done: false,
        })
    }

    /// A reader of a response that is already a stream (direct SSE from a submit).
    pub(crate) fn from_response(
        engine: Rc<Engine>,
        response: &Response,
    ) -> Result<StreamReader, Error> {
        let reader = response
            .body()
            .map(|b| {
                b.get_reader()
                    .unchecked_into::<ReadableStreamDefaultReader>()
            })
            .ok_or_else(|| Error::bad_response(engine.cfg.provider, "the stream has no body"))?;
        Ok(StreamReader {
            engine,
            request: None,
            decoder: SseDecoder::new(),
            reader: Some(reader),
            queue: Vec::new(),
            reconnects: 0,
            done: false,
        })
    }

    /// Stops reading (cancels the body).
    pub(crate) fn stop(&mut self) {
        self.done = true;
        if let Some(r) = self.reader.take() {
            let _ = r.cancel();
        }
    }

    /// The next output chunk (`Chunk`/`Text`), `Ok(None)` at the end (`[DONE]`), or the error
    /// that ended the stream: an `{"error"}` frame is `JOB_FAILED`; 404 `NOT_FOUND`; 409
    /// `CONFLICT` (the job does not stream); a drop without ids to resume from is `NETWORK`.
    /// Named records (Socaity's `event: job` status records) are not output: they are skipped.
    pub(crate) async fn next(
        &mut self,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<StreamItem>, Error> {
        loop {
            let Some(ev) = self.next_event(signal).await? else {
                return Ok(None);
            };
            if ev.event.as_deref().is_some_and(|name| name != "message") {
                continue;
            }
            match classify_stream_data(&ev.data) {
                StreamItem::Done => {
                    self.stop();
                    return Ok(None);
                }
                StreamItem::Error(message) => {
                    self.stop();
                    let mut m = String::from("the stream reported an error: ");
                    m.push_str(&message);
                    return Err(
                        Error::new(ErrorCode::JobFailed, m).with_provider(self.engine.cfg.provider)
                    );
                }
                other => return Ok(Some(other)),
            }
        }
    }

    /// The next record of the stream, whatever its name, `Ok(None)` once it is stopped or the
    /// body ended cleanly with nothing to resume; reconnects with `Last-Event-ID` after a drop
    /// when the server sent ids (a drop without them is `NETWORK`).
    pub(crate) async fn next_event(
        &mut self,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<SseEvent>, Error> {
        loop {
            if !self.queue.is_empty() {
                return Ok(Some(self.queue.remove(0)));
            }
            if self.done {
                return Ok(None);
            }
            if self.reader.is_none() {
                self.open(signal).await?;
            }
            let Some(reader) = self.reader.as_ref() else {
                continue;
            };
            let ended = match fetch::read_chunk(reader).await {
                Ok(Some(bytes)) => {
                    self.queue.extend(self.decoder.push(&bytes));
                    false
                }
                Ok(None) => true,
                Err(()) => {
                    if signal.is_some_and(AbortSignal::aborted) {
                        return Err(self.aborted());
                    }
                    true
                }
            };
            if ended {
                self.queue.extend(self.decoder.finish());
                self.reader = None;
                if !self.queue.is_empty() {
                    continue;
                }
                // The connection ended before its end: resume where the ids say, if they do.
                if self.request.is_some()
                    && self.decoder.last_event_id().is_some()
                    && self.reconnects < MAX_RECONNECTS
                {
                    self.reconnects += 1;
                    let delay = self
                        .decoder
                        .retry_ms()
                        .map_or(250.0, |ms| ms as f64)
                        .min(5_000.0);
                    if sleep(delay, signal).await.is_err() {
                        return Err(self.aborted());
                    }
                    continue;
                }
                self.done = true;
                return Err(
                    Error::new(ErrorCode::Network, "the stream ended before [DONE]")
                        .with_provider(self.engine.cfg.provider)
                        .with_retryable(true),
                );
            }
        }
    }

    fn aborted(&self) -> Error {
        Error::new(ErrorCode::Aborted, "the operation was aborted")
            .with_provider(self.engine.cfg.provider)
    }

    async fn open(&mut self, signal: Option<&AbortSignal>) -> Result<(), Error> {
        let Some(base) = &self.request else {
            self.done = true;
            return Ok(());
        };
        let mut req = base.clone();
        if let Some(id) = self.decoder.last_event_id() {
            req.set_header("last-event-id", id.to_string());
        }
        let provider = self.engine.cfg.provider;
        let never = web_sys::AbortController::new()
            .map_err(|_| Error::config("this runtime has no AbortController"))?;
        let sig = signal.cloned().unwrap_or_else(|| never.signal());
        let response = fetch::open(&self.engine.fetch_fn, &req, None, &sig)
            .await
            .map_err(|e| {
                if signal.is_some_and(AbortSignal::aborted) {
                    self.aborted()
                } else {
                    let mut m = String::from("network error: ");
                    m.push_str(&e);
                    Error::new(ErrorCode::Network, m)
                        .with_provider(provider)
                        .with_retryable(true)
                }
            })?;
        let status = response.status();
        if !(200..300).contains(&status) {
            let resp = fetch::finish(&response, self.engine.max_response_bytes)
                .await
                .map_err(|_| {
                    Error::new(
                        ErrorCode::Network,
                        "network error while reading an error answer",
                    )
                    .with_provider(provider)
                })?;
            return Err(Error::from_response(provider, &resp));
        }
        self.reader = response.body().map(|b| {
            b.get_reader()
                .unchecked_into::<ReadableStreamDefaultReader>()
        });
        if self.reader.is_none() {
            self.done = true;
        }
        Ok(())
    }
}

impl Drop for StreamReader {
    /// A reader dropped mid-stream (a wait that ended) cancels the body.
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a submit opened for streaming answered.
pub(crate) enum Opened {
    /// The answer is itself the stream ("direct SSE").
    Stream(Response),
    /// A job, whose stream is read from its stream endpoint.
    Job(Job),
}

/// Sends a submit (its input's files in `files`) that accepts a direct `text/event-stream`
/// answer. Sent once: a submit is not retried blindly.
pub(crate) async fn fetch_open_submit(
    engine: &Rc<Engine>,
    req: &crate::providers::SubmitRequest,
    files: &js_sys::Array,
    signal: Option<&AbortSignal>,
) -> Result<Opened, Error> {
    let provider = engine.cfg.provider;
    let mut http = crate::providers::submit(&engine.cfg, req)?;
    http.set_header("accept", "text/event-stream, application/json".into());
    if let Some(key) = &req.idempotency_key {
        http.set_header("idempotency-key", key.clone());
    }
    let never = web_sys::AbortController::new()
        .map_err(|_| Error::config("this runtime has no AbortController"))?;
    let sig = signal.cloned().unwrap_or_else(|| never.signal());
    let response = fetch::open(&engine.fetch_fn, &http, Some(files), &sig)
        .await
        .map_err(|e| {
            if signal.is_some_and(AbortSignal::aborted) {
                Error::new(ErrorCode::Aborted, "the operation was aborted").with_provider(provider)
            } else {
                let mut m = String::from("network error: ");
                m.push_str(&e);
                Error::new(ErrorCode::Network, m).with_provider(provider)
            }
        })?;
    let is_stream = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|t| crate::core::header_contains(&t, "text/event-stream"));
    if (200..300).contains(&response.status()) && is_stream {
        return Ok(Opened::Stream(response));
    }
    let resp = fetch::finish(&response, engine.max_response_bytes)
        .await
        .map_err(|_| {
            Error::new(ErrorCode::Network, "network error while reading the answer")
                .with_provider(provider)
        })?;
    crate::providers::parse_submit(provider, &resp).map(|mut job| {
        job.service_url = crate::providers::adapter(provider)
            .service_url(&engine.cfg, req)
            .map(Rc::from);
        Opened::Job(super::engine::via(job, crate::core::Channel::Submit))
    })
}

impl Engine {
    /// Reads job `id`'s output stream to its end (a `wait` via "stream", through
    /// [`Watcher::drain_stream`]). A job that does not
    /// stream (409) or a broken stream ends the read without error: the wait falls back to
    /// polling. Fails on abort, the wait's deadline and NOT_FOUND. A stream read cannot be cut
    /// by clamping, so this one arms a signal for the deadline.
    pub(crate) async fn drain_stream(
        self: &Rc<Self>,
        id: &str,
        last: Option<&Job>,
        signal: Option<&AbortSignal>,
        deadline: Deadline,
    ) -> Result<(), Error> {
        if deadline.passed(now_ms()) {
            return Err(self.wait_timed_out(last.cloned()));
        }
        let armed = ChildSignal::new(signal, deadline.remaining_ms(now_ms()))
            .map_err(|_| Error::config("this runtime has no AbortController"))?;
        let armed_signal = armed.signal();
        let mut reader = StreamReader::for_job(self.clone(), id, last)?;
        loop {
            match reader.next(Some(&armed_signal)).await {
                Ok(Some(_chunk)) => {}
                Ok(None) => return Ok(()),
                Err(err) if err.code == ErrorCode::Aborted => {
                    return Err(if armed.cause() == Some(AbortCause::Timeout) {
                        self.wait_timed_out(last.cloned())
                    } else {
                        err
                    });
                }
                Err(err) if err.code == ErrorCode::NotFound => return Err(err),
                Err(_) => return Ok(()),
            }
        }
    }
}
