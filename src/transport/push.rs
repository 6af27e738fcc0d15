//! Routing of pushed job updates to the watchers of each job. A push channel (the deAPI
//! realtime socket, a Socaity status stream, `client.notify`) calls [`PushRegistry::deliver`]; every [`Watcher`] holds a
//! [`Subscription`] for its job id and reads its updates from it. Dropping a subscription
//! unregisters it. This module knows nothing of sockets or providers.
//!
//! [`Watcher`]: super::watcher::Watcher

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use super::signal::Mailbox;
use crate::core::Job;

/// What a push channel tells a watcher.
pub(crate) enum PushUpdate {
    /// A new state of the job. Boxed: an update is small while it waits in a mailbox or in
    /// the state of every parked watcher's future.
    Job(Box<Job>),
    /// The channel is gone for good (refused, gave up): poll from now on.
    Lost,
    /// The channel dropped and is reconnecting: poll meanwhile.
    Interrupted,
    /// The channel is live again (after a reconnect): catch up once, then rely on it.
    Resumed,
}

/// Every live subscription: `(job id, mailbox)`, sorted by id, a new subscription after the
/// others of its id. A sorted list rather than a hash map: a lookup is a binary search, an
/// insert or removal moves the tail (a few µs even at 10,000 waits), and the wasm carries no
/// hash table code (~5 KB). A subscription is told apart from the others of its job by its
/// mailbox (the same `Rc`), so an entry is 12 bytes: no token.
type Entry = (Rc<str>, Mailbox<PushUpdate>);

#[derive(Default)]
pub(crate) struct PushRegistry {
    subs: RefCell<Vec<Entry>>,
}

impl PushRegistry {
    /// Registers interest in job `id` (shared with the caller, not copied).
    pub(crate) fn subscribe(self: &Rc<Self>, id: &Rc<str>) -> Subscription {
        let mailbox = Mailbox::new();
        let mut subs = self.subs.borrow_mut();
        let at = subs.partition_point(|(i, _)| **i <= **id);
        subs.insert(at, (id.clone(), mailbox.clone()));
        Subscription {
            registry: self.clone(),
            id: id.clone(),
            mailbox,
        }
    }

    /// The mailboxes of job `id`'s watchers.
    fn mailboxes_of(&self, id: &str) -> Vec<Mailbox<PushUpdate>> {
        let subs = self.subs.borrow();
        subs[span_of(&subs, id)]
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Hands `job` to every watcher of `job.id`; returns how many there were.
    pub(crate) fn deliver(&self, job: &Job) -> usize {
        let boxes = self.mailboxes_of(&job.id);
        for m in &boxes {
            m.send(PushUpdate::Job(Box::new(job.clone())));
        }
        boxes.len()
    }

    /// Sends `make()` to every watcher of job `id` (news of a channel that carries one job).
    pub(crate) fn tell(&self, id: &str, make: impl Fn() -> PushUpdate) {
        for m in self.mailboxes_of(id) {
            m.send(make());
        }
    }

    /// Sends `make()` to every watcher (channel-wide news: lost, interrupted, resumed).
    pub(crate) fn broadcast(&self, make: impl Fn() -> PushUpdate) {
        let boxes: Vec<Mailbox<PushUpdate>> =
            self.subs.borrow().iter().map(|(_, m)| m.clone()).collect();
        for m in boxes {
            m.send(make());
        }
    }

    fn remove(&self, id: &str, mailbox: &Mailbox<PushUpdate>) {
        let mut subs = self.subs.borrow_mut();
        let span = span_of(&subs, id);
        if let Some(k) = subs[span.clone()]
            .iter()
            .position(|(_, m)| m.same_as(mailbox))
        {
            subs.remove(span.start + k);
        }
    }
}

/// Where job `id`'s entries are in the sorted list (an empty range at their place if none).
fn span_of(subs: &[Entry], id: &str) -> Range<usize> {
    let from = subs.partition_point(|(i, _)| &**i < id);
    from..from + subs[from..].partition_point(|(i, _)| &**i == id)
}

/// One watcher's registration for one job; unregisters on drop.
pub(crate) struct Subscription {
    registry: Rc<PushRegistry>,
    id: Rc<str>,
    mailbox: Mailbox<PushUpdate>,
}

impl Subscription {
    /// The job id (shared with the registry's entry).
    pub(crate) fn id(&self) -> &Rc<str> {
        &self.id
    }

    /// The next update (waits); `None` only if the mailbox was closed.
    pub(crate) async fn recv(&self) -> Option<PushUpdate> {
        self.mailbox.recv().await
    }

    /// The updates already delivered, without waiting.
    pub(crate) fn drain(&self) -> Vec<PushUpdate> {
        self.mailbox.drain()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.registry.remove(&self.id, &self.mailbox);
    }
}
