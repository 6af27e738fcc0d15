//! Socaity's status stream: a wait of a Socaity job whose state offers `links.stream` reads that
//! stream (the provider's `stream` request: `GET`, Bearer, `Accept: text/event-stream`) and takes
//! each `event: job` record as a pushed state of the job (`via: "stream"`, read as a polled body
//! is); output records are skipped. It ends at the terminal record. When the stream is refused,
//! fails or closes before one, the job's watchers are told the channel is lost and poll at once,
//! so no state is missed.
//!
//! [`follow`] runs inside the wait's own future, raced with the watch (wait.rs), never detached:
//! when the wait ends its read is dropped, which aborts the fetch and cancels the body.

use std::rc::Rc;

use web_sys::AbortSignal;

use super::abort::ChildSignal;
use super::engine::Engine;
use super::push::PushUpdate;
use super::stream::StreamReader;
use crate::core::{Channel, Job, Provider};
use crate::providers::{socaity_offers_stream, socaity_stream_record};

/// Whether a wait of `known` follows the job's status stream.
pub(crate) fn offered(engine: &Engine, known: Option<&Job>) -> bool {
    engine.cfg.provider == Provider::Socaity && known.is_some_and(socaity_offers_stream)
}

/// Aborts its signal when dropped: the read of a dropped wait stops at once.
struct AbortOnDrop(ChildSignal);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads job `id`'s status stream (its link taken from `known`) and delivers each status record
/// to the job's watchers; tells them the channel is lost if it ends before a terminal record.
pub(crate) async fn follow(
    engine: Rc<Engine>,
    id: Rc<str>,
    known: Job,
    signal: Option<AbortSignal>,
) {
    let Ok(guard) = ChildSignal::new(signal.as_ref(), None) else {
        engine.push.tell(&id, || PushUpdate::Lost);
        return;
    };
    let guard = AbortOnDrop(guard);
    let read_signal = guard.0.signal();
    let mut reader = match StreamReader::for_job(engine.clone(), &id, Some(&known)) {
        Ok(reader) => reader,
        Err(_) => {
            engine.push.tell(&id, || PushUpdate::Lost);
            return;
        }
    };
    let service_url = known.service_url.clone();
    drop(known);
    loop {
        match reader.next_event(Some(&read_signal)).await {
            Ok(Some(ev)) if ev.event.as_deref() == Some("job") => {
                // A record that does not read as a job is skipped: the next one, or a poll,
                // brings the state.
                if let Ok(mut job) = socaity_stream_record(&id, &ev.data) {
                    job.via = Some(Channel::Stream);
                    job.service_url = service_url.clone();
                    engine.push.deliver(&job);
                    if job.is_terminal() {
                        return;
                    }
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                engine.push.tell(&id, || PushUpdate::Lost);
                return;
            }
        }
    }
}
