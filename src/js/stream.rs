//! `JobStream`: the async iterator returned by `client.stream(idOrRequest)`. Each `next()`
//! resolves with the next output chunk of a Socaity job — a parsed JSON value (e.g. an OpenAI
//! `chat.completion.chunk`) or a string — and `{ done: true }` after `[DONE]`. Given a submit
//! request instead of an id, it submits first and reads a direct-SSE answer as the stream.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::{to_js_error, to_js_error_for};
use crate::core::{Error, ErrorCode, Job};
use crate::providers::{StreamItem, SubmitRequest};
use crate::transport::{fetch_open_submit, to_js, Engine, Opened, StreamReader};

enum State {
    /// A job by id, or a job's known state (whose links lead to its stream: a service job).
    Job(String, Option<Box<Job>>),
    /// A submit request and the files of its input.
    Submit(SubmitRequest, js_sys::Array),
    Reading(StreamReader),
    Busy,
    Ended,
}

/// An async iterator over a job's output stream. Obtain it from `JobClient.stream`.
#[wasm_bindgen]
pub struct JobStream {
    engine: Rc<Engine>,
    state: Rc<RefCell<State>>,
    signal: Option<AbortSignal>,
}

impl JobStream {
    /// The stream of job `id` (its state `known` when given), or of the job `request` submits.
    pub(crate) fn new(
        engine: Rc<Engine>,
        target: Result<(String, Option<Job>), (SubmitRequest, js_sys::Array)>,
        signal: Option<AbortSignal>,
    ) -> JsValue {
        let state = match target {
            Ok((id, known)) => State::Job(id, known.map(Box::new)),
            Err((req, files)) => State::Submit(req, files),
        };
        let js: JsValue = JobStream {
            engine,
            state: Rc::new(RefCell::new(state)),
            signal,
        }
        .into();
        super::make_async_iterable(&js);
        js
    }
}

async fn open(
    engine: &Rc<Engine>,
    state: State,
    signal: Option<&AbortSignal>,
) -> Result<StreamReader, Error> {
    match state {
        State::Job(id, known) => StreamReader::for_job(engine.clone(), &id, known.as_deref()),
        State::Submit(req, files) => match fetch_open_submit(engine, &req, &files, signal).await? {
            Opened::Stream(response) => StreamReader::from_response(engine.clone(), &response),
            Opened::Job(job) => StreamReader::for_job(engine.clone(), &job.id, Some(&job)),
        },
        State::Reading(r) => Ok(r),
        State::Busy | State::Ended => Err(Error::new(ErrorCode::Config, "stream: already ended")),
    }
}

#[wasm_bindgen]
impl JobStream {
    /// Resolves with the next chunk, or `{ done: true }` after the end of the stream.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<unknown, undefined>>")]
    pub fn next(&self) -> Promise {
        let engine = self.engine.clone();
        let slot = self.state.clone();
        let signal = self.signal.clone();
        super::promise(async move {
            let state = std::mem::replace(&mut *slot.borrow_mut(), State::Busy);
            match state {
                State::Ended => {
                    *slot.borrow_mut() = State::Ended;
                    return Ok(super::iter_step(&JsValue::UNDEFINED, true));
                }
                State::Busy => {
                    return Err(to_js_error(&Error::config(
                        "stream: next() called while a previous next() is pending",
                    )))
                }
                _ => {}
            }
            let mut reader = match open(&engine, state, signal.as_ref()).await {
                Ok(r) => r,
                Err(e) => {
                    *slot.borrow_mut() = State::Ended;
                    return Err(to_js_error_for(&e, signal.as_ref()));
                }
            };
            let result = reader.next(signal.as_ref()).await;
            match result {
                Ok(Some(item)) => {
                    let value = match item {
                        StreamItem::Chunk(json) => to_js(&json),
                        StreamItem::Text(text) => JsValue::from_str(&text),
                        StreamItem::Done | StreamItem::Error(_) => JsValue::UNDEFINED,
                    };
                    *slot.borrow_mut() = State::Reading(reader);
                    Ok(super::iter_step(&value, false))
                }
                Ok(None) => {
                    *slot.borrow_mut() = State::Ended;
                    Ok(super::iter_step(&JsValue::UNDEFINED, true))
                }
                Err(e) => {
                    *slot.borrow_mut() = State::Ended;
                    Err(to_js_error_for(&e, signal.as_ref()))
                }
            }
        })
    }

    /// Stops reading; later `next()` calls resolve `{ done: true }`.
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<unknown, undefined>>"
    )]
    pub fn stop(&self) -> Promise {
        let previous = std::mem::replace(&mut *self.state.borrow_mut(), State::Ended);
        if let State::Reading(mut r) = previous {
            r.stop();
        }
        Promise::resolve(&super::iter_step(&JsValue::UNDEFINED, true))
    }
}
